/* srv_trust.c - the chip-verification trust store on disk (see srv_trust.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cx_util.h"
#include "srv_log.h"
#include "srv_secret.h"
#include "srv_trust.h"

enum tkind { TK_NONE = 0, TK_CERT, TK_ML, TK_CRL };

static const char *
tkind_name(enum tkind k)
{
	switch (k) {
	case TK_CERT: return "csca";
	case TK_ML: return "masterlist";
	case TK_CRL: return "crl";
	default: return "unknown";
	}
}

static const char *
tkind_ext(enum tkind k)
{
	switch (k) {
	case TK_CERT: return "cer";
	case TK_ML: return "ml";
	case TK_CRL: return "crl";
	default: return "";
	}
}

/* Kind of a file in the trust directory, by its name; TK_NONE = ignored. */
static enum tkind
kind_of_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (name[0] == '.' || dot == NULL)
		return TK_NONE;
	dot++;
	if (strcmp(dot, "cer") == 0 || strcmp(dot, "crt") == 0 || strcmp(dot, "pem") == 0 ||
	    strcmp(dot, "der") == 0)
		return TK_CERT;
	if (strcmp(dot, "ml") == 0 || strcmp(dot, "mls") == 0)
		return TK_ML;
	if (strcmp(dot, "crl") == 0)
		return TK_CRL;
	return TK_NONE;
}

static int
trust_dir(const char *data_dir, char *out, size_t outsz)
{
	return (size_t)snprintf(out, outsz, "%s/trust", data_dir) < outsz ? 0 : EID_ERR_INVALID_ARGUMENT;
}

/* Read a whole regular file of at most max bytes. Caller frees *buf. */
static int
read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *b = NULL;
	size_t n;
	FILE *f = NULL;
	int r = EID_ERR_IO;

	*buf = NULL;
	*len = 0;
	errno = 0;
	if ((f = fopen(path, "rb")) == NULL)
		goto out;
	if (fstat(fileno(f), &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	n = fread(b, 1, (size_t)st.st_size + 1, f);
	if (n != (size_t)st.st_size)
		goto out;       /* changed while reading */
	*buf = b;
	*len = n;
	b = NULL;
	r = 0;
out:
	free(b);
	if (f != NULL)
		fclose(f);
	return r;
}

static int
sha256_hex(const uint8_t *buf, size_t len, char out[65])
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return EID_ERR_CRYPTO;
	cx_hex_encode(out, md, 32);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Sorted names of the trust files (kind != TK_NONE). A missing directory is empty. */
static int
list_names(const char *dir, char ***out, size_t *nout)
{
	DIR *d = NULL;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;
	int r = 0;

	*out = NULL;
	*nout = 0;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : EID_ERR_IO;
	if ((v = calloc(SRV_TRUST_MAX_FILES, sizeof(*v))) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (kind_of_name(de->d_name) == TK_NONE)
			continue;
		if (n >= SRV_TRUST_MAX_FILES) {
			r = EID_ERR_TOO_LARGE;
			goto out;
		}
		if ((v[n] = strdup(de->d_name)) == NULL) {
			r = EID_ERR_NOMEM;
			goto out;
		}
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
out:
	free_names(v, n);
	closedir(d);
	return r;
}

static int
time_text(const ASN1_TIME *t, char out[32])
{
	struct tm tm;

	out[0] = '\0';
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	return strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0 ? 0 : -1;
}

static json_t *
entry_json(const struct card_trust_entry *e, const char *file, const char *source)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "csca", "subject", e->subject,
	    "serial", e->serial, "not_after", e->not_after_text, "sha256", e->sha256, "file", file,
	    "source", source);
}

/* Append CSCA entries [from, to) of ct to arr. */
static int
append_entries(json_t *arr, const struct card_trust *ct, size_t from, size_t to,
    const char *file, const char *source)
{
	struct card_trust_entry e;
	size_t i;
	int r;

	for (i = from; i < to; i++) {
		if ((r = card_trust_entry(ct, i, &e)) != 0)
			return r;
		if (json_array_append_new(arr, entry_json(&e, file, source)) != 0)
			return EID_ERR_NOMEM;
	}
	return 0;
}

