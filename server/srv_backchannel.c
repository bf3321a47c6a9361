/*
 * srv_backchannel.c - OpenID Connect Back-Channel Logout 1.0 (see srv_backchannel.h).
 *
 * Three parts: the pure functions (claims, job encoding, retry schedule, algorithm
 * choice); the enqueue side, run by request threads (Redis and store only); and the
 * worker, one thread with a libcurl multi handle that claims due jobs from Redis, sends
 * up to BCL_PARALLEL logout tokens at a time and reschedules or drops each job when its
 * transfer ends. The multi handle is made when the first job is to be sent, so an eidd
 * that never sends one never loads libcurl (srv_curl.h); until then the worker sleeps on
 * a condition variable, afterwards in curl_multi_poll(). A local enqueue and stop wake
 * it either way: a signal, or curl_multi_wakeup() (the one libcurl call allowed from
 * another thread), chosen under wait_mu so that neither is lost.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cx_util.h"
#include "srv_backchannel.h"
#include "srv_curl.h"
#include "srv_log.h"
#include "srv_redis.h"
#include "srv_store.h"
#include "srv_tokens.h"
#include "srv_validate.h"

#define BCL_DUE_KEY         "eid:bcl:due"       /* sorted set: job id, score due (unix ms) */
#define BCL_JOB_PREFIX      "eid:bcl:job:"      /* + job id: the encoded job */
#define BCL_JOB_ID_BYTES    16
#define BCL_JOB_ID_LEN      CX_B64URL_LEN(BCL_JOB_ID_BYTES)
#define BCL_JOB_KEY_MAX     (sizeof(BCL_JOB_PREFIX) + 256)
#define BCL_LEASE_MS        30000   /* a claimed job falls due again if its worker dies */
#define BCL_IDLE_POLL_MS    500     /* how often an idle worker looks for due jobs */
#define BCL_REDIS_RETRY_MS  1000    /* after a Redis or store error */
#define BCL_STORE_RETRY_MS  5000    /* a job whose client could not be read */
#define BCL_NO_CURL_RETRY_MS 60000  /* libcurl could not be loaded: jobs wait this long */
#define BCL_PARALLEL        8       /* transfers at once */
#define BCL_ATTEMPTS_MAX    1000    /* decode bound; the schedule gives up long before */

/* ---- pure parts ---- */

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

int
srv_backchannel_claims(const char *issuer, const char *client_id, const char *sub,
    const char *sid, time_t now, const char *jti, json_t **out)
{
	json_t *c;

	*out = NULL;
	if (empty(issuer) || empty(client_id) || empty(sub) || empty(jti) || now < 0)
		return EID_ERR_INVALID_ARGUMENT;
	/* json_pack fails on a string that is not UTF-8 too: treated as a bad argument */
	c = json_pack("{s:s,s:s,s:I,s:I,s:s,s:{s:{}},s:s}", "iss", issuer, "aud", client_id,
	    "iat", (json_int_t)now, "exp", (json_int_t)now + SRV_BACKCHANNEL_LIFETIME, "jti", jti,
	    "events", SRV_BACKCHANNEL_EVENT, "sub", sub);
	if (c == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (!empty(sid) && json_object_set_new(c, "sid", json_string(sid)) != 0) {
		json_decref(c);
		return EID_ERR_INVALID_ARGUMENT;
	}
	*out = c;
	return 0;
}

/* A fixed-size field holds a NUL-terminated string. */
static int
field_ok(const char *s, size_t size, int required)
{
	size_t n = strnlen(s, size);

	return n < size && (!required || n > 0);
}

int
srv_backchannel_job_encode(const struct srv_backchannel_job *job, char **out)
{
	json_t *o;
	char *text;

	*out = NULL;
	if (!field_ok(job->client_id, sizeof(job->client_id), 1) ||
	    !field_ok(job->sub, sizeof(job->sub), 1) || !field_ok(job->sid, sizeof(job->sid), 0) ||
	    job->attempts > BCL_ATTEMPTS_MAX || job->created < 0)
		return EID_ERR_INVALID_ARGUMENT;
	o = json_pack("{s:s,s:s,s:s,s:I,s:I}", "client_id", job->client_id, "sub", job->sub,
	    "sid", job->sid, "attempts", (json_int_t)job->attempts, "created",
	    (json_int_t)job->created);
	if (o == NULL)
		return EID_ERR_INVALID_ARGUMENT;       /* not UTF-8 */
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return EID_ERR_NOMEM;
	if (strlen(text) > SRV_BACKCHANNEL_JOB_MAX) {
		free(text);
		return EID_ERR_TOO_LARGE;
	}
	*out = text;
	return 0;
}

/* Copy member `name` (a string without NUL bytes that fits) into dst. */
static int
copy_member(const json_t *o, const char *name, char *dst, size_t dstsz, int required)
{
	const json_t *v = json_object_get(o, name);
	const char *s;
	size_t n;

	dst[0] = '\0';
	if (v == NULL)
		return required ? EID_ERR_FORMAT : 0;
	if (!json_is_string(v))
		return EID_ERR_FORMAT;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n != strlen(s) || n >= dstsz || (required && n == 0))
		return EID_ERR_FORMAT;
	memcpy(dst, s, n + 1);
	return 0;
}

