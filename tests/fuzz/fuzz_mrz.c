/* fuzz_mrz.c - MRZ parsing and the BAC seed (cardreader/card_mrz.c) on arbitrary input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card_mrz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct card_mrz m;
	char seed[64];
	int r;

	r = card_mrz_parse((const char *)data, size, &m);
	if (r == 0 || r == EID_ERR_CHECK_DIGIT) {
		if (m.format != CARD_MRZ_TD1 && m.format != CARD_MRZ_TD3)
			abort();
		if (strlen(m.document_number) >= sizeof(m.document_number) ||
		    strlen(m.primary_name) >= sizeof(m.primary_name))
			abort();
		if (card_mrz_bac_seed(&m, seed, sizeof(seed)) == 0 && strlen(seed) < 24)
			abort();
	} else if (m.format != CARD_MRZ_UNKNOWN) {
		abort();
	}
	(void)card_mrz_check_digit((const char *)data, size);
	return 0;
}
