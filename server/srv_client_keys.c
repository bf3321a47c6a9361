/* srv_client_keys.c - a client's public keys: registered jwks or a cached jwks_uri (see the header). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "srv_client_keys.h"
#include "srv_curl.h"
#include "srv_log.h"
#include "srv_validate.h"

struct srv_client_keys {
	atomic_uint refs;
	int fetched;                /* from jwks_uri */
	struct tok_keyset *ks;
};

/* One cached jwks_uri of one client. Guarded by cache.mu. */
struct entry {
	char *client_id;
	char *uri;
	struct srv_client_keys *keys;   /* the cache's reference; NULL before the first success */
	time_t fetched_at;              /* when keys were fetched */
	time_t last_attempt;            /* start of the last fetch, successful or not */
	int have_attempt;
	int last_err;                   /* result of the last fetch */
	int fetching;                   /* a thread is fetching (others wait on cache.cv) */
	unsigned users;                 /* threads inside get() for this entry: not evictable */
	time_t last_used;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct entry *e[SRV_CLIENT_KEYS_CACHE_MAX];
	size_t n;
} cache = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { NULL }, 0 };

static srv_client_keys_fetch_fn fetch_fn = srv_client_keys_fetch_http;

void
srv_client_keys_set_fetch(srv_client_keys_fetch_fn fn)
{
	fetch_fn = fn != NULL ? fn : srv_client_keys_fetch_http;
}

/* A fresh object holding ks (consumed), one reference. */
static int
keys_wrap(struct tok_keyset **ks, int fetched, struct srv_client_keys **out)
{
	struct srv_client_keys *k = calloc(1, sizeof(*k));

	*out = NULL;
	if (k == NULL) {
		tok_keyset_free(ks);
		return EID_ERR_NOMEM;
	}
	atomic_init(&k->refs, 1);
	k->fetched = fetched;
	k->ks = *ks;
	*ks = NULL;
	*out = k;
	return 0;
}

const struct tok_keyset *
srv_client_keys_keyset(const struct srv_client_keys *k)
{
	return k != NULL ? k->ks : NULL;
}

int
srv_client_keys_fetched(const struct srv_client_keys *k)
{
	return k != NULL && k->fetched;
}

void
srv_client_keys_release(struct srv_client_keys **kp)
{
	struct srv_client_keys *k;

	if (kp == NULL || *kp == NULL)
		return;
	k = *kp;
	*kp = NULL;
	if (atomic_fetch_sub(&k->refs, 1) == 1) {
		tok_keyset_free(&k->ks);
		free(k);
	}
}

/* A JWKS text into a keyset with at least one key. */
static int
parse_jwks(const char *text, size_t len, struct tok_keyset **out)
{
	int r;

	if ((r = tok_keyset_from_jwks_json(text, len, out)) != 0)
		return r;
	if (tok_keyset_count(*out) == 0) {
		tok_keyset_free(out);
		return EID_ERR_JWK;
	}
	return 0;
}

/* The registered "jwks" object, parsed afresh (not cached: it comes with the client row). */
static int
keys_from_metadata(const json_t *jwks, struct srv_client_keys **out)
{
	struct tok_keyset *ks = NULL;
	char *text;
	int r;

	if (!json_is_object(jwks))
		return EID_ERR_JWK;
	if ((text = json_dumps(jwks, JSON_COMPACT)) == NULL)
		return EID_ERR_NOMEM;
	r = parse_jwks(text, strlen(text), &ks);
	free(text);
	if (r != 0)
		return r;
	return keys_wrap(&ks, 0, out);
}

/* ---- the libcurl transport ---- */

struct body {
	char *p;
	size_t len, cap;
	int too_big;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;        /* size is always 1 (libcurl documents it) */