static int
int_member(const json_t *o, const char *name, long long max, long long *out)
{
	const json_t *v = json_object_get(o, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return EID_ERR_FORMAT;
	*out = (long long)json_integer_value(v);
	return 0;
}

int
srv_backchannel_job_decode(const char *text, size_t len, struct srv_backchannel_job *out)
{
	json_t *o = NULL;
	json_error_t jerr;
	long long attempts = 0, created = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return EID_ERR_FORMAT;
	if (len > SRV_BACKCHANNEL_JOB_MAX)
		return EID_ERR_TOO_LARGE;
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		r = EID_ERR_FORMAT;
		goto out;
	}
	if ((r = copy_member(o, "client_id", out->client_id, sizeof(out->client_id), 1)) != 0 ||
	    (r = copy_member(o, "sub", out->sub, sizeof(out->sub), 1)) != 0 ||
	    (r = copy_member(o, "sid", out->sid, sizeof(out->sid), 0)) != 0 ||
	    (r = int_member(o, "attempts", BCL_ATTEMPTS_MAX, &attempts)) != 0 ||
	    (r = int_member(o, "created", (long long)1 << 40, &created)) != 0)
		goto out;
	out->attempts = (unsigned)attempts;
	out->created = created;
out:
	json_decref(o);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

long
srv_backchannel_retry_delay(unsigned attempts)
{
	static const long schedule[] = { 1, 5, 30, 120 };

	if (attempts == 0)
		return 0;
	if (attempts > sizeof(schedule) / sizeof(schedule[0]))
		return -1;
	return schedule[attempts - 1];
}

int
srv_backchannel_delivered(long http_status)
{
	return http_status == 200 || http_status == 204;
}

enum tok_alg
srv_backchannel_alg(const json_t *client_metadata)
{
	const char *name = json_string_value(json_object_get(client_metadata,
	    "id_token_signed_response_alg"));
	enum tok_alg alg;

	if (name != NULL && tok_alg_from_name(name, &alg) == 0)
		return alg;
	return TOK_ALG_RS256;
}

/* ---- shared state: the process's worker, for wake-ups ---- */

struct bcl_slot {
	CURL *h;                    /* NULL: the slot is free */
	struct curl_slist *hdrs;
	char *member;               /* the job id (from the due set) */
	char *body;                 /* "logout_token=<jwt>", wiped when freed */
	struct srv_backchannel_job job;
	size_t got;                 /* response bytes seen */
	int capped;                 /* the transfer was cut at SRV_BACKCHANNEL_MAX_RESPONSE */
};

struct srv_backchannel {
	struct srv_app *app;
	CURLM *multi;               /* NULL until the first transfer; set under wait_mu */
	pthread_mutex_t wait_mu;    /* guards multi's creation against wake-ups */
	pthread_cond_t wait_cv;     /* the idle wait while multi is NULL */
	pthread_t thread;
	atomic_int stop;
	atomic_int kick;            /* a local enqueue: look for due jobs now */
	long long next_claim_ms;    /* monotonic; worker thread only */
	struct bcl_slot slot[BCL_PARALLEL];
};

static pthread_mutex_t worker_mu = PTHREAD_MUTEX_INITIALIZER;
static struct srv_backchannel *worker;     /* guarded by worker_mu */

/* Wake bc's worker from another thread (after setting kick or stop). */
static void
wake(struct srv_backchannel *bc)
{
	pthread_mutex_lock(&bc->wait_mu);
	if (bc->multi != NULL)
		(void)curl_multi_wakeup(bc->multi);
	else
		pthread_cond_signal(&bc->wait_cv);
	pthread_mutex_unlock(&bc->wait_mu);
}

static void
wake_worker(void)
{
	pthread_mutex_lock(&worker_mu);
	if (worker != NULL) {
		atomic_store(&worker->kick, 1);
		wake(worker);
	}
	pthread_mutex_unlock(&worker_mu);
}

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
job_key(const char *member, char out[BCL_JOB_KEY_MAX])
{
	snprintf(out, BCL_JOB_KEY_MAX, "%s%s", BCL_JOB_PREFIX, member);
}

/* ---- enqueue (request path) ---- */

static const char *
backchannel_uri(const struct srv_client *c)
{
	const char *uri = json_string_value(json_object_get(c->metadata, "backchannel_logout_uri"));

	return empty(uri) ? NULL : uri;
}

/* One job for client_id, if it wants one. *queued is set to 1 when a job was written. */
static int
enqueue_one(struct srv_app *app, const char *client_id, const char *account, const char *sid,
    long long due_ms, int *queued)
{
	struct srv_client *c = NULL;
	struct srv_backchannel_job job;
	char id[BCL_JOB_ID_LEN], key[BCL_JOB_KEY_MAX];
	char *text = NULL;
	int r;

	*queued = 0;
	memset(&job, 0, sizeof(job));
	if (strlen(client_id) > EID_CLIENT_ID_MAX)
		return 0;                               /* not one of ours */
	r = srv_store_client_get(app->store, client_id, &c);
	if (r == EID_ERR_NOT_FOUND || r == EID_ERR_INVALID_ARGUMENT) {
		r = 0;
		goto out;
	}
	if (r != 0 || c->disabled || backchannel_uri(c) == NULL)
		goto out;
	memcpy(job.client_id, client_id, strlen(client_id) + 1);
	if ((r = srv_subject_for_client(app->secret, c, account, job.sub)) != 0)
		goto out;
	if (sid != NULL && strlen(sid) < sizeof(job.sid))
		memcpy(job.sid, sid, strlen(sid) + 1);
	job.created = (long long)app->now();
	if ((r = srv_backchannel_job_encode(&job, &text)) != 0)
		goto out;
	cx_random_token(id, sizeof(id), BCL_JOB_ID_BYTES);
	job_key(id, key);
	if ((r = srv_redis_set(app->redis, key, text, strlen(text), SRV_BACKCHANNEL_JOB_TTL, 1)) != 0 ||
	    (r = srv_redis_zadd(app->redis, BCL_DUE_KEY, due_ms, id, SRV_BACKCHANNEL_JOB_TTL)) != 0)
		goto out;
	*queued = 1;
	log_info("backchannel_logout_queued", LS("client_id", client_id));
out:
	if (r != 0)
		log_warn("backchannel_logout_not_queued", LS("client_id", client_id),
		    LS("reason", eid_strerror(r)));
	free(text);
	cx_wipe(&job, sizeof(job));
	srv_client_free(&c);
	return r;
}

int
srv_backchannel_enqueue_session(struct srv_app *app, const json_t *session_data)
{
	const json_t *clients = json_object_get(session_data, "clients");
	const char *account = json_string_value(json_object_get(session_data, "account"));
	const char *sid = json_string_value(json_object_get(session_data, "sid"));
	const char *cid, *prev;
	long long due = wall_ms();
	size_t i, j, n;
	int r, first = 0, queued, any = 0, dup;

	if (!json_is_array(clients) || empty(account))
		return 0;                               /* nobody signed in through it */
	n = json_array_size(clients);
	if (n > SRV_BACKCHANNEL_MAX_CLIENTS)
		n = SRV_BACKCHANNEL_MAX_CLIENTS;
	for (i = 0; i < n; i++) {
		if ((cid = json_string_value(json_array_get(clients, i))) == NULL || *cid == '\0')
			continue;
		for (dup = 0, j = 0; j < i && !dup; j++)
			dup = (prev = json_string_value(json_array_get(clients, j))) != NULL &&
			    strcmp(prev, cid) == 0;
		if (dup)
			continue;
		r = enqueue_one(app, cid, account, sid, due, &queued);
		if (r != 0 && first == 0)
			first = r;
		any |= queued;
	}
	if (any)
		wake_worker();
	return first;
}

/* ---- the worker ---- */

static size_t
on_response(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct bcl_slot *s = arg;
	size_t n = size * nmemb;        /* size is always 1 */

	(void)ptr;
	if (n > SRV_BACKCHANNEL_MAX_RESPONSE - s->got) {
		s->capped = 1;
		return 0;                   /* aborts the transfer (CURLE_WRITE_ERROR) */
	}
	s->got += n;
	return n;
}

static void
slot_release(struct srv_backchannel *bc, struct bcl_slot *s)
{
	if (s->h != NULL) {
		(void)curl_multi_remove_handle(bc->multi, s->h);
		curl_easy_cleanup(s->h);
	}
	curl_slist_free_all(s->hdrs);
	free(s->member);
	cx_free_str(s->body);
	cx_wipe(&s->job, sizeof(s->job));
	memset(s, 0, sizeof(*s));
}

static void
audit(struct srv_app *app, const struct srv_backchannel_job *job, int delivered, long status)
{
	struct srv_audit_event e;
	char details[96];
	int r;

	snprintf(details, sizeof(details), "{\"attempts\":%u,\"http_status\":%ld}", job->attempts,
	    status);
	memset(&e, 0, sizeof(e));
	e.at = (int64_t)app->now();
	e.actor = "eidd";
	e.action = "logout.backchannel";
	e.subject = (char *)job->client_id;
	e.outcome = delivered ? "success" : "failure";
	e.details = details;
	if ((r = srv_store_audit_append(app->store, &e)) != 0)
		log_warn("audit_append_failed", LS("action", "logout.backchannel"),
		    LS("reason", eid_strerror(r)));
}

/* Remove a job for good (delivered, given up, or no longer wanted). */
static void
job_drop(struct srv_app *app, const char *member)
{
	char key[BCL_JOB_KEY_MAX];

	job_key(member, key);
	/* the job key first: a due member without its job is dropped by whoever claims it */
	if (srv_redis_del(app->redis, key) != 0 ||
	    srv_redis_zrem(app->redis, BCL_DUE_KEY, member) != 0)
		log_warn("backchannel_job_not_removed", LS("reason", "redis"));
}

/* Make a claimed job due again at due_ms without counting an attempt. */
static void
job_put_back(struct srv_app *app, const char *member, long long due_ms)
{
	if (srv_redis_zadd(app->redis, BCL_DUE_KEY, due_ms, member, SRV_BACKCHANNEL_JOB_TTL) != 0)
		log_warn("backchannel_job_not_rescheduled", LS("reason", "redis"));
}

/* A transfer (or the attempt to start one) ended: delivered, retry later, or give up. */
static void
job_done(struct srv_backchannel *bc, const char *member, struct srv_backchannel_job *job,
    int delivered, long status, const char *why)
{
	struct srv_app *app = bc->app;
	char key[BCL_JOB_KEY_MAX], *text = NULL;
	long delay;
	int r;

	if (delivered) {
		job->attempts++;
		job_drop(app, member);
		audit(app, job, 1, status);
		log_info("backchannel_logout_sent", LS("client_id", job->client_id),
		    LI("http_status", status), LI("attempts", job->attempts));
		return;
	}
	job->attempts++;
	if ((delay = srv_backchannel_retry_delay(job->attempts)) < 0) {
		job_drop(app, member);
		audit(app, job, 0, status);
		log_error("backchannel_logout_failed", LS("client_id", job->client_id),
		    LI("http_status", status), LS("reason", why), LI("attempts", job->attempts));
		return;
	}
	log_warn("backchannel_logout_retry", LS("client_id", job->client_id),
	    LI("http_status", status), LS("reason", why), LI("attempts", job->attempts),
	    LI("retry_in_s", delay));
	job_key(member, key);
	if ((r = srv_backchannel_job_encode(job, &text)) != 0 ||
	    (r = srv_redis_set(app->redis, key, text, strlen(text), SRV_BACKCHANNEL_JOB_TTL, 0)) != 0 ||
	    (r = srv_redis_zadd(app->redis, BCL_DUE_KEY, wall_ms() + delay * 1000, member,
	    SRV_BACKCHANNEL_JOB_TTL)) != 0)
		log_warn("backchannel_job_not_rescheduled", LS("reason", eid_strerror(r)));
	free(text);
}

/* The signed logout token for a job, as a POST body. */
static int
make_body(struct srv_app *app, const struct srv_client *c, const struct srv_backchannel_job *job,
    char **body)
{
	char jti[CX_B64URL_LEN(SRV_TOKEN_JTI_BYTES)];
	char *jwt = NULL;
	json_t *claims = NULL;
	size_t n;
	int r;

	*body = NULL;
	cx_random_token(jti, sizeof(jti), SRV_TOKEN_JTI_BYTES);
	if ((r = srv_backchannel_claims(app->cfg->issuer, job->client_id, job->sub, job->sid,
	    app->now(), jti, &claims)) != 0 ||
	    (r = srv_tokens_sign_jwt(app, srv_backchannel_alg(c->metadata), SRV_BACKCHANNEL_TYP,
	    claims, &jwt)) != 0)
		goto out;
	/* a compact JWS is base64url and dots: nothing to percent-encode */
	n = strlen("logout_token=") + strlen(jwt) + 1;
	if ((*body = malloc(n)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	snprintf(*body, n, "logout_token=%s", jwt);
out:
	json_decref(claims);
	cx_free_str(jwt);
	return r;
}

/* The multi handle, made on the first transfer (which loads libcurl). 0 or
 * EID_ERR_UNSUPPORTED (srv_curl has logged why). Worker thread only. */
static int
ensure_multi(struct srv_backchannel *bc)
{
	CURLM *m;

	if (bc->multi != NULL)
		return 0;
	if (srv_curl_load() != 0 || (m = curl_multi_init()) == NULL)
		return EID_ERR_UNSUPPORTED;
	(void)curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)BCL_PARALLEL);
	pthread_mutex_lock(&bc->wait_mu);
	bc->multi = m;                              /* wake-ups use it from now on */
	pthread_mutex_unlock(&bc->wait_mu);
	return 0;
}

static int
slot_start_transfer(struct srv_backchannel *bc, struct bcl_slot *s, const char *uri)
{
	CURL *h;

	if ((h = curl_easy_init()) == NULL)
		return EID_ERR_NOMEM;
	s->h = h;
	if ((s->hdrs = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded")) == NULL ||
	    (s->hdrs = curl_slist_append(s->hdrs, "Expect:")) == NULL)
		return EID_ERR_NOMEM;
	if (curl_easy_setopt(h, CURLOPT_URL, uri) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)SRV_BACKCHANNEL_CONNECT_MS) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)SRV_BACKCHANNEL_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "eidd") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->hdrs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_response) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PRIVATE, s) != CURLE_OK)
		return EID_ERR_INTERNAL;
	if (curl_multi_add_handle(bc->multi, h) != CURLM_OK)
		return EID_ERR_INTERNAL;
	return 0;
}

