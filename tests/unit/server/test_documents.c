/*
 * test_documents.c - srv_documents (POST /v1/documents/verify core) against every
 * specimen card in tests/vectors/cccd/cards.json, active authentication with the cards'
 * published chip keys, malformed requests; and srv_trust (import, load, reload).
 * argv[1]: tests/vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "card_trust.h"
#include "cx_util.h"
#include "eid_limits.h"
#include "srv_documents.h"
#include "srv_log.h"
#include "srv_store.h"
#include "srv_trust.h"
#include "../t.h"

static const char *vdir;            /* tests/vectors/cccd */
static json_t *manifest;
static struct card_trust *trust;
static time_t t_now;                /* 2026-06-01T00:00:00Z: every DS but the expired one is valid */

static const uint8_t challenge[8] = { 0x47, 0x11, 0xA5, 0x03, 0x9C, 0x00, 0xFE, 0x5D };

static char *
vpath(const char *rel)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", vdir, rel) < 0)
		abort();
	return p;
}

static const json_t *
card(const char *id)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(manifest, "cards"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
			return c;
	return NULL;
}

static unsigned char *
card_file(const json_t *c, const char *name, size_t *len)
{
	char rel[512];
	char *p;
	unsigned char *b;

	snprintf(rel, sizeof(rel), "%s/%s", json_string_value(json_object_get(c, "dir")), name);
	p = vpath(rel);
	b = t_read_file(p, len);
	free(p);
	return b;
}

static json_t *
b64(const unsigned char *b, size_t n)
{
	char *s = malloc(CX_B64_LEN(n));
	json_t *j;

	if (s == NULL || cx_b64_encode(s, CX_B64_LEN(n), b, n) != 0)
		abort();
	j = json_string(s);
	free(s);
	return j;
}

/* The request object for a card; skip: a DG number to leave out (0 = none). */
static json_t *
request_for(const json_t *c, int skip, int with_dg2)
{
	static const struct { int dg; const char *file; } files[] = {
		{ 1, "DG1.bin" }, { 2, "DG2.bin" }, { 13, "DG13.bin" }, { 14, "DG14.bin" }, { 15, "DG15.bin" },
	};
	json_t *o = json_object(), *dgs = json_object();
	unsigned char *b;
	size_t n, i;
	char k[8];

	b = card_file(c, "EF.SOD.bin", &n);
	json_object_set_new(o, "sod", b64(b, n));
	free(b);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i].dg == skip || (files[i].dg == 2 && !with_dg2))
			continue;
		b = card_file(c, files[i].file, &n);
		snprintf(k, sizeof(k), "%d", files[i].dg);
		json_object_set_new(dgs, k, b64(b, n));
		free(b);
	}
	json_object_set_new(o, "data_groups", dgs);
	return o;
}

static void
add_aa(json_t *req, const uint8_t *ch, const uint8_t *sig, size_t siglen)
{
	json_object_set_new(req, "active_authentication", json_pack("{s:o,s:o}", "challenge",
	    b64(ch, 8), "signature", b64(sig, siglen)));
}

/* parse + verify one request object; returns the verdict (NULL on a parse error) */
static json_t *
run(const json_t *req, int challenge_status, time_t now, const char **perr)
{
	struct srv_doc_request r;
	json_t *v = NULL;
	char *txt = json_dumps(req, JSON_COMPACT);
	const char *desc = NULL;
	int rc;

	rc = srv_documents_parse(txt, strlen(txt), &r, &desc);
	free(txt);
	if (perr != NULL)
		*perr = desc;
	if (rc != 0)
		return NULL;
	if (srv_documents_verify(&r, trust, challenge_status, now, &v) != 0)
		v = NULL;
	srv_doc_request_clear(&r);
	return v;
}

static const char *
check(const json_t *v, const char *name)
{
	return json_string_value(json_object_get(json_object_get(v, "checks"), name));
}

static int
has_reason(const json_t *v, const char *reason)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(v, "reasons"), i, e)
		if (strcmp(json_string_value(e), reason) == 0)
			return 1;
	return 0;
}