	if (n > SRV_CLIENT_KEYS_MAX_BYTES - b->len) {
		b->too_big = 1;
		return 0;                   /* aborts the transfer (CURLE_WRITE_ERROR) */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap == 0 ? 4096 : b->cap;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > SRV_CLIENT_KEYS_MAX_BYTES + 1)
			cap = SRV_CLIENT_KEYS_MAX_BYTES + 1;
		if ((p = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

int
srv_client_keys_fetch_http(const char *uri, char **out, size_t *outlen)
{
	struct body b = { NULL, 0, 0, 0 };
	struct curl_slist *hdrs = NULL;
	const char *why;
	long status = 0;
	CURL *h = NULL;
	CURLcode cr;
	int r;

	*out = NULL;
	*outlen = 0;
	if (!srv_valid_https_url(uri, &why))
		return EID_ERR_UNSUPPORTED;
	if (srv_curl_load() != 0)
		return EID_ERR_IO;                      /* logged by srv_curl: cannot fetch */
	if ((h = curl_easy_init()) == NULL ||
	    (hdrs = curl_slist_append(NULL, "Accept: application/jwk-set+json, application/json")) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if (curl_easy_setopt(h, CURLOPT_URL, uri) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)SRV_CLIENT_KEYS_CONNECT_MS) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)SRV_CLIENT_KEYS_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SRV_CLIENT_KEYS_MAX_BYTES) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "eidd") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b) != CURLE_OK) {
		r = EID_ERR_INTERNAL;
		goto out;
	}
	cr = curl_easy_perform(h);
	if (b.too_big || cr == CURLE_FILESIZE_EXCEEDED) {
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	if (cr == CURLE_OPERATION_TIMEDOUT) {
		r = EID_ERR_TIMEOUT;
		goto out;
	}
	if (cr != CURLE_OK) {
		r = cr == CURLE_WRITE_ERROR ? EID_ERR_NOMEM : EID_ERR_IO;
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
		r = EID_ERR_HTTP;
		goto out;
	}
	if (b.p == NULL) {          /* empty body */
		r = EID_ERR_JWK;
		goto out;
	}
	*out = b.p;
	*outlen = b.len;
	b.p = NULL;
	r = 0;
out:
	free(b.p);
	curl_slist_free_all(hdrs);
	if (h != NULL)
		curl_easy_cleanup(h);
	return r;
}

/* ---- the cache ---- */

static void
entry_free(struct entry *e)
{
	if (e == NULL)
		return;
	srv_client_keys_release(&e->keys);
	free(e->client_id);
	free(e->uri);
	free(e);
}

void
srv_client_keys_cache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&cache.mu);
	for (i = 0; i < cache.n; i++) {
		entry_free(cache.e[i]);
		cache.e[i] = NULL;
	}
	cache.n = 0;
	pthread_mutex_unlock(&cache.mu);
}

/* The entry for client_id + uri, made if missing (caller holds cache.mu). NULL: none free. */
static struct entry *
entry_get(const char *client_id, const char *uri, int *err)
{
	struct entry *e;
	size_t i, victim = SIZE_MAX;

	for (i = 0; i < cache.n; i++)
		if (strcmp(cache.e[i]->client_id, client_id) == 0 && strcmp(cache.e[i]->uri, uri) == 0)
			return cache.e[i];
	if (cache.n == SRV_CLIENT_KEYS_CACHE_MAX) {
		for (i = 0; i < cache.n; i++)
			if (cache.e[i]->users == 0 && !cache.e[i]->fetching &&
			    (victim == SIZE_MAX || cache.e[i]->last_used < cache.e[victim]->last_used))
				victim = i;
		if (victim == SIZE_MAX) {
			*err = EID_ERR_TOO_LARGE;   /* every entry is in use right now */
			return NULL;
		}
		entry_free(cache.e[victim]);
		cache.e[victim] = cache.e[--cache.n];
		cache.e[cache.n] = NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL || (e->client_id = strdup(client_id)) == NULL ||
	    (e->uri = strdup(uri)) == NULL) {
		entry_free(e);
		*err = EID_ERR_NOMEM;
		return NULL;
	}
	cache.e[cache.n++] = e;
	return e;
}

