/* test_pa.c - card_pa: passive authentication on the BSI specimens (DS signature step,
 * time checks off) and on a PKI generated here (RSA, RSA-PSS, ECDSA brainpoolP256r1
 * with explicit parameters), with tampered DGs, untrusted/revoked/expired DS. */
#include <string.h>

#include "tdata.h"
#include "testpki.h"
#include "card_pa.h"
#include "card_trust.h"

static const char *vdir;
static time_t now;

static int
has_reason(const struct card_pa_result *res, const char *why)
{
	size_t i;

	for (i = 0; i < res->nreasons; i++)
		if (strcmp(res->reasons[i], why) == 0)
			return 1;
	return 0;
}

static void
dump(const struct card_pa_result *res)
{
	size_t i;

	printf("# sig=%s ds=%s dg=%s reasons:", card_check_result_str(res->sod_signature),
	    card_check_result_str(res->document_signer),
	    card_check_result_str(res->data_group_hashes));
	for (i = 0; i < res->nreasons; i++)
		printf(" %s", res->reasons[i]);
	printf("\n");
}

/* ---------------------------------------------------------------- BSI specimens */

T_CASE(test_bsi_refset_pss)
{
	struct card_pa_opts opts = { .at = 0, .no_time_check = 1 };
	struct card_pa_result res;
	unsigned char *sod, *dg1, *dg2, *dg14, *dg15;
	size_t sl, l1, l2, l14, l15;
	struct card_pa_dg dgs[4];
	int r;

	sod = tv_read(vdir, "bsi_refset_hjp_EF_SOD.bin", &sl);
	dg1 = tv_read(vdir, "bsi_refset_hjp_DG1.bin", &l1);
	dg2 = tv_read(vdir, "bsi_refset_DG2.bin", &l2);
	dg14 = tv_read(vdir, "bsi_refset_hjp_DG14.bin", &l14);
	dg15 = tv_read(vdir, "bsi_refset_hjp_DG15.bin", &l15);
	dgs[0] = (struct card_pa_dg){ 1, dg1, l1 };
	dgs[1] = (struct card_pa_dg){ 2, dg2, l2 };
	dgs[2] = (struct card_pa_dg){ 14, dg14, l14 };
	r = card_pa_verify(sod, sl, dgs, 3, NULL, &opts, &res);
	dump(&res);
	/* DG15 is not in this SOD */
	dgs[3] = (struct card_pa_dg){ 15, dg15, l15 };
	{
		struct card_pa_result res2;

		int r3 = card_pa_verify(sod, sl, dgs, 4, NULL, &opts, &res2);

		free(sod); free(dg1); free(dg2); free(dg14); free(dg15);
		T_EQ_INT(r3, EID_ERR_TRUST);
		T_EQ_INT(res2.data_group_hashes, CARD_CHECK_FAIL);
		T_ASSERT(has_reason(&res2, "dg_not_in_sod:15"));
	}
	T_EQ_INT(r, EID_ERR_TRUST);     /* no CSCA published for this DS */
	T_EQ_INT(res.sod_signature, CARD_CHECK_PASS);       /* RSASSA-PSS SHA-256 */
	T_EQ_INT(res.document_signer, CARD_CHECK_FAIL);
	T_ASSERT(has_reason(&res, "no_trust_store"));
	T_EQ_INT(res.data_group_hashes, CARD_CHECK_PASS);
	T_EQ_STR(res.hash_alg, "SHA256");
	T_ASSERT(strstr(res.ds_subject, "HJP PB DS") != NULL);
	T_EQ_INT(res.dg_verified, 0);   /* never set unless everything passed */
}