/*
 * A claimed job (member: the slot takes it): read it, check its client, sign, and start
 * the POST in slot s. Jobs that cannot start are finished here.
 */
static void
start_job(struct srv_backchannel *bc, struct bcl_slot *s, char *member)
{
	struct srv_app *app = bc->app;
	struct srv_client *c = NULL;
	char key[BCL_JOB_KEY_MAX];
	const char *uri = NULL, *why;
	uint8_t *val = NULL;
	size_t len = 0;
	int r;

	memset(s, 0, sizeof(*s));
	s->member = member;
	job_key(member, key);
	r = srv_redis_get(app->redis, key, &val, &len);
	if (r == EID_ERR_NOT_FOUND) {               /* expired: forget it */
		if (srv_redis_zrem(app->redis, BCL_DUE_KEY, member) != 0)
			log_warn("backchannel_job_not_removed", LS("reason", "redis"));
		goto drop_slot;
	}
	if (r != 0) {                               /* Redis trouble: the lease brings it back */
		bc->next_claim_ms = mono_ms() + BCL_REDIS_RETRY_MS;
		goto drop_slot;
	}
	if (srv_backchannel_job_decode((const char *)val, len, &s->job) != 0) {
		log_warn("backchannel_job_invalid", LS("reason", "malformed job"));
		job_drop(app, member);
		goto drop_slot;
	}
	r = srv_store_client_get(app->store, s->job.client_id, &c);
	if (r == EID_ERR_NOT_FOUND || r == EID_ERR_INVALID_ARGUMENT ||
	    (r == 0 && (c->disabled || (uri = backchannel_uri(c)) == NULL ||
	    !srv_valid_https_url(uri, &why)))) {
		log_info("backchannel_logout_dropped", LS("client_id", s->job.client_id),
		    LS("reason", r != 0 ? "client gone" : c->disabled ? "client disabled" :
		    "no usable backchannel_logout_uri"));
		job_drop(app, member);
		goto drop_slot;
	}
	if (r != 0) {
		log_warn("backchannel_client_unreadable", LS("reason", eid_strerror(r)));
		job_put_back(app, member, wall_ms() + BCL_STORE_RETRY_MS);
		goto drop_slot;
	}
	if (ensure_multi(bc) != 0) {
		log_warn("backchannel_logout_deferred", LS("client_id", s->job.client_id),
		    LS("reason", "no HTTP client (libcurl could not be loaded)"));
		job_put_back(app, member, wall_ms() + BCL_NO_CURL_RETRY_MS);
		bc->next_claim_ms = mono_ms() + BCL_NO_CURL_RETRY_MS;
		goto drop_slot;
	}
	if ((r = make_body(app, c, &s->job, &s->body)) != 0 ||
	    (r = slot_start_transfer(bc, s, uri)) != 0) {
		job_done(bc, member, &s->job, 0, 0, eid_strerror(r));
		goto drop_slot;
	}
	srv_client_free(&c);
	free(val);
	return;                                     /* running */
drop_slot:
	srv_client_free(&c);
	free(val);
	slot_release(bc, s);
}