static EVP_PKEY *
card_key(const json_t *c)
{
	char rel[512], *p;
	FILE *f;
	EVP_PKEY *k;

	snprintf(rel, sizeof(rel), "%s/aa_key.pem", json_string_value(json_object_get(c, "dir")));
	p = vpath(rel);
	f = fopen(p, "r");
	free(p);
	if (f == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

/* RSA ISO/IEC 9796-2 scheme 1 as a chip signs (as in tests/unit/cardreader/test_aa.c):
 * F = 6A || M1 || H(M1 || challenge) || trailer, s = F^d mod n. trailer_id 0 = BC. */
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

	if (k > sizeof(f))
		return -1;
	f[0] = 0x6A;
	for (i = 0; i < m1; i++)
		f[1 + i] = (uint8_t)(i * 13 + 1);
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

/* ECDSA plain r || s (BSI TR-03111) with SHA-256 over a P-256 key */
static int
ec_sign_plain(EVP_PKEY *key, const uint8_t *ch, uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	ECDSA_SIG *es = NULL;
	uint8_t der[160];
	size_t derlen = sizeof(der);
	const unsigned char *p = der;
	int ok;

	ok = mc && EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(mc, der, &derlen, ch, 8) == 1 &&
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) != NULL &&
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
	*siglen = 64;
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(mc);
	return ok ? 0 : -1;
}

/* The chip's AA answer for a card, per cards.json's aa section. */
static int
chip_sign(const json_t *c, const uint8_t *ch, uint8_t *sig, size_t *siglen)
{
	const json_t *aa = json_object_get(c, "aa");
	const char *alg = json_string_value(json_object_get(aa, "algorithm"));
	const char *hash = json_string_value(json_object_get(aa, "hash"));
	EVP_PKEY *k = card_key(c);
	int r = -1;

	if (k == NULL)
		return -1;
	if (strcmp(alg, "ecdsa-plain") == 0)
		r = ec_sign_plain(k, ch, sig, siglen);
	else if (strcmp(hash, "sha1") == 0)
		r = rsa9796_sign(k, EVP_sha1(), 0, ch, sig, siglen);
	else if (strcmp(hash, "sha256") == 0)
		r = rsa9796_sign(k, EVP_sha256(), 0x34, ch, sig, siglen);
	EVP_PKEY_free(k);
	return r;
}

/* ---- every card variant against its expected passive-auth outcome ---- */

T_CASE(test_every_card)
{
	size_t i;
	json_t *c;
	int n = 0;

	json_array_foreach(json_object_get(manifest, "cards"), i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		const json_t *exp = json_object_get(c, "expected");
		const char *pa = json_string_value(json_object_get(exp, "passive_auth"));
		json_t *req = request_for(c, 0, 1), *v;
		const char *err = NULL;
		int ok = 1;

		v = run(req, SRV_DOC_CHALLENGE_NONE, t_now, &err);
		json_decref(req);
		if (v == NULL)
			T_FAIL("%s: no verdict (%s)", id, err ? err : "verify failed");
		if (strcmp(pa, "valid") == 0) {
			ok = strcmp(json_string_value(json_object_get(v, "verdict")), "valid") == 0 &&
			    strcmp(check(v, "sod_signature"), "pass") == 0 &&
			    strcmp(check(v, "document_signer"), "pass") == 0 &&
			    strcmp(check(v, "data_group_hashes"), "pass") == 0;
		} else if (strcmp(pa, "dg_hash_mismatch") == 0) {
			size_t j;
			json_t *d;
			char want[32];

			ok = strcmp(json_string_value(json_object_get(v, "verdict")), "invalid") == 0 &&
			    strcmp(check(v, "sod_signature"), "pass") == 0 &&
			    strcmp(check(v, "document_signer"), "pass") == 0 &&
			    strcmp(check(v, "data_group_hashes"), "fail") == 0;
			json_array_foreach(json_object_get(exp, "mismatched_dgs"), j, d) {
				snprintf(want, sizeof(want), "dg_hash_mismatch:%d", (int)json_integer_value(d));
				ok = ok && has_reason(v, want);
			}
		} else {
			/* ds_untrusted, ds_revoked, ds_expired: the reason is the expected code */
			ok = strcmp(json_string_value(json_object_get(v, "verdict")), "invalid") == 0 &&
			    strcmp(check(v, "sod_signature"), "pass") == 0 &&
			    strcmp(check(v, "document_signer"), "fail") == 0 &&
			    strcmp(check(v, "data_group_hashes"), "pass") == 0 && has_reason(v, pa);
		}
		ok = ok && strcmp(check(v, "active_authentication"), "not_performed") == 0 &&
		    strcmp(check(v, "chip_authentication"), "not_performed") == 0 &&
		    has_reason(v, "chip_authentication_not_verifiable_by_server") &&
		    json_object_size(json_object_get(v, "checks")) == 5 && json_object_size(v) == 4;
		if (!ok) {
			char *s = json_dumps(v, JSON_COMPACT);

			printf("# %s (expected %s): %s\n", id, pa, s);
			free(s);
			json_decref(v);
			T_FAIL("card %s", id);
		}
		json_decref(v);
		n++;
	}
	T_EQ_INT(n, 9);
}

T_CASE(test_document_fields)
{
	const json_t *c = card("cccd1");
	json_t *req, *v, *d;
	const char *citizen_full;
	char *s;

	T_ASSERT(c != NULL);
	req = request_for(c, 0, 1);
	v = run(req, SRV_DOC_CHALLENGE_NONE, t_now, NULL);
	json_decref(req);
	T_ASSERT(v != NULL);
	d = json_object_get(v, "document");
	citizen_full = json_string_value(json_object_get(json_object_get(c, "citizen"), "full_name"));
	s = json_dumps(v, JSON_COMPACT);
	T_EQ_STR(json_string_value(json_object_get(d, "document_number")), "090012345");
	T_EQ_STR(json_string_value(json_object_get(d, "citizen_id")), "001090012345");
	T_EQ_STR(json_string_value(json_object_get(d, "name")), "NGUYEN VAN MAU");
	T_EQ_STR(json_string_value(json_object_get(d, "birth_date")), "1990-03-15");
	T_EQ_STR(json_string_value(json_object_get(d, "expiry_date")), "2030-03-15");
	T_EQ_STR(json_string_value(json_object_get(d, "sex")), "M");
	T_EQ_STR(json_string_value(json_object_get(d, "nationality")), "VNM");
	T_EQ_STR(json_string_value(json_object_get(d, "full_name")), citizen_full);
	/* data minimisation: nothing else of DG13 (ethnicity, religion, address, parents) */
	T_ASSERT(strstr(s, "Kinh") == NULL && strstr(s, "Hoàn Kiếm") == NULL &&
	    strstr(s, "Nốt ruồi") == NULL && strstr(s, "Trần Thị Kiểm") == NULL);
	free(s);
	json_decref(v);

	/* cccd2 born 2005: the century comes from the CCCD number */
	c = card("cccd2");
	req = request_for(c, 0, 0);
	v = run(req, SRV_DOC_CHALLENGE_NONE, t_now, NULL);
	json_decref(req);
	T_ASSERT(v != NULL);
	T_EQ_STR(json_string_value(json_object_get(json_object_get(v, "document"), "birth_date")),
	    json_string_value(json_object_get(json_object_get(c, "citizen"), "date_of_birth")));
	T_EQ_STR(json_string_value(json_object_get(json_object_get(v, "document"), "sex")), "F");
	T_EQ_STR(json_string_value(json_object_get(v, "verdict")), "valid");
	json_decref(v);

	/* a tampered DG13's name is not reported */
	req = request_for(card("cccd1-tampered-dg13"), 0, 0);
	v = run(req, SRV_DOC_CHALLENGE_NONE, t_now, NULL);
	json_decref(req);
	T_ASSERT(v != NULL);
	T_ASSERT(json_object_get(json_object_get(v, "document"), "full_name") == NULL);
	json_decref(v);
}

T_CASE(test_expired_document)
{
	struct tm tm = { .tm_year = 2030 - 1900, .tm_mon = 2, .tm_mday = 16 };  /* 2030-03-16 */
	time_t later = timegm(&tm);
	json_t *req = request_for(card("cccd1"), 0, 0), *v;

	v = run(req, SRV_DOC_CHALLENGE_NONE, later, NULL);
	T_ASSERT(v != NULL);
	T_EQ_STR(json_string_value(json_object_get(v, "verdict")), "invalid");
	T_ASSERT(has_reason(v, "document_expired"));
	T_EQ_STR(check(v, "document_signer"), "pass");
	json_decref(v);
	/* the last day is still valid */
	tm.tm_mday = 15;
	v = run(req, SRV_DOC_CHALLENGE_NONE, timegm(&tm), NULL);
	json_decref(req);
	T_ASSERT(v != NULL);
	T_EQ_STR(json_string_value(json_object_get(v, "verdict")), "valid");
	json_decref(v);
}

/* ---- active authentication ---- */

static void
aa_case(const char *card_id, const char *signer_id, int challenge_status, int skip_dg,
    const char *want_verdict, const char *want_aa, const char *want_reason, int *failed)
{
	uint8_t sig[512];
	size_t siglen = 0;
	json_t *req = request_for(card(card_id), skip_dg, 0), *v;

	*failed = 1;
	if (chip_sign(card(signer_id), challenge, sig, &siglen) != 0) {
		json_decref(req);
		printf("# %s: cannot sign\n", signer_id);
		return;
	}
	add_aa(req, challenge, sig, siglen);
	v = run(req, challenge_status, t_now, NULL);
	json_decref(req);
	if (v != NULL && strcmp(json_string_value(json_object_get(v, "verdict")), want_verdict) == 0 &&
	    strcmp(check(v, "active_authentication"), want_aa) == 0 &&
	    (want_reason == NULL || has_reason(v, want_reason)))
		*failed = 0;
	else {
		char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;

		printf("# AA %s signed by %s, status %d: %s\n", card_id, signer_id, challenge_status,
		    s ? s : "(no verdict)");
		free(s);
	}
	json_decref(v);
}

T_CASE(test_aa_pass)
{
	int f1, f2, f3;

	aa_case("cccd1", "cccd1", SRV_DOC_CHALLENGE_TAKEN, 0, "valid", "pass", NULL, &f1); /* RSA SHA-1 */
	aa_case("cccd3", "cccd3", SRV_DOC_CHALLENGE_TAKEN, 0, "valid", "pass", NULL, &f2); /* RSA SHA-256 */
	aa_case("cccd2", "cccd2", SRV_DOC_CHALLENGE_TAKEN, 0, "valid", "pass", NULL, &f3); /* ECDSA */
	T_EQ_INT(f1, 0);
	T_EQ_INT(f2, 0);
	T_EQ_INT(f3, 0);
}

T_CASE(test_aa_fail)
{
	int f1, f2, f3, f4, f5, f6;

	aa_case("cccd1", "cccd1", SRV_DOC_CHALLENGE_BAD, 0, "invalid", "fail",
	    "challenge_unknown_or_reused", &f1);
	aa_case("cccd1", "cccd1", SRV_DOC_CHALLENGE_NONE, 0, "invalid", "fail",
	    "challenge_unknown_or_reused", &f2);
	aa_case("cccd1", "cccd3", SRV_DOC_CHALLENGE_TAKEN, 0, "invalid", "fail",
	    "aa_signature_invalid", &f3);                   /* another card's key */
	aa_case("cccd2", "cccd1", SRV_DOC_CHALLENGE_TAKEN, 0, "invalid", "fail", NULL, &f4);
	aa_case("cccd1", "cccd1", SRV_DOC_CHALLENGE_TAKEN, 15, "invalid", "fail", "dg15_missing", &f5);
	/* the DG15 key is only believed when the SOD is trusted */
	aa_case("cccd1-untrusted-ds", "cccd1", SRV_DOC_CHALLENGE_TAKEN, 0, "invalid", "fail",
	    "aa_key_not_authenticated", &f6);
	T_EQ_INT(f1, 0);
	T_EQ_INT(f2, 0);
	T_EQ_INT(f3, 0);
	T_EQ_INT(f4, 0);
	T_EQ_INT(f5, 0);
	T_EQ_INT(f6, 0);
}

T_CASE(test_aa_wrong_challenge)
{
	uint8_t sig[512], other[8];
	size_t siglen = 0;
	json_t *req = request_for(card("cccd3"), 0, 0), *v;

	T_ASSERT(chip_sign(card("cccd3"), challenge, sig, &siglen) == 0);
	memcpy(other, challenge, 8);
	other[7] ^= 1;
	add_aa(req, other, sig, siglen);
	v = run(req, SRV_DOC_CHALLENGE_TAKEN, t_now, NULL);
	json_decref(req);
	T_ASSERT(v != NULL);
	T_EQ_STR(check(v, "active_authentication"), "fail");
	T_EQ_STR(json_string_value(json_object_get(v, "verdict")), "invalid");
	json_decref(v);
}

/* ---- malformed requests ---- */

static int
parse_err(const char *body, size_t len, const char *needle)
{
	struct srv_doc_request r;
	const char *desc = NULL;
	int rc = srv_documents_parse(body, len, &r, &desc);

	if (rc == 0) {
		srv_doc_request_clear(&r);
		printf("# accepted: %.80s\n", body);
		return 0;
	}
	if (desc == NULL || strstr(desc, needle) == NULL) {
		printf("# %.80s: description \"%s\", wanted \"%s\"\n", body, desc ? desc : "(null)", needle);
		return 0;
	}
	return 1;
}

static int
parse_err_obj(json_t *o, const char *needle)
{
	char *s = json_dumps(o, JSON_COMPACT);
	int ok = parse_err(s, strlen(s), needle);

	free(s);
	json_decref(o);
	return ok;
}

T_CASE(test_parse_errors)
{
	const json_t *c = card("cccd1");
	json_t *o;
	char *big;
	size_t n = EID_HTTP_MAX_DOC_BODY_BYTES + 10;
	int ok = 1;

	o = request_for(c, 0, 0);
	json_object_del(o, "sod");
	ok &= parse_err_obj(o, "sod is missing");
	o = request_for(c, 0, 0);
	json_object_set_new(json_object_get(o, "data_groups"), "13", json_string("not*base64!"));
	ok &= parse_err_obj(o, "data_groups.13 is not valid base64");
	o = request_for(c, 0, 0);
	json_object_set_new(json_object_get(o, "data_groups"), "13", json_string("YWJj\nZA=="));
	ok &= parse_err_obj(o, "data_groups.13 is not valid base64");    /* no whitespace */
	o = request_for(c, 0, 0);
	json_object_set_new(json_object_get(o, "data_groups"), "2", json_string("YWJjZA"));
	ok &= parse_err_obj(o, "data_groups.2 is not valid base64");     /* padding required */
	o = request_for(c, 0, 0);
	json_object_set_new(json_object_get(o, "data_groups"), "99", json_string("YWJj"));
	ok &= parse_err_obj(o, "\"1\"..\"16\"");
	o = request_for(c, 0, 0);
	json_object_set_new(json_object_get(o, "data_groups"), "01", json_string("YWJj"));
	ok &= parse_err_obj(o, "\"1\"..\"16\"");
	o = request_for(c, 0, 0);
	json_object_set_new(json_object_get(o, "data_groups"), "0", json_string("YWJj"));
	ok &= parse_err_obj(o, "\"1\"..\"16\"");
	o = request_for(c, 1, 0);
	ok &= parse_err_obj(o, "data_groups.1 (DG1, the MRZ) is missing");
	o = request_for(c, 0, 0);
	json_object_set_new(json_object_get(o, "data_groups"), "14", json_integer(5));
	ok &= parse_err_obj(o, "data_groups.14 must be a base64 string");
	o = request_for(c, 0, 0);
	json_object_set_new(o, "sod", json_string(""));
	ok &= parse_err_obj(o, "sod is empty");
	o = request_for(c, 0, 0);
	json_object_set_new(o, "extra", json_true());
	ok &= parse_err_obj(o, "unknown member");
	o = request_for(c, 0, 0);
	json_object_set_new(o, "active_authentication", json_pack("{s:s,s:s}", "challenge", "YWJj",
	    "signature", "YWJj"));
	ok &= parse_err_obj(o, "exactly 8 bytes");
	o = request_for(c, 0, 0);
	json_object_set_new(o, "active_authentication", json_pack("{s:s}", "challenge", "R xGlQOcAP5d"));
	ok &= parse_err_obj(o, "signature is missing");
	o = request_for(c, 0, 0);
	json_object_set_new(o, "active_authentication", json_string("x"));
	ok &= parse_err_obj(o, "must be an object");
	ok &= parse_err("{\"sod\":\"YWJj\",\"sod\":\"YWJj\",\"data_groups\":{\"1\":\"YWJj\"}}", strlen("{\"sod\":\"YWJj\",\"sod\":\"YWJj\",\"data_groups\":{\"1\":\"YWJj\"}}"),
	    "duplicate");
	ok &= parse_err("{\"sod\":\"YWJj\",\"data_groups\":{\"1\":\"YWJj\",\"1\":\"YWJj\"}}", strlen("{\"sod\":\"YWJj\",\"data_groups\":{\"1\":\"YWJj\",\"1\":\"YWJj\"}}"),
	    "duplicate");
	ok &= parse_err("[1,2]", strlen("[1,2]"), "must be a JSON object");
	ok &= parse_err("{\"sod\":", strlen("{\"sod\":"), "not valid JSON");
	ok &= parse_err("", strlen(""), "empty");
	ok &= parse_err("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", strlen("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"), "nests too deeply");
	/* oversized body */
	big = malloc(n + 1);
	T_ASSERT(big != NULL);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	ok &= parse_err(big, n, "larger than 524288");
	free(big);
	/* an oversized SOD (cap 32 KiB) */
	big = malloc(48 * 1024);
	T_ASSERT(big != NULL);
	memset(big, 'A', 48 * 1024 - 1);
	big[48 * 1024 - 1] = '\0';
	o = request_for(c, 0, 0);
	json_object_set_new(o, "sod", json_string(big));
	free(big);
	ok &= parse_err_obj(o, "sod is larger than");
	T_ASSERT(ok);
}

T_CASE(test_truncated_sod)
{
	const json_t *c = card("cccd1");
	unsigned char *sod;
	size_t n, cut;
	int ok = 1;

	sod = card_file(c, "EF.SOD.bin", &n);
	for (cut = 1; cut < n; cut += cut < 64 ? 7 : 211) {
		json_t *req = request_for(c, 0, 0), *v;

		json_object_set_new(req, "sod", b64(sod, cut));
		v = run(req, SRV_DOC_CHALLENGE_NONE, t_now, NULL);
		json_decref(req);
		if (v == NULL || strcmp(json_string_value(json_object_get(v, "verdict")), "invalid") != 0 ||
		    strcmp(check(v, "sod_signature"), "pass") == 0 ||
		    json_array_size(json_object_get(v, "reasons")) == 0) {
			printf("# SOD cut at %zu bytes\n", cut);
			ok = 0;
		}
		json_decref(v);
	}
	free(sod);
	T_ASSERT(ok);
}

T_CASE(test_no_trust_store)
{
	struct srv_doc_request r;
	json_t *req = request_for(card("cccd1"), 0, 0), *v = NULL;
	char *txt = json_dumps(req, JSON_COMPACT);
	const char *desc;

	json_decref(req);
	T_ASSERT(srv_documents_parse(txt, strlen(txt), &r, &desc) == 0);
	free(txt);
	T_ASSERT(srv_documents_verify(&r, NULL, SRV_DOC_CHALLENGE_NONE, t_now, &v) == 0);
	srv_doc_request_clear(&r);
	T_EQ_STR(json_string_value(json_object_get(v, "verdict")), "invalid");
	T_ASSERT(has_reason(v, "no_trust_store"));
	json_decref(v);
}

/* documents_require_crl: a DS whose CSCA has no CRL in the store is not trusted */
T_CASE(test_crl_policy)
{
	struct card_trust *nocrl = NULL;
	json_t *req = request_for(card("cccd1"), 0, 0), *v;
	char *p;

	/* the same CSCAs without their CRLs */
	T_ASSERT(card_trust_new(&nocrl) == 0);
	p = vpath(json_string_value(json_object_get(manifest, "trust_store")));
	T_ASSERT(card_trust_add_cert_file(nocrl, p, NULL) == 0);
	free(p);
	{
		struct card_trust *saved = trust;

		trust = nocrl;
		v = run(req, SRV_DOC_CHALLENGE_NONE, t_now, NULL);
		T_EQ_STR(json_string_value(json_object_get(v, "verdict")), "valid");
		json_decref(v);
		card_trust_set_require_crl(nocrl, 1);
		v = run(req, SRV_DOC_CHALLENGE_NONE, t_now, NULL);
		T_EQ_STR(json_string_value(json_object_get(v, "verdict")), "invalid");
		T_EQ_STR(check(v, "document_signer"), "fail");
		T_ASSERT(has_reason(v, "ds_crl_missing"));
		json_decref(v);
		/* with the CRLs loaded the policy is met */
		trust = saved;
		card_trust_set_require_crl(trust, 1);
		v = run(req, SRV_DOC_CHALLENGE_NONE, t_now, NULL);
		T_EQ_STR(json_string_value(json_object_get(v, "verdict")), "valid");
		json_decref(v);
		card_trust_set_require_crl(trust, 0);
	}
	json_decref(req);
	card_trust_free(&nocrl);
}

T_CASE(test_audit_details)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	json_t *req = request_for(card("cccd1"), 0, 0), *v, *a, *a2;
	char *s;

	v = run(req, SRV_DOC_CHALLENGE_NONE, t_now, NULL);
	json_decref(req);
	T_ASSERT(v != NULL);
	a = srv_documents_audit_details("bank-client-1", v, key);
	a2 = srv_documents_audit_details("bank-client-1", v, NULL);
	json_decref(v);
	T_ASSERT(a != NULL && a2 != NULL);
	s = json_dumps(a, JSON_COMPACT);
	T_EQ_STR(json_string_value(json_object_get(a, "client_id")), "bank-client-1");
	T_EQ_STR(json_string_value(json_object_get(a, "verdict")), "valid");
	T_EQ_INT(strlen(json_string_value(json_object_get(a, "citizen_ref"))), 32);
	T_EQ_STR(json_string_value(json_object_get(json_object_get(a, "checks"), "sod_signature")), "pass");
	/* no personal data: not the ID number, not the names, nothing of DG13 */
	T_ASSERT(strstr(s, "001090012345") == NULL && strstr(s, "NGUYEN") == NULL &&
	    strstr(s, "Nguy") == NULL && strstr(s, "1990") == NULL);
	T_ASSERT(json_object_get(a2, "citizen_ref") == NULL);
	free(s);
	json_decref(a);
	json_decref(a2);
}