T_CASE(test_bsi_bdrtest_ecdsa_explicit)
{
	struct card_pa_opts opts = { .at = 0, .no_time_check = 1 };
	struct card_pa_result res;
	struct card_trust *trust = NULL;
	unsigned char *sod, *dg1, *dg2, *other;
	size_t sl, l1, l2, lo;
	struct card_pa_dg dgs[2];
	int r, r2;

	sod = tv_read(vdir, "bsi_bdrtest_EF_SOD.bin", &sl);
	dg1 = tv_read(vdir, "bsi_bdrtest_DG1.bin", &l1);
	dg2 = tv_read(vdir, "bsi_refset_DG2.bin", &l2);
	other = tv_read(vdir, "bsi_refset_hjp_DG1.bin", &lo);
	dgs[0] = (struct card_pa_dg){ 1, dg1, l1 };
	dgs[1] = (struct card_pa_dg){ 2, dg2, l2 };
	/* with the Vietnamese CSCA as the only anchor: signature fine, DS untrusted */
	if (card_trust_new(&trust) != 0 ||
	    card_trust_add_cert_file(trust, "/nonexistent", NULL) != EID_ERR_IO)
		T_FAIL("trust");
	{
		char path[1024];

		snprintf(path, sizeof(path), "%s/icao/CSCA_VN_ePassport_2022.cer", vdir);
		r = card_trust_add_cert_file(trust, path, NULL);
	}
	r2 = card_pa_verify(sod, sl, dgs, 2, trust, &opts, &res);
	dump(&res);
	/* the other specimen's DG1 (different expiry) does not match this SOD */
	{
		struct card_pa_result res2;
		struct card_pa_dg bad = { 1, other, lo };

		int r3 = card_pa_verify(sod, sl, &bad, 1, NULL, &opts, &res2);

		free(sod); free(dg1); free(dg2); free(other);
		card_trust_free(&trust);
		T_EQ_INT(r3, EID_ERR_TRUST);
		T_ASSERT(has_reason(&res2, "dg_hash_mismatch:1"));
		T_EQ_INT(res2.sod_signature, CARD_CHECK_PASS);
	}
	T_EQ_INT(r, 0);
	T_EQ_INT(r2, EID_ERR_TRUST);
	T_EQ_INT(res.sod_signature, CARD_CHECK_PASS);       /* ecdsa-with-SHA1, explicit brainpoolP224r1 */
	T_ASSERT(has_reason(&res, "ds_untrusted"));
	T_EQ_INT(res.data_group_hashes, CARD_CHECK_PASS);
	T_EQ_STR(res.hash_alg, "SHA1");
}

/* ---------------------------------------------------------------- own PKI */

struct pki {
	EVP_PKEY *csca_key, *ds_key, *ds2_key, *other_key, *ec_csca_key, *ec_ds_key;
	X509 *csca, *ds, *ds_revoked, *ds_expired, *other_csca, *ds_untrusted;
	X509 *ec_csca, *ec_ds;
	X509_CRL *crl;
	struct card_trust *trust;           /* csca + ec_csca + crl */
	struct tbuf dg1, dg2, dg13;
	struct card_pa_dg dgs[3];
};
static struct pki P;

static void
build_dgs(void)
{
	static const char mrz[] = "IDVNM0990123459001099012345<<0"
	    "9905120M3905128VNM<<<<<<<<<<<2" "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<";
	static const uint8_t img[] = { 0xFF, 0xD8, 0xFF, 0xE0, 'f', 'a', 'c', 'e' };
	struct tbuf in = { .n = 0 }, f = { .n = 0 }, s = { .n = 0 };

	tb_tlv(&in, 0x5F1F, mrz, 90);
	tb_tlv(&P.dg1, 0x61, in.b, in.n);
	in.n = 0;
	tb_tlv(&in, 0x5F2E, img, sizeof(img));      /* not a real 19794-5 record: hashes only */
	tb_tlv(&P.dg2, 0x75, in.b, in.n);
	tb_tlv(&f, 0x02, "\x02", 1);
	tb_tlv(&f, 0x0C, "Nguy\xe1\xbb\x85n V\xc4\x83n A", 14);
	tb_tlv(&s, 0x30, f.b, f.n);
	in.n = 0;
	tb_tlv(&in, 0x31, s.b, s.n);
	f.n = 0;
	tb_tlv(&f, 0x30, in.b, in.n);
	tb_tlv(&P.dg13, 0x6D, f.b, f.n);
	P.dgs[0] = (struct card_pa_dg){ 1, P.dg1.b, P.dg1.n };
	P.dgs[1] = (struct card_pa_dg){ 2, P.dg2.b, P.dg2.n };
	P.dgs[2] = (struct card_pa_dg){ 13, P.dg13.b, P.dg13.n };
}