/* |a - b| in seconds: threads read the clock at slightly different moments. */
static long long
distance(time_t a, time_t b)
{
	return a >= b ? (long long)a - (long long)b : (long long)b - (long long)a;
}

static int
keys_fresh(const struct entry *e, time_t now)
{
	return e->keys != NULL && distance(now, e->fetched_at) < SRV_CLIENT_KEYS_TTL;
}

/*
 * The fetch policy (caller holds cache.mu). A caller whose clock reads a little earlier
 * than the last attempt is inside the interval too; only a jump back by more than the
 * TTL (the clock was reset) opens it.
 */
static int
fetch_due(const struct entry *e, time_t now, unsigned flags)
{
	int interval_ok = !e->have_attempt ||
	    (now >= e->last_attempt ? (long long)now - (long long)e->last_attempt >= SRV_CLIENT_KEYS_REFETCH_MIN :
	    distance(now, e->last_attempt) > SRV_CLIENT_KEYS_TTL);

	if (!keys_fresh(e, now))
		return interval_ok;
	return (flags & SRV_CLIENT_KEYS_REFRESH) && interval_ok;
}

/* Fetch and parse one jwks_uri (no lock held). */
static int
fetch_keys(const char *client_id, const char *uri, struct srv_client_keys **out)
{
	struct tok_keyset *ks = NULL;
	char *body = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = fetch_fn(uri, &body, &len)) == 0 && (r = parse_jwks(body, len, &ks)) == 0)
		r = keys_wrap(&ks, 1, out);
	free(body);
	if (r == 0)
		log_info("client_jwks_fetched", LS("client_id", client_id), LI("bytes", len),
		    LI("keys", tok_keyset_count((*out)->ks)));
	else
		log_warn("client_jwks_fetch_failed", LS("client_id", client_id), LI("code", r),
		    LS("error", eid_strerror(r)));
	return r;
}

static int
keys_from_uri(const char *client_id, const char *uri, time_t now, unsigned flags,
    struct srv_client_keys **out)
{
	struct srv_client_keys *fresh = NULL, *old = NULL;
	struct entry *e;
	int r = 0;

	pthread_mutex_lock(&cache.mu);
	if ((e = entry_get(client_id, uri, &r)) == NULL)
		goto out;
	e->users++;
	while (e->fetching)
		pthread_cond_wait(&cache.cv, &cache.mu);
	if (fetch_due(e, now, flags)) {
		e->fetching = 1;
		e->have_attempt = 1;
		e->last_attempt = now;
		pthread_mutex_unlock(&cache.mu);
		r = fetch_keys(client_id, uri, &fresh);
		pthread_mutex_lock(&cache.mu);
		e->fetching = 0;
		e->last_err = r;
		if (r == 0) {
			old = e->keys;
			e->keys = fresh;
			e->fetched_at = now;
			fresh = NULL;
		}
		pthread_cond_broadcast(&cache.cv);
	}
	e->users--;
	e->last_used = now;
	if (keys_fresh(e, now)) {
		atomic_fetch_add(&e->keys->refs, 1);
		*out = e->keys;
		r = 0;
	} else {
		r = e->last_err != 0 ? e->last_err : EID_ERR_IO;
	}
out:
	pthread_mutex_unlock(&cache.mu);
	srv_client_keys_release(&old);
	return r;
}

int
srv_client_keys_get(const struct srv_client *client, time_t now, unsigned flags,
    struct srv_client_keys **out)
{
	const json_t *jwks, *uri;

	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (client == NULL || client->client_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	jwks = json_object_get(client->metadata, "jwks");
	uri = json_object_get(client->metadata, "jwks_uri");
	if (jwks != NULL)
		return keys_from_metadata(jwks, out);
	if (json_is_string(uri))
		return keys_from_uri(client->client_id, json_string_value(uri), now, flags, out);
	return EID_ERR_NOT_FOUND;
}
