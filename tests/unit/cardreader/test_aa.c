/* test_aa.c - card_aa: ISO 9796-2 RSA (a real chip's vector and signatures made here)
 * and ECDSA plain r||s, with wrong challenges and other keys. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "tdata.h"
#include "testpki.h"
#include "card_aa.h"
#include "card_lds.h"

static const uint8_t challenge[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF };

/* VECTORS.md §1.4: a real passport's AA key and signature (pymrtd) */
T_CASE(test_rsa_real_chip_vector)
{
	uint8_t dg15[300], ch[8], sig[128];
	EVP_PKEY *pk = NULL;
	size_t dl, sl;
	int r_ok, r_ch, r_sig;

	dl = hex2bin("6F81A230819F300D06092A864886F70D010101050003818D0030818902818100BD8620D4"
	    "5693E1CD8678639F22E9553F09E3AFD87BD26000113CE2798B7A02A2E0AB6B7525D09072109D938D6708"
	    "167E8FAFAF83F17BFBA36CECCE26058C7ED9AE29516755B19F78CE0E73DA02340B117B8AB2ECA007F139"
	    "0E93E896016335EB5C1E330B961C03E253D17874F7ABEE8D4962C49FFE578D46954FF23B26F5E5550203"
	    "010001", dg15, sizeof(dg15));
	T_EQ_INT(hex2bin("47E4EE7F211F7326", ch, sizeof(ch)), 8);
	sl = hex2bin("8AECE4E0AB1A6B9E06B31ACBA51AE316D0B7B48E2F5FE13E575060F6B9DC27A2F9D03DCF6"
	    "7A141F466EEC753879106BE0992F46F5EAAD075EB1886D2ACE90D60C2EDA69880780CE4FA36EF27AB01C"
	    "47527BD23B178EC8F213307281572C219487FC11B2C3D9C144DC98D96D1A79A7478449D692D3D14E8C04"
	    "4F81B3ADF0047E0", sig, sizeof(sig));
	T_EQ_INT(sl, 128);
	T_EQ_INT(card_lds_dg15_parse(dg15, dl, &pk), 0);
	r_ok = card_aa_verify(pk, ch, 8, sig, sl, NULL);
	ch[7] ^= 0x01;
	r_ch = card_aa_verify(pk, ch, 8, sig, sl, NULL);
	ch[7] ^= 0x01;
	sig[60] ^= 0x01;
	r_sig = card_aa_verify(pk, ch, 8, sig, sl, NULL);
	EVP_PKEY_free(pk);
	T_EQ_INT(r_ok, 0);
	T_EQ_INT(r_ch, EID_ERR_ACTIVE_AUTH);
	T_EQ_INT(r_sig, EID_ERR_ACTIVE_AUTH);
}

/* Sign as a chip would: F = 6A || M1 || H(M1 || challenge) || trailer, s = F^d mod n */
static int
rsa9796_sign(EVP_PKEY *key, const EVP_MD *md, uint8_t trailer_id, const uint8_t *ch,
    uint8_t *sig, size_t *siglen)
{
	uint8_t f[512];
	size_t k = (size_t)EVP_PKEY_get_size(key), h = (size_t)EVP_MD_get_size(md);
	size_t t = trailer_id == 0 ? 1 : 2, m1 = k - 1 - h - t, i;
	unsigned int hl = 0;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(key, NULL);
	int ok;

	f[0] = 0x6A;
	for (i = 0; i < m1; i++)
		f[1 + i] = (uint8_t)(i * 7 + 3);
	ok = mc && pc && EVP_DigestInit_ex(mc, md, NULL) && EVP_DigestUpdate(mc, f + 1, m1) &&
	    EVP_DigestUpdate(mc, ch, 8) && EVP_DigestFinal_ex(mc, f + 1 + m1, &hl);
	if (t == 1) {
		f[k - 1] = 0xBC;
	} else {
		f[k - 2] = trailer_id;
		f[k - 1] = 0xCC;
	}
	*siglen = k;
	ok = ok && EVP_PKEY_sign_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING) == 1 &&
	    EVP_PKEY_sign(pc, sig, siglen, f, k) == 1;
	EVP_MD_CTX_free(mc);
	EVP_PKEY_CTX_free(pc);
	return ok ? 0 : -1;
}