static int
pki_setup(void)
{
	time_t nb = now - 30 * TP_DAY, na = now + 3650 * TP_DAY;
	time_t old_nb = now - 800 * TP_DAY, old_na = now - 400 * TP_DAY;
	X509 *rev[1];
	uint8_t *der = NULL;
	size_t len = 0, added = 0;
	int ok;

	build_dgs();
	P.csca_key = tp_key_rsa(2048);
	P.ds_key = tp_key_rsa(2048);
	P.ds2_key = tp_key_rsa(2048);
	P.other_key = tp_key_rsa(2048);
	P.ec_csca_key = tp_key_ec("brainpoolP256r1", 1);
	P.ec_ds_key = tp_key_ec("brainpoolP256r1", 1);
	if (!P.csca_key || !P.ds_key || !P.ds2_key || !P.other_key || !P.ec_csca_key ||
	    !P.ec_ds_key)
		return -1;
	P.csca = tp_cert("CSCA test", P.csca_key, NULL, NULL, 1, 1, now - 1000 * TP_DAY, na);
	P.ds = tp_cert("DS test 1", P.ds_key, P.csca, P.csca_key, 0, 101, nb, na);
	P.ds_revoked = tp_cert("DS test 2", P.ds2_key, P.csca, P.csca_key, 0, 102, nb, na);
	P.ds_expired = tp_cert("DS test 3", P.ds2_key, P.csca, P.csca_key, 0, 103, old_nb, old_na);
	P.other_csca = tp_cert("CSCA other", P.other_key, NULL, NULL, 1, 7, nb, na);
	P.ds_untrusted = tp_cert("DS other", P.ds2_key, P.other_csca, P.other_key, 0, 201, nb, na);
	P.ec_csca = tp_cert("CSCA EC", P.ec_csca_key, NULL, NULL, 1, 2, nb, na);
	P.ec_ds = tp_cert("DS EC", P.ec_ds_key, P.ec_csca, P.ec_csca_key, 0, 301, nb, na);
	rev[0] = P.ds_revoked;
	P.crl = tp_crl(P.csca, P.csca_key, rev, 1, now - TP_DAY, now + 30 * TP_DAY);
	if (!P.csca || !P.ds || !P.ds_revoked || !P.ds_expired || !P.other_csca ||
	    !P.ds_untrusted || !P.ec_csca || !P.ec_ds || !P.crl)
		return -1;
	if (card_trust_new(&P.trust) != 0)
		return -1;
	ok = tp_cert_der(P.csca, &der, &len) == 0 &&
	    card_trust_add_cert(P.trust, der, len, &added) == 0 && added == 1;
	free(der);
	ok = ok && tp_cert_der(P.ec_csca, &der, &len) == 0 &&
	    card_trust_add_cert(P.trust, der, len, &added) == 0 && added == 1;
	free(der);
	ok = ok && tp_crl_der(P.crl, &der, &len) == 0 &&
	    card_trust_add_crl(P.trust, der, len, &added) == 0 && added == 1;
	free(der);
	return ok ? 0 : -1;
}

static void
pki_teardown(void)
{
	EVP_PKEY_free(P.csca_key); EVP_PKEY_free(P.ds_key); EVP_PKEY_free(P.ds2_key);
	EVP_PKEY_free(P.other_key); EVP_PKEY_free(P.ec_csca_key); EVP_PKEY_free(P.ec_ds_key);
	X509_free(P.csca); X509_free(P.ds); X509_free(P.ds_revoked); X509_free(P.ds_expired);
	X509_free(P.other_csca); X509_free(P.ds_untrusted); X509_free(P.ec_csca);
	X509_free(P.ec_ds);
	X509_CRL_free(P.crl);
	card_trust_free(&P.trust);
}

/* Sign a SOD over P.dgs with (ds, key) and verify it with the given DGs. */
static int
run(X509 *ds, EVP_PKEY *key, const EVP_MD *md, int pss, const struct card_pa_dg *dgs,
    size_t ndgs, const struct card_pa_opts *opts, struct card_pa_result *res)
{
	uint8_t *sod = NULL;
	size_t sl = 0;
	int r;

	memset(res, 0, sizeof(*res));
	if (tp_sod(ds, key, P.dgs, 3, md, pss, &sod, &sl) != 0)
		return 12345;
	r = card_pa_verify(sod, sl, dgs, ndgs, P.trust, opts, res);
	free(sod);
	dump(res);
	return r;
}

