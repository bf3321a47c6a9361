/* fuzz_tlv.c - the BER-TLV reader (cardreader/card_tlv.c) on arbitrary input. */
#include <stdint.h>
#include <stdlib.h>

#include "eid_limits.h"
#include "card_tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cx_reader rd;
	struct card_tlv t, c;
	uint32_t path[EID_TLV_MAX_DEPTH];
	size_t n = 0, i;

	if (card_tlv_check(data, size, &n) == 0 && n > size)
		abort();        /* every element takes at least 2 bytes */
	cx_rd_init(&rd, data, size);
	while (rd.len > 0 && card_tlv_next(&rd, &t) == 0) {
		/* a view must lie inside the input */
		if (t.value < data || t.value + t.len > data + size ||
		    t.raw + t.raw_len != t.value + t.len)
			abort();
		if (t.constructed && card_tlv_find(t.value, t.len, 0x30, &c) == 0 &&
		    c.value + c.len > t.value + t.len)
			abort();
	}
	/* a path taken from the first bytes of the input */
	for (i = 0; i < EID_TLV_MAX_DEPTH && i < size; i++)
		path[i] = data[i];
	if (size > 0 && card_tlv_find_path(data, size, path, i, &t) == 0 &&
	    t.value + t.len > data + size)
		abort();
	return 0;
}