/* Describe the CRL(s) in a file with OpenSSL (card_trust keeps no per-CRL listing). */
static int
append_crls(json_t *arr, const uint8_t *buf, size_t len, const char *file, const char *sha)
{
	BIO *bio = NULL;
	X509_CRL *c = NULL;
	const unsigned char *p = buf;
	int r = 0, pem = len >= 11 && memcmp(buf, "-----BEGIN ", 11) == 0;

	if (!pem) {
		if ((c = d2i_X509_CRL(NULL, &p, (long)len)) == NULL)
			return EID_ERR_FORMAT;
	} else if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return EID_ERR_NOMEM;
	for (;;) {
		char subject[256] = "", serial[80] = "", na[32] = "";
		ASN1_INTEGER *num = NULL;
		BIGNUM *bn = NULL;
		char *hex = NULL;
		BIO *mb;

		if (pem && (c = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) == NULL)
			break;
		if ((mb = BIO_new(BIO_s_mem())) != NULL) {
			int n;

			X509_NAME_print_ex(mb, X509_CRL_get_issuer(c), 0, XN_FLAG_RFC2253);
			n = BIO_read(mb, subject, (int)sizeof(subject) - 1);
			subject[n > 0 ? n : 0] = '\0';
			BIO_free(mb);
		}
		if ((num = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL)) != NULL &&
		    (bn = ASN1_INTEGER_to_BN(num, NULL)) != NULL && (hex = BN_bn2hex(bn)) != NULL)
			snprintf(serial, sizeof(serial), "%s", hex);
		OPENSSL_free(hex);
		BN_free(bn);
		ASN1_INTEGER_free(num);
		(void)time_text(X509_CRL_get0_nextUpdate(c), na);
		if (json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "crl",
		    "subject", subject, "serial", serial, "not_after", na, "sha256", sha, "file", file,
		    "source", "crl")) != 0)
			r = EID_ERR_NOMEM;
		X509_CRL_free(c);
		c = NULL;
		if (!pem || r != 0)
			break;
	}
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

static int
add_by_kind(struct card_trust *ct, enum tkind k, const uint8_t *buf, size_t len, time_t at)
{
	switch (k) {
	case TK_CERT: return card_trust_add_cert(ct, buf, len, NULL);
	case TK_CRL: return card_trust_add_crl(ct, buf, len, NULL);
	case TK_ML: return card_trust_add_masterlist(ct, buf, len, CARD_TRUST_ML_CHAIN, at, NULL);
	default: return EID_ERR_INVALID_ARGUMENT;
	}
}

/* Load the directory into a new card_trust; with listing != NULL also describe it. */
static int
load_dir(const char *data_dir, time_t at, struct card_trust **out, json_t *listing)
{
	static const enum tkind order[3] = { TK_CERT, TK_ML, TK_CRL };
	struct card_trust *ct = NULL;
	char dir[4096], path[4400], sha[65];
	char **names = NULL;
	uint8_t *buf = NULL;
	size_t n = 0, i, pass, len = 0, before;
	int r;

	*out = NULL;
	if ((r = trust_dir(data_dir, dir, sizeof(dir))) != 0 ||
	    (r = list_names(dir, &names, &n)) != 0 || (r = card_trust_new(&ct)) != 0)
		goto out;
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < n; i++) {
			enum tkind k = kind_of_name(names[i]);
			int rr;

			if (k != order[pass])
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			free(buf);
			buf = NULL;
			before = card_trust_count(ct);
			if ((rr = read_file(path, CARD_TRUST_MAX_FILE_BYTES, &buf, &len)) != 0 ||
			    (rr = add_by_kind(ct, k, buf, len, at)) != 0) {
				if (rr == EID_ERR_NOMEM) {
					r = rr;
					goto out;
				}
				log_error("trust_file_skipped", LS("file", names[i]),
				    LS("kind", tkind_name(k)), LS("reason", eid_strerror(rr)));
				continue;
			}
			if (listing == NULL)
				continue;
			if (k == TK_CRL) {
				if ((r = sha256_hex(buf, len, sha)) != 0 ||
				    (r = append_crls(listing, buf, len, names[i], sha)) != 0)
					goto out;
			} else if ((r = append_entries(listing, ct, before, card_trust_count(ct),
			    names[i], k == TK_ML ? "masterlist" : "certificate")) != 0)
				goto out;
		}
	}
	*out = ct;
	ct = NULL;
