/* fuzz_b64.c - the base64 decoders (crypto/cx_util.c) on arbitrary input. */
#include <stdint.h>
#include <stdlib.h>

#include "cx_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[64], *p = NULL;
	size_t n;

	if (cx_b64url_decode(out, sizeof(out), &n, (const char *)data, size) == 0 && n > sizeof(out))
		abort();
	if (cx_b64_decode_alloc(&p, &n, (const char *)data, size, 4096) == 0) {
		if (n > 4096)
			abort();
		free(p);
	}
	return 0;
}
