/* fuzz_config.c - the configuration parser (server/srv_config.c) on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "srv_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv_config cfg;
	char err[256];

	if (srv_config_init(&cfg) != 0)
		return 0;
	if (srv_config_parse(&cfg, (const char *)data, size, "fuzz", err, sizeof(err)) == 0)
		if (srv_config_validate(&cfg, err, sizeof(err)) != 0)
			err[0] = 0;
	srv_config_free(&cfg);
	return 0;
}