T_CASE(test_own_rsa_pass)
{
	struct card_pa_opts opts = { .at = now };
	struct card_pa_result res;

	T_EQ_INT(run(P.ds, P.ds_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res), 0);
	T_EQ_INT(res.sod_signature, CARD_CHECK_PASS);
	T_EQ_INT(res.document_signer, CARD_CHECK_PASS);
	T_EQ_INT(res.data_group_hashes, CARD_CHECK_PASS);
	T_EQ_INT(res.dg_verified, (1u << 1) | (1u << 2) | (1u << 13));
	T_EQ_INT(res.crl_checked, 1);
	T_EQ_INT(res.nreasons, 0);
	/* require_crl is satisfied: the CSCA's CRL is loaded */
	opts.require_crl = 1;
	T_EQ_INT(run(P.ds, P.ds_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res), 0);
}

T_CASE(test_own_rsa_pss_sha512)
{
	struct card_pa_opts opts = { .at = now };
	struct card_pa_result res;

	T_EQ_INT(run(P.ds, P.ds_key, EVP_sha512(), 1, P.dgs, 3, &opts, &res), 0);
	T_EQ_STR(res.hash_alg, "SHA512");
}

T_CASE(test_own_ecdsa_brainpool_explicit)
{
	struct card_pa_opts opts = { .at = now };
	struct card_pa_result res;

	T_EQ_INT(run(P.ec_ds, P.ec_ds_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res), 0);
	T_EQ_INT(res.document_signer, CARD_CHECK_PASS);
	T_EQ_INT(res.crl_checked, 0);   /* no CRL for the EC CSCA */
	opts.require_crl = 1;
	T_EQ_INT(run(P.ec_ds, P.ec_ds_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res),
	    EID_ERR_TRUST);
	T_ASSERT(has_reason(&res, "ds_crl_missing"));
}

T_CASE(test_tampered_dgs)
{
	struct card_pa_opts opts = { .at = now };
	struct card_pa_result res;
	struct card_pa_dg dgs[3];
	static struct tbuf t1, t2, t13;

	t1 = P.dg1; t2 = P.dg2; t13 = P.dg13;
	t1.b[5 + 15] = '9';             /* a digit of the citizen ID */
	t2.b[t2.n - 1] ^= 0x01;         /* one bit of the face image */
	t13.b[t13.n - 1] ^= 0x20;       /* a letter of the name */
	dgs[0] = (struct card_pa_dg){ 1, t1.b, t1.n };
	dgs[1] = (struct card_pa_dg){ 2, t2.b, t2.n };
	dgs[2] = (struct card_pa_dg){ 13, t13.b, t13.n };
	T_EQ_INT(run(P.ds, P.ds_key, EVP_sha256(), 0, dgs, 3, &opts, &res),
	    EID_ERR_HASH_MISMATCH);
	T_EQ_INT(res.sod_signature, CARD_CHECK_PASS);
	T_EQ_INT(res.document_signer, CARD_CHECK_PASS);
	T_EQ_INT(res.data_group_hashes, CARD_CHECK_FAIL);
	T_ASSERT(has_reason(&res, "dg_hash_mismatch:1"));
	T_ASSERT(has_reason(&res, "dg_hash_mismatch:2"));
	T_ASSERT(has_reason(&res, "dg_hash_mismatch:13"));
	T_EQ_INT(res.dg_verified, 0);
	/* one tampered DG among good ones is enough */
	dgs[0] = P.dgs[0];
	dgs[1] = P.dgs[1];
	T_EQ_INT(run(P.ds, P.ds_key, EVP_sha256(), 0, dgs, 3, &opts, &res),
	    EID_ERR_HASH_MISMATCH);
	T_EQ_INT(res.nreasons, 1);
	/* DG bytes presented under the wrong number, and twice */
	dgs[0] = (struct card_pa_dg){ 1, P.dg2.b, P.dg2.n };
	dgs[1] = P.dgs[1];
	dgs[2] = P.dgs[1];
	T_EQ_INT(run(P.ds, P.ds_key, EVP_sha256(), 0, dgs, 3, &opts, &res),
	    EID_ERR_HASH_MISMATCH);
	T_ASSERT(has_reason(&res, "dg_tag_mismatch:1"));
	T_ASSERT(has_reason(&res, "dg_duplicate:2"));
	/* nothing presented */
	T_EQ_INT(run(P.ds, P.ds_key, EVP_sha256(), 0, NULL, 0, &opts, &res),
	    EID_ERR_HASH_MISMATCH);
	T_EQ_INT(res.data_group_hashes, CARD_CHECK_NOT_PERFORMED);
	T_ASSERT(has_reason(&res, "no_data_groups"));
}

