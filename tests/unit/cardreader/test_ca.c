/*
 * test_ca.c - Chip Authentication, terminal side (card_ca): DG14 parameters of the CCCD
 * test cards and of the BSI specimen, the MSE:Set AT data, session keys against a vector
 * computed independently (python3-cryptography ECDH + the ICAO KDF), both sides of a
 * fresh key agreement, and refusals (off-curve chip key, foreign curve, garbage).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "card_ca.h"
#include "cx_util.h"
#include "tdata.h"

static const char *vdir;

/* cccd1's DG14 key (cards.json dg14.ca_public_key) */
static const char chip_point_hex[] =
    "043E12BF99D456677D7061D0ADDC85B7473E5755DF9F77BD076E3316209D37BF35"
    "4FDA4D03B21BF422115EC6443764584055B43142CFCAF82825A0090169662A65";
/* terminal point from a fixed scalar, and the keys python3-cryptography + SHA-1 KDF give */
static const char term_point_hex[] =
    "04A42B2BF4C9384B17DAEBCC1936B0CDFD52EA085AE097301C16EC836211C32BC0"
    "931CA00973D0842DFA05D2DE67CB8C0367CFE10689FCBB4A63CE8AF40FF869AE";
static const char kenc_hex[] = "EB743B34E3AC10BB2CEA82B050767B33";
static const char kmac_hex[] = "A69C562402706D34D3CB17E9CB4AA6AA";