out:
	free(buf);
	free_names(names, n);
	card_trust_free(&ct);
	return r;
}

int
srv_trust_load_dir(const char *data_dir, time_t at, struct card_trust **out)
{
	return load_dir(data_dir, at, out, NULL);
}

int
srv_trust_list(const char *data_dir, json_t **out, char *err, size_t errlen)
{
	struct card_trust *ct = NULL;
	json_t *arr = json_array();
	int r;

	*out = NULL;
	if (arr == NULL)
		return EID_ERR_NOMEM;
	if ((r = load_dir(data_dir, time(NULL), &ct, arr)) != 0) {
		snprintf(err, errlen, "cannot read %s/trust: %s", data_dir, eid_strerror(r));
		json_decref(arr);
		return r;
	}
	card_trust_free(&ct);
	*out = arr;
	return 0;
}

/*
 * 1 when every certificate in buf (PEM bundle or one DER) is a CA certificate.
 * Only called after card_trust_add_cert accepted buf.
 */
static int
all_ca(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	const unsigned char *p = buf;
	int ok = 1;

	if (!(len >= 11 && memcmp(buf, "-----BEGIN ", 11) == 0)) {
		if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
			return 0;
		ok = X509_check_ca(x) != 0;
	} else if ((bio = BIO_new_mem_buf(buf, (int)len)) != NULL) {
		while (ok && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			ok = X509_check_ca(x) != 0;
			if (ok) {
				X509_free(x);
				x = NULL;
			}
		}
	} else
		ok = 0;
	if (!ok && x != NULL) {
		char name[256];

		X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
		snprintf(err, errlen, "certificate %s is not a CA certificate: only CSCA "
		    "certificates are trust anchors (Document Signer certificates come inside "
		    "each EF.SOD)", name);
	}
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return ok;
}

static int
write_atomic(const char *dir, const char *name, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	char tmp[4400], path[4400];
	int fd = -1, r = EID_ERR_IO;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
		return EID_ERR_IO;
	}
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot rename: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		unlink(tmp);
	return r;
}

