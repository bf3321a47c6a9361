/* test_trust.c - card_trust: the Vietnamese CSCA, PEM/DER loading, CRLs, master lists. */
#include <string.h>

#include <openssl/pem.h>

#include "tdata.h"
#include "testpki.h"
#include "card_trust.h"

static const char *vdir;
static time_t now;

T_CASE(test_vn_csca)
{
	struct card_trust *ct = NULL;
	struct card_trust_entry e;
	char path[1024];
	size_t added = 99;
	int r1, r2, r3;

	snprintf(path, sizeof(path), "%s/icao/CSCA_VN_ePassport_2022.cer", vdir);
	T_EQ_INT(card_trust_new(&ct), 0);
	r1 = card_trust_add_cert_file(ct, path, &added);
	r2 = card_trust_entry(ct, 0, &e);
	r3 = card_trust_add_cert_file(ct, path, &added);    /* duplicate: skipped */
	T_EQ_INT(card_trust_count(ct), 1);
	card_trust_free(&ct);
	T_ASSERT(ct == NULL);
	T_EQ_INT(r1, 0);
	T_EQ_INT(r2, 0);
	T_EQ_INT(r3, 0);
	T_EQ_INT(added, 0);
	printf("# %s | %s | %s | %s\n", e.subject, e.serial, e.not_after_text, e.sha256);
	T_ASSERT(strstr(e.subject, "CN=CSCA ePassport Vietnam") != NULL);
	T_ASSERT(strstr(e.subject, "C=VN") != NULL);
	T_EQ_STR(e.serial, "506F1357A3A196C24DC32CF464140CAE");
	T_ASSERT(strncmp(e.not_after_text, "2037-10-01", 10) == 0);
	T_EQ_STR(e.sha256, "6b5fa6fe45cc4e855a73760413e08b7a9ac50a27722c702f3909a90facc991bd");
}

T_CASE(test_pem_and_errors)
{
	struct card_trust *ct = NULL;
	struct card_trust_entry e;
	unsigned char *der;
	const unsigned char *p;
	size_t len, added = 0;
	X509 *vn = NULL, *mine = NULL;
	EVP_PKEY *k = NULL;
	BIO *b = NULL;
	char *pem;
	long pl;
	int r;

	der = tv_read(vdir, "CSCA_VN_ePassport_2022.cer", &len);
	p = der;
	vn = d2i_X509(NULL, &p, (long)len);
	k = tp_key_ec("prime256v1", 0);
	mine = tp_cert("CSCA PEM", k, NULL, NULL, 1, 5, now, now + 10 * TP_DAY);
	b = BIO_new(BIO_s_mem());
	T_ASSERT(vn && mine && b && PEM_write_bio_X509(b, vn) && PEM_write_bio_X509(b, mine));
	pl = BIO_get_mem_data(b, &pem);
	T_EQ_INT(card_trust_new(&ct), 0);
	r = card_trust_add_cert(ct, (const uint8_t *)pem, (size_t)pl, &added);
	T_EQ_INT(r, 0);
	T_EQ_INT(added, 2);
	T_EQ_INT(card_trust_count(ct), 2);
	T_EQ_INT(card_trust_entry(ct, 2, &e), EID_ERR_NOT_FOUND);
	/* garbage, truncated DER, DER with trailing bytes, empty PEM */
	T_EQ_INT(card_trust_add_cert(ct, (const uint8_t *)"hello", 5, NULL), EID_ERR_ENCODING);
	T_EQ_INT(card_trust_add_cert(ct, der, len - 1, NULL), EID_ERR_ENCODING);
	T_EQ_INT(card_trust_add_cert(ct, (const uint8_t *)"-----BEGIN X-----\n", 18, NULL),
	    EID_ERR_ENCODING);
	T_EQ_INT(card_trust_add_crl(ct, der, len, NULL), EID_ERR_ENCODING);
	T_EQ_INT(card_trust_add_masterlist(ct, der, len, CARD_TRUST_ML_CHAIN, 0, NULL),
	    EID_ERR_ENCODING);
	T_EQ_INT(card_trust_count(ct), 2);
	card_trust_free(&ct);
	BIO_free(b);
	X509_free(vn);
	X509_free(mine);
	EVP_PKEY_free(k);
	free(der);
}

