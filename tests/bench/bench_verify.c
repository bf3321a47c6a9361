/*
 * bench_verify.c - chip document verifications per second (POST /v1/documents/verify's
 * core: srv_documents_parse + srv_documents_verify) against the cost of the signature
 * checks alone, for each genuine specimen card of tests/vectors/cccd.
 *
 * The floor is what no implementation can skip: the SOD's CMS signature over its signed
 * attributes (CMS_SignerInfo_verify), the Document Signer certificate's signature by its
 * CSCA (X509_verify) and, when the CSCA has a CRL, the CRL's signature (X509_CRL_verify).
 * Everything else (base64, JSON, ASN.1, hashing the data groups, the chain logic, the
 * MRZ, the verdict) is our overhead; the ratio full/floor says how much it costs.
 *
 *   bench_verify VECTORS_DIR [SECONDS_PER_MEASURE [CARD]]   (default 2 s, every card)
 *
 * Prints one Markdown table row per card. Single-threaded: multiply by cores for a
 * server's ceiling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "card_sod.h"
#include "card_trust.h"
#include "cx_util.h"
#include "srv_documents.h"

static const char *vec;

static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long sz;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)sz)) != NULL && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
		free(b);
		b = NULL;
	}
	if (b != NULL)
		*n = (size_t)sz;
	fclose(f);
	return b;
}

static uint8_t *
card_file(const char *card, const char *name, size_t *n)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/cards/%s/%s", vec, card, name);
	return slurp(path, n);
}

/* The request body a terminal would send for this card (no active authentication). */
static char *
request_body(const char *card)
{
	static const struct { const char *key, *file; } dgs[] = {
		{ "1", "DG1.bin" }, { "2", "DG2.bin" }, { "13", "DG13.bin" }, { "14", "DG14.bin" },
		{ "15", "DG15.bin" },
	};
	json_t *o = json_object(), *d = json_object();
	char *out = NULL, *txt;
	uint8_t *b;
	size_t n, i;

	for (i = 0; i <= sizeof(dgs) / sizeof(dgs[0]); i++) {
		b = card_file(card, i == 0 ? "EF.SOD.bin" : dgs[i - 1].file, &n);
		if (b == NULL)
			goto out;
		txt = malloc(n * 4 / 3 + 8);
		if (txt == NULL || cx_b64_encode(txt, n * 4 / 3 + 8, b, n) != 0) {
			free(txt);
			free(b);
			goto out;
		}
		json_object_set_new(i == 0 ? o : d, i == 0 ? "sod" : dgs[i - 1].key, json_string(txt));
		free(txt);
		free(b);
	}
	json_object_set(o, "data_groups", d);
	out = json_dumps(o, JSON_COMPACT);
out:
	json_decref(d);
	json_decref(o);
	return out;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct floor_ctx {
	CMS_SignerInfo *si;
	X509 *ds;
	EVP_PKEY *csca_key;
	X509_CRL *crl;          /* NULL: the CSCA has none */
};

/* One round of the signature checks alone; 0 when all verify. */
static int
floor_once(const struct floor_ctx *f)
{
	if (CMS_SignerInfo_verify(f->si) != 1 || X509_verify(f->ds, f->csca_key) != 1)
		return -1;
	if (f->crl != NULL && X509_CRL_verify(f->crl, f->csca_key) != 1)
		return -1;
	return 0;
}

static int
full_once(const char *body, const struct card_trust *trust, time_t now)
{
	struct srv_doc_request r;
	const char *desc = NULL;
	json_t *v = NULL;
	int ok;

	if (srv_documents_parse(body, strlen(body), &r, &desc) != 0)
		return -1;
	ok = srv_documents_verify(&r, trust, SRV_DOC_CHALLENGE_NONE, now, &v) == 0 &&
	    strcmp(json_string_value(json_object_get(v, "verdict")), "valid") == 0;
	json_decref(v);
	srv_doc_request_clear(&r);
	return ok ? 0 : -1;
}

/* Runs fn(arg) for about `seconds`; seconds per operation, or -1 when a call failed. */
static double
measure(double seconds, int (*fn)(const void *), const void *arg)
{
	double t0 = now_s(), t;
	long n = 0, i;

	for (;;) {
		for (i = 0; i < 16; i++, n++)
			if (fn(arg) != 0)
				return -1;
		if ((t = now_s() - t0) >= seconds)
			return t / (double)n;
	}
}

struct full_arg {
	const char *body;
	const struct card_trust *trust;
	time_t now;
};

static int
full_call(const void *arg)
{
	const struct full_arg *a = arg;

	return full_once(a->body, a->trust, a->now);
}

static int
floor_call(const void *arg)
{
	return floor_once(arg);
}

static X509 *
load_cert(const char *name)
{
	char path[1024];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/pki/%s", vec, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static X509_CRL *
load_crl(const char *name)
{
	char path[1024];
	uint8_t *b;
	const unsigned char *p;
	size_t n = 0;
	X509_CRL *c;

	snprintf(path, sizeof(path), "%s/pki/%s", vec, name);
	if ((b = slurp(path, &n)) == NULL)
		return NULL;
	p = b;
	c = d2i_X509_CRL(NULL, &p, (long)n);
	free(b);
	return c;
}

int
main(int argc, char **argv)
{
	static const char *cards[] = { "cccd1", "cccd2", "cccd3" };
	static const struct { const char *cert, *crl; } cscas[] = {
		{ "csca-rsa.pem", "csca-rsa.crl" }, { "csca-ec.pem", "csca-ec.crl" },
	};
	struct card_trust *trust = NULL;
	double seconds = argc > 2 ? atof(argv[2]) : 2.0;
	time_t now = time(NULL);
	char path[1024];
	size_t i, j;
	int rc = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_verify VECTORS_DIR [SECONDS_PER_MEASURE]\n");
		return 2;
	}
	vec = argv[1];
	if (card_trust_new(&trust) != 0)
		return 1;
	for (i = 0; i < sizeof(cscas) / sizeof(cscas[0]); i++) {
		snprintf(path, sizeof(path), "%s/pki/%s", vec, cscas[i].cert);
		if (card_trust_add_cert_file(trust, path, NULL) != 0)
			goto out;
		snprintf(path, sizeof(path), "%s/pki/%s", vec, cscas[i].crl);
		if (card_trust_add_crl_file(trust, path, NULL) != 0)
			goto out;
	}
	printf("| card | DS signature | verifications/s (1 core) | us per verification | "
	    "signature checks alone, us | overhead (full / signatures) |\n|---|---|---|---|---|---|\n");
	for (i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		if (argc > 3 && strcmp(argv[3], cards[i]) != 0)
			continue;
		struct floor_ctx f = { 0 };
		struct full_arg fa;
		struct card_sod *sod = NULL;
		STACK_OF(X509) *certs = NULL;
		X509 *csca = NULL;
		char *body = request_body(cards[i]);
		uint8_t *sodb = NULL;
		size_t sodn = 0;
		double full = -1, sig = -1;

		sodb = card_file(cards[i], "EF.SOD.bin", &sodn);
		if (body == NULL || sodb == NULL || card_sod_parse(sodb, sodn, &sod) != 0)
			goto card_out;
		certs = CMS_get1_certs(sod->cms);
		if (certs == NULL || sk_X509_num(certs) < 1 ||
		    CMS_set1_signers_certs(sod->cms, NULL, 0) < 1)
			goto card_out;
		f.si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(sod->cms), 0);
		f.ds = sk_X509_value(certs, 0);
		for (j = 0; j < sizeof(cscas) / sizeof(cscas[0]) && f.csca_key == NULL; j++) {
			X509_free(csca);
			if ((csca = load_cert(cscas[j].cert)) != NULL &&
			    X509_verify(f.ds, X509_get0_pubkey(csca)) == 1) {
				f.csca_key = X509_get0_pubkey(csca);
				f.crl = load_crl(cscas[j].crl);
			}
		}
		if (f.csca_key == NULL)
			goto card_out;
		fa.body = body;
		fa.trust = trust;
		fa.now = now;
		full = measure(seconds, full_call, &fa);
		sig = measure(seconds, floor_call, &f);
		if (full > 0 && sig > 0)
			printf("| %s | %s | %.0f | %.0f | %.0f | %.2fx |\n", cards[i],
			    OBJ_nid2sn(EVP_PKEY_get_base_id(X509_get0_pubkey(f.ds))), 1.0 / full,
			    full * 1e6, sig * 1e6, full / sig);
		else
			printf("| %s | verification failed: the vectors do not verify |\n", cards[i]);
card_out:
		X509_CRL_free(f.crl);
		X509_free(csca);
		sk_X509_pop_free(certs, X509_free);
		card_sod_free(&sod);
		free(sodb);
		free(body);
		if (full <= 0 || sig <= 0)
			goto out;
	}
	rc = 0;
out:
	card_trust_free(&trust);
	return rc;
}