/* ---- srv_trust: import, list, load, reload ---- */

T_CASE(test_trust_store)
{
	char tmpl[] = "/tmp/test_documents.XXXXXX", dbpath[256], err[512], cmd[600];
	char *csca = vpath("pki/csca-rsa.pem"), *csca_ec = vpath("pki/csca-ec.der");
	char *crl = vpath("pki/csca-rsa.crl"), *ds = vpath("pki/ds-rsa.pem"), *sum = NULL;
	struct srv_store *store = NULL;
	struct srv_trust *st = NULL;
	const struct srv_trust_snapshot *s1 = NULL, *s2 = NULL;
	struct card_trust *ct = NULL;
	json_t *lst = NULL, *j;
	char *dir = mkdtemp(tmpl), garbage[300];
	FILE *f;
	int r1, r2, r3, r4, r5, r6, r7;

	T_ASSERT(dir != NULL);
	snprintf(dbpath, sizeof(dbpath), "%s/eid.db", dir);
	T_ASSERT(srv_store_sqlite_open(dbpath, 0, &store, err, sizeof(err)) == 0);
	snprintf(garbage, sizeof(garbage), "%s/garbage.pem", dir);
	f = fopen(garbage, "w");
	T_ASSERT(f != NULL);
	fputs("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", f);
	fclose(f);

	r1 = srv_trust_import(store, dir, csca, &sum, err, sizeof(err));
	j = sum ? json_loads(sum, 0, NULL) : NULL;
	free(sum);
	sum = NULL;
	T_EQ_INT(r1, 0);
	T_EQ_STR(json_string_value(json_object_get(j, "kind")), "csca");
	T_ASSERT(json_is_false(json_object_get(j, "already_present")));
	json_decref(j);
	T_ASSERT(srv_trust_open(store, dir, &st, err, sizeof(err)) == 0);
	s1 = srv_trust_acquire(st);
	T_EQ_INT(s1->ncscas, 1);
	T_EQ_INT(s1->ncrls, 0);

	r2 = srv_trust_import(store, dir, csca, &sum, err, sizeof(err));   /* twice: no-op */
	j = sum ? json_loads(sum, 0, NULL) : NULL;
	free(sum);
	sum = NULL;
	T_EQ_INT(r2, 0);
	T_ASSERT(json_is_true(json_object_get(j, "already_present")));
	json_decref(j);
	r3 = srv_trust_import(store, dir, csca_ec, NULL, err, sizeof(err));
	r4 = srv_trust_import(store, dir, crl, &sum, err, sizeof(err));
	j = sum ? json_loads(sum, 0, NULL) : NULL;
	free(sum);
	sum = NULL;
	T_EQ_STR(json_string_value(json_object_get(j, "kind")), "crl");
	json_decref(j);
	err[0] = '\0';
	r5 = srv_trust_import(store, dir, garbage, NULL, err, sizeof(err));
	T_ASSERT(strstr(err, "not a certificate, CRL or ICAO master list") != NULL);
	err[0] = '\0';
	r6 = srv_trust_import(store, dir, ds, NULL, err, sizeof(err));
	T_ASSERT(strstr(err, "not a CA certificate") != NULL);
	r7 = srv_trust_import(store, dir, "/nonexistent/file.pem", NULL, err, sizeof(err));
	T_EQ_INT(r3, 0);
	T_EQ_INT(r4, 0);
	T_EQ_INT(r5, EID_ERR_FORMAT);
	T_EQ_INT(r6, EID_ERR_FORMAT);
	T_ASSERT(r7 != 0);

	/* reload: the snapshot in use stays valid; the next one has everything */
	sleep(1);
	T_EQ_INT(srv_trust_refresh(st), 0);
	s2 = srv_trust_acquire(st);
	T_EQ_INT(s1->ncscas, 1);
	T_EQ_INT(s2->ncscas, 2);
	T_EQ_INT(s2->ncrls, 1);
	T_ASSERT(s2->generation > s1->generation);
	srv_trust_release(st, s1);
	srv_trust_release(st, s2);

	T_ASSERT(srv_trust_load_dir(dir, t_now, &ct) == 0);
	T_EQ_INT(card_trust_count(ct), 2);
	card_trust_free(&ct);
	T_ASSERT(srv_trust_list(dir, &lst, err, sizeof(err)) == 0);
	T_EQ_INT(json_array_size(lst), 3);
	json_decref(lst);

	srv_trust_free(&st);
	srv_store_close(&store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	T_ASSERT(system(cmd) == 0);
	free(csca);
	free(csca_ec);
	free(crl);
	free(ds);
}

int
main(int argc, char **argv)
{
	struct tm tm = { .tm_year = 2026 - 1900, .tm_mon = 5, .tm_mday = 1 };
	json_error_t jerr;
	json_t *crls, *c;
	const char *k;
	char *p;

	if (argc < 2) {
		fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
		return 2;
	}
	if (cx_init() != 0)
		return 1;
	srv_log_init(SRV_LOG_ERROR, "test_documents");
	if (asprintf(&p, "%s/cccd", argv[1]) < 0)
		return 1;
	vdir = p;
	t_now = timegm(&tm);
	p = vpath("cards.json");
	manifest = json_load_file(p, 0, &jerr);
	free(p);
	if (manifest == NULL) {
		fprintf(stderr, "cards.json: %s\n", jerr.text);
		return 1;
	}
	/* the trust store: the trusted CSCAs and every CRL */
	if (card_trust_new(&trust) != 0)
		return 1;
	p = vpath(json_string_value(json_object_get(manifest, "trust_store")));
	if (card_trust_add_cert_file(trust, p, NULL) != 0)
		return 1;
	free(p);
	crls = json_object_get(manifest, "crls");
	json_object_foreach(crls, k, c) {
		p = vpath(json_string_value(json_object_get(c, "path")));
		if (card_trust_add_crl_file(trust, p, NULL) != 0)
			return 1;
		free(p);
	}

	T_RUN(test_every_card);
	T_RUN(test_document_fields);
	T_RUN(test_expired_document);
	T_RUN(test_aa_pass);
	T_RUN(test_aa_fail);
	T_RUN(test_aa_wrong_challenge);
	T_RUN(test_parse_errors);
	T_RUN(test_truncated_sod);
	T_RUN(test_no_trust_store);
	T_RUN(test_crl_policy);
	T_RUN(test_audit_details);
	T_RUN(test_trust_store);

	card_trust_free(&trust);
	json_decref(manifest);
	free((char *)vdir);
	return t_done();
}