T_CASE(test_untrusted_revoked_expired)
{
	struct card_pa_opts opts = { .at = now };
	struct card_pa_result res;

	T_EQ_INT(run(P.ds_untrusted, P.ds2_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res),
	    EID_ERR_TRUST);
	T_EQ_INT(res.sod_signature, CARD_CHECK_PASS);
	T_ASSERT(has_reason(&res, "ds_untrusted"));
	T_EQ_INT(res.data_group_hashes, CARD_CHECK_PASS);

	T_EQ_INT(run(P.ds_revoked, P.ds2_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res),
	    EID_ERR_TRUST);
	T_ASSERT(has_reason(&res, "ds_revoked"));

	T_EQ_INT(run(P.ds_expired, P.ds2_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res),
	    EID_ERR_TRUST);
	T_ASSERT(has_reason(&res, "ds_expired"));
	/* the same DS checked at a time inside its validity, and with time checks off */
	opts.at = now - 500 * TP_DAY;
	T_EQ_INT(run(P.ds_expired, P.ds2_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res),
	    EID_ERR_TRUST);         /* the CRL is not yet valid then */
	T_ASSERT(has_reason(&res, "crl_invalid"));
	opts.no_time_check = 1;
	T_EQ_INT(run(P.ds_expired, P.ds2_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res), 0);
	/* a DS not yet valid */
	opts.no_time_check = 0;
	opts.at = now - 60 * TP_DAY;
	T_EQ_INT(run(P.ds, P.ds_key, EVP_sha256(), 0, P.dgs, 3, &opts, &res), EID_ERR_TRUST);
}

T_CASE(test_bad_signature_and_garbage)
{
	struct card_pa_opts opts = { .at = now };
	struct card_pa_result res;
	uint8_t *sod = NULL, garbage[100];
	size_t sl = 0;
	int r;

	T_EQ_INT(tp_sod(P.ds, P.ds_key, P.dgs, 3, EVP_sha256(), 0, &sod, &sl), 0);
	sod[sl - 1] ^= 0x01;            /* last byte of the RSA signature value */
	r = card_pa_verify(sod, sl, P.dgs, 3, P.trust, &opts, &res);
	dump(&res);
	free(sod);
	T_EQ_INT(r, EID_ERR_PASSIVE_AUTH);
	T_EQ_INT(res.sod_signature, CARD_CHECK_FAIL);
	T_ASSERT(has_reason(&res, "sod_signature_invalid"));
	T_EQ_INT(res.document_signer, CARD_CHECK_PASS);     /* still checked */
	T_EQ_INT(res.data_group_hashes, CARD_CHECK_PASS);

	memset(garbage, 0x41, sizeof(garbage));
	T_ASSERT(card_pa_verify(garbage, sizeof(garbage), P.dgs, 3, P.trust, &opts, &res) != 0);
	T_ASSERT(has_reason(&res, "sod_malformed"));
	T_EQ_INT(res.sod_signature, CARD_CHECK_NOT_PERFORMED);
	garbage[0] = 0x77;
	garbage[1] = 0x62;
	T_EQ_INT(card_pa_verify(garbage, sizeof(garbage), P.dgs, 3, P.trust, &opts, &res),
	    EID_ERR_LDS);
	T_EQ_INT(card_pa_verify(garbage, 10, P.dgs, 3, P.trust, &opts, &res), EID_ERR_TLV);
}

int
main(int argc, char **argv)
{
	vdir = argc > 1 ? argv[1] : "tests/vectors";
	now = time(NULL);
	T_RUN(test_bsi_refset_pss);
	T_RUN(test_bsi_bdrtest_ecdsa_explicit);
	if (pki_setup() != 0) {
		printf("not ok %d - pki_setup\n", ++t_count);
		t_failed++;
	} else {
		T_RUN(test_own_rsa_pass);
		T_RUN(test_own_rsa_pss_sha512);
		T_RUN(test_own_ecdsa_brainpool_explicit);
		T_RUN(test_tampered_dgs);
		T_RUN(test_untrusted_revoked_expired);
		T_RUN(test_bad_signature_and_garbage);
	}
	pki_teardown();
	return t_done();
}