T_CASE(test_rsa_generated)
{
	EVP_PKEY *key = tp_key_rsa(2048), *other = tp_key_rsa(2048);
	uint8_t sig[256], ch2[8];
	size_t sl = 0;
	BIGNUM *n = NULL, *s = NULL;
	int r1, r2, r3, r4, r5, r6;

	T_ASSERT(key != NULL && other != NULL);
	memcpy(ch2, challenge, 8);
	ch2[0] ^= 0x80;
	r1 = rsa9796_sign(key, EVP_sha1(), 0, challenge, sig, &sl) == 0 ?
	    card_aa_verify(key, challenge, 8, sig, sl, NULL) : -999;
	r2 = card_aa_verify(key, ch2, 8, sig, sl, NULL);
	r3 = card_aa_verify(other, challenge, 8, sig, sl, NULL);
	/* the chip may return n - s instead of s */
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	    (s = BN_bin2bn(sig, (int)sl, NULL)) != NULL && BN_sub(s, n, s) &&
	    BN_bn2binpad(s, sig, (int)sl) == (int)sl)
		r4 = card_aa_verify(key, challenge, 8, sig, sl, NULL);
	else
		r4 = -999;
	/* SHA-256 with the explicit trailer 34 CC */
	r5 = rsa9796_sign(key, EVP_sha256(), 0x34, challenge, sig, &sl) == 0 ?
	    card_aa_verify(key, challenge, 8, sig, sl, NULL) : -999;
	/* a wrong length and a short challenge */
	r6 = card_aa_verify(key, challenge, 7, sig, sl, NULL);
	BN_free(n);
	BN_free(s);
	T_EQ_INT(card_aa_verify(key, challenge, 8, sig, sl - 1, NULL), EID_ERR_ACTIVE_AUTH);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	T_EQ_INT(r1, 0);
	T_EQ_INT(r2, EID_ERR_ACTIVE_AUTH);
	T_EQ_INT(r3, EID_ERR_ACTIVE_AUTH);
	T_EQ_INT(r4, 0);
	T_EQ_INT(r5, 0);
	T_EQ_INT(r6, EID_ERR_INVALID_ARGUMENT);
}

/* ECDSA signature over the challenge as plain r || s (olen bytes each) and as DER */
static int
ec_sign(EVP_PKEY *key, const EVP_MD *md, const uint8_t *ch, uint8_t *plain, size_t olen,
    uint8_t *der, size_t *derlen)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	ECDSA_SIG *es = NULL;
	const unsigned char *p;
	int ok;

	ok = mc && EVP_DigestSignInit(mc, NULL, md, NULL, key) == 1 &&
	    EVP_DigestSign(mc, der, derlen, ch, 8) == 1;
	p = der;
	ok = ok && (es = d2i_ECDSA_SIG(NULL, &p, (long)*derlen)) != NULL &&
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), plain, (int)olen) == (int)olen &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), plain + olen, (int)olen) == (int)olen;
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(mc);
	return ok ? 0 : -1;
}

T_CASE(test_ecdsa_plain)
{
	static const char *curves[] = { "brainpoolP256r1", "prime256v1" };
	uint8_t plain[64], der[80], ch2[8];
	size_t dl, i;
	EVP_PKEY *key, *other;
	int r[5];

	memcpy(ch2, challenge, 8);
	ch2[3] ^= 0x10;
	for (i = 0; i < 2; i++) {
		key = tp_key_ec(curves[i], i == 0);     /* brainpool with explicit params */
		other = tp_key_ec(curves[i], 0);
		dl = sizeof(der);
		r[0] = key && other && ec_sign(key, EVP_sha256(), challenge, plain, 32, der, &dl) == 0 ?
		    card_aa_verify(key, challenge, 8, plain, 64, NULL) : -999;
		r[1] = card_aa_verify(key, challenge, 8, der, dl, NULL);        /* DER fallback */
		r[2] = card_aa_verify(key, ch2, 8, plain, 64, NULL);
		r[3] = card_aa_verify(other, challenge, 8, plain, 64, NULL);
		plain[10] ^= 0x04;
		r[4] = card_aa_verify(key, challenge, 8, plain, 64, NULL);
		EVP_PKEY_free(key);
		EVP_PKEY_free(other);
		T_EQ_INT(r[0], 0);
		T_EQ_INT(r[1], 0);
		T_EQ_INT(r[2], EID_ERR_ACTIVE_AUTH);
		T_EQ_INT(r[3], EID_ERR_ACTIVE_AUTH);
		T_EQ_INT(r[4], EID_ERR_ACTIVE_AUTH);
	}
}

T_CASE(test_ecdsa_hash_from_dg14_oid)
{
	EVP_PKEY *key = tp_key_ec("prime256v1", 0);
	uint8_t plain[64], der[80];
	size_t dl = sizeof(der);
	const EVP_MD *md = card_aa_hash_from_oid("0.4.0.127.0.7.1.1.4.1.4");
	int r1, r2;

	T_ASSERT(md != NULL && EVP_MD_get_size(md) == 48);
	T_ASSERT(card_aa_hash_from_oid("0.4.0.127.0.7.1.1.4.1.1") == NULL);    /* SHA-1 refused */
	T_ASSERT(card_aa_hash_from_oid("1.2.3") == NULL);
	r1 = key && ec_sign(key, md, challenge, plain, 32, der, &dl) == 0 ?
	    card_aa_verify(key, challenge, 8, plain, 64, md) : -999;
	r2 = card_aa_verify(key, challenge, 8, plain, 64, NULL);   /* default SHA-256: no */
	EVP_PKEY_free(key);
	T_EQ_INT(r1, 0);
	T_EQ_INT(r2, EID_ERR_ACTIVE_AUTH);
}

int
main(void)
{
	T_RUN(test_rsa_real_chip_vector);
	T_RUN(test_rsa_generated);
	T_RUN(test_ecdsa_plain);
	T_RUN(test_ecdsa_hash_from_dg14_oid);
	return t_done();
}
