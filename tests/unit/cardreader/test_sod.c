/* test_sod.c - card_sod: EF.SOD parsing of the BSI specimens and broken variants. */
#include <string.h>

#include <openssl/evp.h>

#include "tdata.h"
#include "card_sod.h"

static const char *vdir;

/* The SOD's hash for each DG file equals the file's hash (VECTORS/SOURCES.md). */
static int
hash_matches(const struct card_sod *sod, int dg, const char *file)
{
	const struct card_sod_hash *h = card_sod_find(sod, dg);
	unsigned char md[EVP_MAX_MD_SIZE], *buf;
	unsigned int mdlen = 0;
	size_t len;
	int ok;

	if (h == NULL)
		return 0;
	buf = tv_read(vdir, file, &len);
	ok = EVP_Digest(buf, len, md, &mdlen, sod->md, NULL) == 1 &&
	    mdlen == h->len && memcmp(md, h->hash, mdlen) == 0;
	free(buf);
	return ok;
}

T_CASE(test_refset_sod)
{
	struct card_sod *sod = NULL;
	unsigned char *buf;
	size_t len;
	int r;

	buf = tv_read(vdir, "bsi_refset_hjp_EF_SOD.bin", &len);
	r = card_sod_parse(buf, len, &sod);
	free(buf);
	T_EQ_INT(r, 0);
	T_EQ_STR(sod->econtent_type, "2.23.136.1.1.1");
	T_EQ_INT(sod->version, 0);
	T_EQ_STR(sod->hash_oid, "2.16.840.1.101.3.4.2.1");
	T_ASSERT(sod->md != NULL && EVP_MD_get_size(sod->md) == 32);
	T_EQ_INT(sod->nhashes, 5);
	T_ASSERT(card_sod_find(sod, 3) != NULL && card_sod_find(sod, 4) != NULL);
	T_ASSERT(card_sod_find(sod, 15) == NULL);
	T_ASSERT(hash_matches(sod, 1, "bsi_refset_hjp_DG1.bin"));
	T_ASSERT(hash_matches(sod, 2, "bsi_refset_DG2.bin"));
	T_ASSERT(hash_matches(sod, 14, "bsi_refset_hjp_DG14.bin"));
	card_sod_free(&sod);
	T_ASSERT(sod == NULL);
	card_sod_free(&sod);
}

T_CASE(test_bdrtest_sod)
{
	struct card_sod *sod = NULL;
	unsigned char *buf;
	size_t len;
	int r;

	buf = tv_read(vdir, "bsi_bdrtest_EF_SOD.bin", &len);
	r = card_sod_parse(buf, len, &sod);
	free(buf);
	T_EQ_INT(r, 0);
	T_EQ_STR(sod->hash_oid, "1.3.14.3.2.26");
	T_EQ_INT(sod->nhashes, 4);
	T_ASSERT(hash_matches(sod, 1, "bsi_bdrtest_DG1.bin"));
	T_ASSERT(hash_matches(sod, 2, "bsi_refset_DG2.bin"));
	T_ASSERT(!hash_matches(sod, 1, "bsi_refset_hjp_DG1.bin"));  /* other expiry date */
	card_sod_free(&sod);
}

T_CASE(test_broken_sods)
{
	struct card_sod *sod = NULL;
	unsigned char *buf;
	size_t len, cut;
	uint8_t garbage[64];

	buf = tv_read(vdir, "bsi_refset_hjp_EF_SOD.bin", &len);
	for (cut = 1; cut < len; cut += 97)
		if (card_sod_parse(buf, len - cut, &sod) == 0 || sod != NULL) {
			card_sod_free(&sod);
			free(buf);
			T_FAIL("truncated by %zu accepted", cut);
		}
	buf[0] = 0x30;                  /* not tag 77 */
	T_EQ_INT(card_sod_parse(buf, len, &sod), EID_ERR_TLV);
	buf[0] = 0x77;
	buf[0x39] ^= 0x02;              /* eContentType 2.23.136.1.1.1 -> 2.23.136.1.1.3 */
	T_EQ_INT(card_sod_parse(buf, len, &sod), EID_ERR_LDS);
	free(buf);
	memset(garbage, 0xA5, sizeof(garbage));
	garbage[0] = 0x77;
	garbage[1] = 0x3E;
	T_EQ_INT(card_sod_parse(garbage, sizeof(garbage), &sod), EID_ERR_LDS);
	T_ASSERT(sod == NULL);
}

int
main(int argc, char **argv)
{
	vdir = argc > 1 ? argv[1] : "tests/vectors";
	T_RUN(test_refset_sod);
	T_RUN(test_bdrtest_sod);
	T_RUN(test_broken_sods);
	return t_done();
}
