/*
 * fuzz_lds.c - every LDS parser of cardreader/ on arbitrary input. The first byte picks
 * the parser (mod 8): 0 EF.COM, 1 DG1, 2 DG2, 3 DG13, 4 DG14 (+ OpenSSL decode of CA
 * keys), 5 DG15, 6 EF.SOD parse, 7 passive authentication (no trust store, time checks
 * off, no DGs) of an EF.SOD; the rest of the input is the file.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "card_lds.h"
#include "card_pa.h"
#include "card_sod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1;
	size_t n = size - 1, i;
	struct card_lds_com com;
	struct card_mrz mrz;
	struct card_face face;
	struct card_dg13 dg13;
	struct card_dg14 dg14;
	struct card_sod *sod = NULL;
	struct card_pa_result res;
	struct card_pa_opts opts = { .no_time_check = 1 };
	EVP_PKEY *pk = NULL;
	const unsigned char *q;

	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 0:
		if (card_lds_com_parse(p, n, &com) == 0 && com.ndg > CARD_LDS_MAX_DG)
			abort();
		break;
	case 1:
		if (card_lds_dg1_parse(p, n, &mrz) == 0 && mrz.format == CARD_MRZ_UNKNOWN)
			abort();
		break;
	case 2:
		if (card_lds_dg2_parse(p, n, &face) == 0 &&
		    (face.image < p || face.image + face.image_len > p + n))
			abort();
		break;
	case 3:
		if (card_lds_dg13_parse(p, n, &dg13) == 0)
			for (i = 0; i < dg13.nfields; i++)
				if (dg13.fields[i].nvalues > CARD_DG13_MAX_VALUES)
					abort();
		card_dg13_clear(&dg13);
		break;
	case 4:
		if (card_lds_dg14_parse(p, n, &dg14) == 0)
			for (i = 0; i < dg14.ninfos; i++) {
				if (dg14.infos[i].spki == NULL)
					continue;
				q = dg14.infos[i].spki;
				pk = d2i_PUBKEY(NULL, &q, (long)dg14.infos[i].spki_len);
				EVP_PKEY_free(pk);
				pk = NULL;
			}
		break;
	case 5:
		if (card_lds_dg15_parse(p, n, &pk) == 0 && pk == NULL)
			abort();
		EVP_PKEY_free(pk);
		break;
	case 6:
		if (card_sod_parse(p, n, &sod) == 0 && sod->nhashes > CARD_SOD_MAX_HASHES)
			abort();
		card_sod_free(&sod);
		break;
	default:
		if (card_pa_verify(p, n, NULL, 0, NULL, &opts, &res) == 0)
			abort();        /* no trust store: can never pass */
		break;
	}
	return 0;
}