static size_t
unhex(const char *h, uint8_t *out, size_t outsz)
{
	size_t n = strlen(h) / 2, i;
	unsigned v;

	if (n > outsz)
		return 0;
	for (i = 0; i < n; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n;
}

static uint8_t *
card_file(const char *card, const char *name, size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/cccd/cards/%s/%s", vdir, card, name);
	return t_read_file(path, len);
}

static EVP_PKEY *
chip_private(const char *card)
{
	char path[1024];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/cccd/cards/%s/ca_key.pem", vdir, card);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

/* An EC public key on a named curve from an uncompressed point. */
static EVP_PKEY *
point_key(const char *curve, const uint8_t *pt, size_t n)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *p = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;

	if (b == NULL || !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, n) ||
	    (p = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	return k;
}

T_CASE(test_params_cccd)
{
	static const char *const cards[] = { "cccd1", "cccd2", "cccd3" };
	struct card_ca_params p;
	uint8_t *dg14, pt[CARD_CA_MAX_POINT], want[CARD_CA_MAX_POINT];
	size_t len, n, wn, i;
	int r;

	for (i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		T_ASSERT((dg14 = card_file(cards[i], "DG14.bin", &len)) != NULL);
		r = card_ca_params_from_dg14(dg14, len, &p);
		free(dg14);
		T_EQ_INT(r, 0);
		T_EQ_INT(p.version, 1);
		T_EQ_INT(p.key_id, -1);
		T_EQ_INT(EVP_PKEY_get_bits(p.chip_key), 256);
		r = card_ca_public_point(p.chip_key, pt, sizeof(pt), &n);
		if (i == 0) {
			wn = unhex(chip_point_hex, want, sizeof(want));
			T_EQ_MEM(pt, n, want, wn);
		}
		card_ca_params_clear(&p);
		card_ca_params_clear(&p);       /* twice is safe */
		T_EQ_INT(r, 0);
		T_EQ_INT(n, 65);
	}
}

T_CASE(test_params_refused)
{
	struct card_ca_params p;
	uint8_t *dg14, *bad;
	size_t len, i;
	int r;

	/* the BSI specimen offers CA with 3DES (0.4.0.127.0.7.2.2.3.2.1) only */
	T_ASSERT((dg14 = tv_read(vdir, "bsi_refset_hjp_DG14.bin", &len)) != NULL);
	r = card_ca_params_from_dg14(dg14, len, &p);
	free(dg14);
	T_EQ_INT(r, EID_ERR_UNSUPPORTED);
	T_ASSERT(p.chip_key == NULL);
	T_EQ_INT(card_ca_params_from_dg14(NULL, 0, &p), EID_ERR_UNSUPPORTED);
	T_EQ_INT(card_ca_params_from_dg14((const uint8_t *)"\x6E\x03\x31\x01", 4, &p), EID_ERR_LDS);

	/* the chip point moved off the curve: the key does not decode */
	T_ASSERT((dg14 = card_file("cccd1", "DG14.bin", &len)) != NULL);
	bad = NULL;
	for (i = 0; i + 65 <= len; i++) {
		uint8_t want[65];

		unhex(chip_point_hex, want, sizeof(want));
		if (memcmp(dg14 + i, want, 65) == 0) {
			bad = dg14 + i;
			break;
		}
	}
	if (bad == NULL) {
		free(dg14);
		T_FAIL("chip point not found in DG14");
	}
	bad[64] ^= 0x01;
	r = card_ca_params_from_dg14(dg14, len, &p);
	free(dg14);
	T_EQ_INT(r, EID_ERR_KEY);
	T_ASSERT(p.chip_key == NULL);
}

T_CASE(test_mse_data)
{
	static const uint8_t want[] = { 0x80, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03,
	    0x02, 0x02 };
	struct card_ca_params p = { -1, 1, NULL };
	uint8_t out[32];
	size_t n;

	T_EQ_INT(card_ca_mse_data(&p, out, sizeof(out), &n), 0);
	T_EQ_MEM(out, n, want, sizeof(want));
	p.key_id = 1;
	T_EQ_INT(card_ca_mse_data(&p, out, sizeof(out), &n), 0);
	T_EQ_INT(n, sizeof(want) + 3);
	T_ASSERT(memcmp(out + sizeof(want), "\x84\x01\x01", 3) == 0);
	p.key_id = 0x80;                /* INTEGER content keeps a leading zero */
	T_EQ_INT(card_ca_mse_data(&p, out, sizeof(out), &n), 0);
	T_EQ_INT(n, sizeof(want) + 4);
	T_ASSERT(memcmp(out + sizeof(want), "\x84\x02\x00\x80", 4) == 0);
	p.key_id = 0x7FFFFFFF;          /* the largest: four bytes, no leading zero */
	T_EQ_INT(card_ca_mse_data(&p, out, sizeof(out), &n), 0);
	T_EQ_INT(n, sizeof(want) + 6);
	T_ASSERT(memcmp(out + sizeof(want), "\x84\x04\x7F\xFF\xFF\xFF", 6) == 0);
	p.key_id = 0x800000;            /* three bytes with the top bit set: a zero in front */
	T_EQ_INT(card_ca_mse_data(&p, out, sizeof(out), &n), 0);
	T_ASSERT(n == sizeof(want) + 6 && memcmp(out + sizeof(want), "\x84\x04\x00\x80\x00\x00", 6) == 0);
	p.key_id = 0x80000000L;
	T_EQ_INT(card_ca_mse_data(&p, out, sizeof(out), &n), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(card_ca_mse_data(&p, out, 8, &n), EID_ERR_TOO_LARGE);
}

T_CASE(test_keys_vector)
{
	uint8_t pt[65], want_enc[16], want_mac[16], kenc[16], kmac[16];
	EVP_PKEY *chip = chip_private("cccd1"), *term = NULL;
	int r;

	unhex(term_point_hex, pt, sizeof(pt));
	unhex(kenc_hex, want_enc, sizeof(want_enc));
	unhex(kmac_hex, want_mac, sizeof(want_mac));
	term = point_key("brainpoolP256r1", pt, sizeof(pt));
	if (chip == NULL || term == NULL) {
		EVP_PKEY_free(chip);
		EVP_PKEY_free(term);
		T_FAIL("cannot load the keys");
	}
	/* the chip's side of the agreement: its static private key, the terminal's point */
	r = card_ca_session_keys(chip, term, kenc, kmac);
	EVP_PKEY_free(chip);
	EVP_PKEY_free(term);
	T_EQ_INT(r, 0);
	T_EQ_MEM(kenc, 16, want_enc, 16);
	T_EQ_MEM(kmac, 16, want_mac, 16);
}

T_CASE(test_agreement_both_sides)
{
	struct card_ca_params p;
	EVP_PKEY *eph = NULL, *chip = chip_private("cccd2"), *other = NULL;
	uint8_t *dg14, pt[CARD_CA_MAX_POINT], t_enc[16], t_mac[16], c_enc[16], c_mac[16];
	uint8_t x_enc[16], x_mac[16];
	size_t len, n;
	int r1, r2, r3, r4;

	T_ASSERT(chip != NULL);
	T_ASSERT((dg14 = card_file("cccd2", "DG14.bin", &len)) != NULL);
	r1 = card_ca_params_from_dg14(dg14, len, &p);
	free(dg14);
	T_EQ_INT(r1, 0);
	r1 = card_ca_ephemeral(&p, &eph);
	r2 = r1 == 0 ? card_ca_public_point(eph, pt, sizeof(pt), &n) : -1;
	/* terminal: ephemeral x DG14 key (explicit parameters); chip: static key x ephemeral */
	r3 = r2 == 0 ? card_ca_session_keys(eph, p.chip_key, t_enc, t_mac) : -1;
	r4 = r3 == 0 ? card_ca_session_keys(chip, eph, c_enc, c_mac) : -1;
	/* a key on another curve is refused */
	{
		EVP_PKEY_CTX *g = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);

		if (g != NULL && EVP_PKEY_keygen_init(g) == 1 &&
		    EVP_PKEY_CTX_set_group_name(g, "prime256v1") == 1)
			(void)EVP_PKEY_keygen(g, &other);
		EVP_PKEY_CTX_free(g);
	}
	T_ASSERT(other != NULL);
	T_EQ_INT(card_ca_session_keys(eph, other, x_enc, x_mac), EID_ERR_KEY);
	EVP_PKEY_free(other);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(chip);
	card_ca_params_clear(&p);
	T_EQ_INT(r1, 0);
	T_EQ_INT(r2, 0);
	T_EQ_INT(n, 65);
	T_EQ_INT(r3, 0);
	T_EQ_INT(r4, 0);
	T_EQ_MEM(t_enc, 16, c_enc, 16);
	T_EQ_MEM(t_mac, 16, c_mac, 16);
	T_ASSERT(memcmp(t_enc, t_mac, 16) != 0);
	T_EQ_INT(card_ca_session_keys(NULL, NULL, t_enc, t_mac), EID_ERR_INVALID_ARGUMENT);
}

int
main(int argc, char **argv)
{
	vdir = argc > 1 ? argv[1] : "tests/vectors";
	T_RUN(test_params_cccd);
	T_RUN(test_params_refused);
	T_RUN(test_mse_data);
	T_RUN(test_keys_vector);
	T_RUN(test_agreement_both_sides);
	return t_done();
}