T_CASE(test_crl_load)
{
	struct card_trust *ct = NULL;
	EVP_PKEY *k = tp_key_ec("prime256v1", 0);
	X509 *ca = tp_cert("CSCA CRL", k, NULL, NULL, 1, 9, now, now + TP_DAY);
	X509_CRL *crl = tp_crl(ca, k, NULL, 0, now, now + TP_DAY);
	BIO *b = BIO_new(BIO_s_mem());
	uint8_t *der = NULL;
	size_t len = 0, added = 0;
	char *pem;
	long pl;
	int r1, r2, r3;

	T_ASSERT(crl != NULL && b != NULL && PEM_write_bio_X509_CRL(b, crl));
	pl = BIO_get_mem_data(b, &pem);
	T_EQ_INT(card_trust_new(&ct), 0);
	r1 = card_trust_add_crl(ct, (const uint8_t *)pem, (size_t)pl, &added);
	T_EQ_INT(tp_crl_der(crl, &der, &len), 0);
	r2 = card_trust_add_crl(ct, der, len, &added);      /* same CRL again */
	r3 = card_trust_crl_count(ct) == 1 ? 0 : -1;
	free(der);
	card_trust_free(&ct);
	BIO_free(b);
	X509_CRL_free(crl);
	X509_free(ca);
	EVP_PKEY_free(k);
	T_EQ_INT(r1, 0);
	T_EQ_INT(r2, 0);
	T_EQ_INT(r3, 0);
}

T_CASE(test_masterlist)
{
	struct card_trust *ct = NULL;
	EVP_PKEY *ka = tp_key_ec("brainpoolP256r1", 1), *kb = tp_key_rsa(2048),
	    *ks = tp_key_ec("prime256v1", 0);
	X509 *a = tp_cert("CSCA A", ka, NULL, NULL, 1, 11, now - TP_DAY, now + 100 * TP_DAY);
	X509 *bb = tp_cert("CSCA B", kb, NULL, NULL, 1, 12, now - TP_DAY, now + 100 * TP_DAY);
	X509 *signer = tp_cert("ML signer A", ks, a, ka, 0, 13, now - TP_DAY, now + 10 * TP_DAY);
	X509 *list[2];
	uint8_t *ml = NULL, *der = NULL;
	size_t mll = 0, dl = 0, added = 0;
	int r_chain_empty, r_chain, r_self, r_bad, r_time;
	size_t added_chain, added_self;

	list[0] = a;
	list[1] = bb;
	T_ASSERT(a && bb && signer);
	T_EQ_INT(tp_masterlist(signer, ks, list, 2, &ml, &mll), 0);
	T_EQ_INT(tp_cert_der(a, &der, &dl), 0);

	T_EQ_INT(card_trust_new(&ct), 0);
	/* chain mode, nothing trusted yet: refused, nothing added */
	r_chain_empty = card_trust_add_masterlist(ct, ml, mll, CARD_TRUST_ML_CHAIN, now, &added);
	T_EQ_INT(card_trust_count(ct), 0);
	/* trust CSCA A first: the list (A, B) is accepted, B is new */
	T_EQ_INT(card_trust_add_cert(ct, der, dl, NULL), 0);
	r_chain = card_trust_add_masterlist(ct, ml, mll, CARD_TRUST_ML_CHAIN, now, &added);
	added_chain = added;
	/* signer expired at that time */
	r_time = card_trust_add_masterlist(ct, ml, mll, CARD_TRUST_ML_CHAIN,
	    now + 50 * TP_DAY, &added);
	card_trust_free(&ct);
	/* self-consistent mode from an empty store */
	T_EQ_INT(card_trust_new(&ct), 0);
	r_self = card_trust_add_masterlist(ct, ml, mll, CARD_TRUST_ML_SELF_CONSISTENT, 0, &added);
	added_self = added;
	/* a flipped bit in the signature */
	ml[mll - 1] ^= 0x01;
	r_bad = card_trust_add_masterlist(ct, ml, mll, CARD_TRUST_ML_SELF_CONSISTENT, 0, &added);
	card_trust_free(&ct);
	free(ml);
	free(der);
	X509_free(a); X509_free(bb); X509_free(signer);
	EVP_PKEY_free(ka); EVP_PKEY_free(kb); EVP_PKEY_free(ks);
	T_EQ_INT(r_chain_empty, EID_ERR_TRUST);
	T_EQ_INT(r_chain, 0);
	T_EQ_INT(added_chain, 1);
	T_EQ_INT(r_time, EID_ERR_TRUST);
	T_EQ_INT(r_self, 0);
	T_EQ_INT(added_self, 2);
	T_EQ_INT(r_bad, EID_ERR_BAD_SIGNATURE);
}

int
main(int argc, char **argv)
{
	vdir = argc > 1 ? argv[1] : "tests/vectors";
	now = time(NULL);
	T_RUN(test_vn_csca);
	T_RUN(test_pem_and_errors);
	T_RUN(test_crl_load);
	T_RUN(test_masterlist);
	return t_done();
}