int
srv_trust_import(struct srv_store *store, const char *data_dir, const char *path,
    char **summary_json, char *err, size_t errlen)
{
	struct card_trust *scratch = NULL;
	enum tkind kind = TK_NONE;
	json_t *entries = NULL, *sum = NULL;
	uint8_t *buf = NULL;
	char dir[4096], name[80], stored[4400], sha[65];
	size_t len = 0, before = 0;
	struct stat st;
	int r, already = 0;
	int64_t g;

	if (summary_json != NULL)
		*summary_json = NULL;
	if ((entries = json_array()) == NULL)
		return EID_ERR_NOMEM;
	if ((r = read_file(path, CARD_TRUST_MAX_FILE_BYTES, &buf, &len)) != 0) {
		if (r == EID_ERR_TOO_LARGE)
			snprintf(err, errlen, "%s: larger than %d bytes: not a trust file", path,
			    CARD_TRUST_MAX_FILE_BYTES);
		else
			snprintf(err, errlen, "%s: cannot read: %s", path,
			    r == EID_ERR_IO && errno != 0 ? strerror(errno) : eid_strerror(r));
		goto out;
	}
	if (len == 0) {
		snprintf(err, errlen, "%s: empty file", path);
		r = EID_ERR_FORMAT;
		goto out;
	}
	/* detect the kind by loading into a scratch store: certificate, then CRL */
	if ((r = card_trust_new(&scratch)) != 0)
		goto out;
	if (card_trust_add_cert(scratch, buf, len, NULL) == 0) {
		kind = TK_CERT;
		if (!all_ca(buf, len, err, errlen)) {
			r = EID_ERR_FORMAT;
			goto out;
		}
		if ((r = append_entries(entries, scratch, 0, card_trust_count(scratch), "", "certificate")) != 0)
			goto out;
	} else if (card_trust_add_crl(scratch, buf, len, NULL) == 0) {
		kind = TK_CRL;
	} else {
		/* a master list needs the CSCAs already trusted (CARD_TRUST_ML_CHAIN) */
		card_trust_free(&scratch);
		if ((r = load_dir(data_dir, time(NULL), &scratch, NULL)) != 0) {
			snprintf(err, errlen, "cannot read %s/trust: %s", data_dir, eid_strerror(r));
			goto out;
		}
		before = card_trust_count(scratch);
		r = card_trust_add_masterlist(scratch, buf, len, CARD_TRUST_ML_CHAIN, time(NULL), NULL);
		if (r == EID_ERR_TRUST) {
			snprintf(err, errlen, "%s: an ICAO master list whose signer does not chain to a "
			    "trusted CSCA (import the publishing state's CSCA certificate first)", path);
			r = EID_ERR_FORMAT;
			goto out;
		} else if (r == EID_ERR_BAD_SIGNATURE) {
			snprintf(err, errlen, "%s: an ICAO master list whose signature does not verify", path);
			r = EID_ERR_FORMAT;
			goto out;
		} else if (r != 0) {
			snprintf(err, errlen, "%s: not a certificate, CRL or ICAO master list (PEM or DER)",
			    path);
			r = EID_ERR_FORMAT;
			goto out;
		}
		kind = TK_ML;
		if ((r = append_entries(entries, scratch, before, card_trust_count(scratch), "", "masterlist")) != 0)
			goto out;
	}
	if ((r = sha256_hex(buf, len, sha)) != 0)
		goto out;
	if (kind == TK_CRL && (r = append_crls(entries, buf, len, "", sha)) != 0)
		goto out;
	snprintf(name, sizeof(name), "%s.%s", sha, tkind_ext(kind));
	if ((r = trust_dir(data_dir, dir, sizeof(dir))) != 0 ||
	    (r = srv_mkdir_private(dir, err, errlen)) != 0)
		goto out;
	snprintf(stored, sizeof(stored), "%s/%s", dir, name);
	if (stat(stored, &st) == 0) {
		already = 1;            /* same content: nothing to do */
	} else {
		if ((r = write_atomic(dir, name, buf, len, err, errlen)) != 0)
			goto out;
		if ((r = srv_store_setting_bump(store, "trust_generation", &g)) != 0) {
			snprintf(err, errlen, "stored %s but cannot bump trust_generation: %s "
			    "(eidd picks the file up at its next trust change or restart)", name,
			    eid_strerror(r));
			goto out;
		}
	}
	{
		size_t i;
		json_t *e;

		json_array_foreach(entries, i, e) {
			json_object_set_new(e, "file", json_string(name));
			json_object_del(e, "source");
		}
	}
	sum = json_pack("{s:s,s:s,s:s,s:s,s:b,s:O}", "file", path, "kind", tkind_name(kind),
	    "subject", json_array_size(entries) > 0 ?
	    json_string_value(json_object_get(json_array_get(entries, 0), "subject")) : "",
	    "stored", name, "already_present", already, "entries", entries);
	if (sum == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if (summary_json != NULL &&
	    (*summary_json = json_dumps(sum, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		r = EID_ERR_NOMEM;
out:
	json_decref(sum);
	json_decref(entries);
	card_trust_free(&scratch);
	free(buf);
	return r;
}

/* ---- the running server's snapshot ---- */

struct snapshot {
	struct srv_trust_snapshot pub;
	struct card_trust *ct;
	int refs;
};

struct srv_trust {
	struct srv_store *store;
	char *data_dir;
	pthread_mutex_t mu;
	struct snapshot *cur;
	atomic_llong last_check;        /* unix seconds of the last generation check */
	int require_crl;                /* applied to every snapshot (card_trust_set_require_crl) */
};

static void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	card_trust_free(&s->ct);
	free(s);
}

static int
read_generation(struct srv_store *store, long long *g)
{
	char *v = NULL;
	int r;

	*g = 0;
	if ((r = srv_store_setting_get(store, "trust_generation", &v)) == EID_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	*g = strtoll(v, NULL, 10);
	free(v);
	return 0;
}

static int
snapshot_load(struct srv_trust *t, long long generation, struct snapshot **out)
{
	struct snapshot *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return EID_ERR_NOMEM;
	if ((r = load_dir(t->data_dir, time(NULL), &s->ct, NULL)) != 0) {
		free(s);
		return r;
	}
	card_trust_set_require_crl(s->ct, t->require_crl);
	s->pub.trust = s->ct;
	s->pub.generation = generation;
	s->pub.ncscas = card_trust_count(s->ct);
	s->pub.ncrls = card_trust_crl_count(s->ct);
	s->refs = 1;
	*out = s;
	return 0;
}

int
srv_trust_open(struct srv_store *store, const char *data_dir, struct srv_trust **out,
    char *err, size_t errlen)
{
	struct srv_trust *t;
	long long g = 0;
	int r;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->data_dir = strdup(data_dir)) == NULL) {
		free(t);
		return EID_ERR_NOMEM;
	}
	t->store = store;
	pthread_mutex_init(&t->mu, NULL);
	if ((r = read_generation(store, &g)) != 0 || (r = snapshot_load(t, g, &t->cur)) != 0) {
		snprintf(err, errlen, "cannot load the trust store %s/trust: %s", data_dir,
		    eid_strerror(r));
		srv_trust_free(&t);
		return r;
	}
	atomic_store(&t->last_check, (long long)time(NULL));
	log_info("trust_store_loaded", LI("generation", g), LI("cscas", (long long)t->cur->pub.ncscas),
	    LI("crls", (long long)t->cur->pub.ncrls));
	*out = t;
	return 0;
}

void
srv_trust_free(struct srv_trust **tp)
{
	struct srv_trust *t;

	if (tp == NULL || (t = *tp) == NULL)
		return;
	snapshot_free(t->cur);
	pthread_mutex_destroy(&t->mu);
	free(t->data_dir);
	free(t);
	*tp = NULL;
}

int
srv_trust_refresh(struct srv_trust *t)
{
	long long now = (long long)time(NULL), last = atomic_load(&t->last_check), g;
	struct snapshot *s = NULL, *old;
	int r;

	if (now == last || !atomic_compare_exchange_strong(&t->last_check, &last, now))
		return 0;               /* checked this second already, or another thread is */
	if ((r = read_generation(t->store, &g)) != 0)
		return r;
	pthread_mutex_lock(&t->mu);
	if (g == t->cur->pub.generation) {
		pthread_mutex_unlock(&t->mu);
		return 0;
	}
	pthread_mutex_unlock(&t->mu);
	if ((r = snapshot_load(t, g, &s)) != 0) {
		log_error("trust_store_reload_failed", LS("reason", eid_strerror(r)));
		return r;
	}
	pthread_mutex_lock(&t->mu);
	old = t->cur;
	t->cur = s;
	if (--old->refs != 0)
		old = NULL;             /* the last reader frees it */
	pthread_mutex_unlock(&t->mu);
	snapshot_free(old);
	log_info("trust_store_reloaded", LI("generation", g), LI("cscas", (long long)s->pub.ncscas),
	    LI("crls", (long long)s->pub.ncrls));
	return 0;
}

const struct srv_trust_snapshot *
srv_trust_acquire(struct srv_trust *t)
{
	struct snapshot *s;

	pthread_mutex_lock(&t->mu);
	s = t->cur;
	s->refs++;
	pthread_mutex_unlock(&t->mu);
	return &s->pub;
}

void
srv_trust_release(struct srv_trust *t, const struct srv_trust_snapshot *snap)
{
	struct snapshot *s;
	int last;

	if (snap == NULL)
		return;
	s = (struct snapshot *)(void *)((const char *)snap - offsetof(struct snapshot, pub));
	pthread_mutex_lock(&t->mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&t->mu);
	if (last)
		snapshot_free(s);
}

void
srv_trust_set_require_crl(struct srv_trust *t, int on)
{
	pthread_mutex_lock(&t->mu);
	t->require_crl = on != 0;
	if (t->cur != NULL)
		card_trust_set_require_crl(t->cur->ct, t->require_crl);
	pthread_mutex_unlock(&t->mu);
}