/* Claim due jobs into free slots. */
static void
fill(struct srv_backchannel *bc)
{
	char *member;
	long long now;
	size_t i;
	int r;

	for (i = 0; i < BCL_PARALLEL && !atomic_load(&bc->stop); i++) {
		if (bc->slot[i].h != NULL || bc->slot[i].member != NULL)
			continue;
		now = wall_ms();
		r = srv_redis_zclaim_due(bc->app->redis, BCL_DUE_KEY, now, now + BCL_LEASE_MS, &member);
		if (r == EID_ERR_NOT_FOUND) {
			bc->next_claim_ms = mono_ms() + BCL_IDLE_POLL_MS;
			return;
		}
		if (r != 0) {
			bc->next_claim_ms = mono_ms() + BCL_REDIS_RETRY_MS;
			return;
		}
		start_job(bc, &bc->slot[i], member);
		if (bc->next_claim_ms > mono_ms())
			return;                             /* start_job met Redis trouble */
	}
	/* every slot busy: reap() looks again as soon as one frees */
	bc->next_claim_ms = mono_ms() + BCL_IDLE_POLL_MS;
}

/* Finished transfers: record the outcome and free the slot. */
static void
reap(struct srv_backchannel *bc)
{
	struct bcl_slot *s;
	CURLMsg *m;
	CURLcode res;
	long status;
	char *priv;
	int left, delivered;

	while ((m = curl_multi_info_read(bc->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		res = m->data.result;
		priv = NULL;
		status = 0;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv) != CURLE_OK || priv == NULL)
			continue;
		s = (struct bcl_slot *)(void *)priv;
		if (curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
			status = 0;
		/* a status line was read; a long body cut at our cap does not undo it */
		delivered = (res == CURLE_OK || (res == CURLE_WRITE_ERROR && s->capped)) &&
		    srv_backchannel_delivered(status);
		job_done(bc, s->member, &s->job, delivered, status,
		    res != CURLE_OK && !s->capped ? curl_easy_strerror(res) :
		    delivered ? "delivered" : "http status");
		slot_release(bc, s);
		bc->next_claim_ms = 0;                  /* a free slot: more may be due */
	}
}

/* Shutdown: transfers cut short go back to the queue as due now, attempt not counted. */
static void
abandon(struct srv_backchannel *bc)
{
	size_t i;

	for (i = 0; i < BCL_PARALLEL; i++) {
		if (bc->slot[i].h == NULL)
			continue;
		(void)curl_multi_remove_handle(bc->multi, bc->slot[i].h);
		job_put_back(bc->app, bc->slot[i].member, wall_ms());
		log_info("backchannel_logout_deferred", LS("client_id", bc->slot[i].job.client_id),
		    LS("reason", "shutdown"));
		slot_release(bc, &bc->slot[i]);
	}
}

/* The idle wait before the first transfer: until kicked, stopped, or wait_ms passed. */
static void
idle_wait(struct srv_backchannel *bc, long long wait_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(wait_ms / 1000);
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&bc->wait_mu);
	while (!atomic_load(&bc->kick) && !atomic_load(&bc->stop))
		if (pthread_cond_timedwait(&bc->wait_cv, &bc->wait_mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&bc->wait_mu);
}

static void *
worker_main(void *arg)
{
	struct srv_backchannel *bc = arg;
	long long wait;
	int running = 0;

	while (!atomic_load(&bc->stop)) {
		if (atomic_exchange(&bc->kick, 0))
			bc->next_claim_ms = 0;
		if (mono_ms() >= bc->next_claim_ms)
			fill(bc);
		if (bc->multi != NULL) {
			(void)curl_multi_perform(bc->multi, &running);
			reap(bc);
		}
		if (atomic_load(&bc->stop))
			break;
		wait = bc->next_claim_ms - mono_ms();
		if (wait > BCL_IDLE_POLL_MS)
			wait = BCL_IDLE_POLL_MS;
		if (wait < 0)
			wait = 0;
		/* returns on socket activity, curl's own timers, the deadline or a wake-up */
		if (bc->multi != NULL)
			(void)curl_multi_poll(bc->multi, NULL, 0, (int)wait, NULL);
		else
			idle_wait(bc, wait);
	}
	abandon(bc);
	return NULL;
}

int
srv_backchannel_start(struct srv_app *app, struct srv_backchannel **out)
{
	struct srv_backchannel *bc;
	pthread_condattr_t ca;
	sigset_t all, old;
	int e;

	*out = NULL;
	if ((bc = calloc(1, sizeof(*bc))) == NULL)
		return EID_ERR_NOMEM;
	bc->app = app;
	if (pthread_condattr_init(&ca) != 0) {
		free(bc);
		return EID_ERR_NOMEM;
	}
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	e = pthread_cond_init(&bc->wait_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (e != 0) {
		free(bc);
		return EID_ERR_NOMEM;
	}
	pthread_mutex_init(&bc->wait_mu, NULL);
	pthread_mutex_lock(&worker_mu);
	if (worker != NULL) {
		pthread_mutex_unlock(&worker_mu);
		pthread_cond_destroy(&bc->wait_cv);
		pthread_mutex_destroy(&bc->wait_mu);
		free(bc);
		return EID_ERR_EXISTS;                  /* one per process */
	}
	/* signals are for the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&bc->thread, NULL, worker_main, bc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		pthread_mutex_unlock(&worker_mu);
		pthread_cond_destroy(&bc->wait_cv);
		pthread_mutex_destroy(&bc->wait_mu);
		free(bc);
		return EID_ERR_NOMEM;
	}
	worker = bc;
	pthread_mutex_unlock(&worker_mu);
	log_info("backchannel_worker_started", LI("parallel", BCL_PARALLEL));
	*out = bc;
	return 0;
}

void
srv_backchannel_stop(struct srv_backchannel **bp)
{
	struct srv_backchannel *bc;

	if (bp == NULL || (bc = *bp) == NULL)
		return;
	pthread_mutex_lock(&worker_mu);
	if (worker == bc)
		worker = NULL;
	pthread_mutex_unlock(&worker_mu);
	atomic_store(&bc->stop, 1);
	wake(bc);
	pthread_join(bc->thread, NULL);
	if (bc->multi != NULL)
		curl_multi_cleanup(bc->multi);
	pthread_cond_destroy(&bc->wait_cv);
	pthread_mutex_destroy(&bc->wait_mu);
	free(bc);
	*bp = NULL;
}
