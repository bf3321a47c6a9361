/*
 * test_backchannel.c - srv_backchannel's pure parts (logout token claims, the job
 * encoding against malformed input, the retry schedule, the algorithm choice) and its
 * Redis side against a real redis-server (argv[1], started here on a private Unix
 * socket): the atomic claim of due jobs (srv_redis_zclaim_due), enqueueing a session's
 * logouts (with a real SQLite store), and the worker dropping jobs nobody wants.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>

#include "../t.h"
#include "redis_fixture.h"
#include "cx_util.h"
#include "srv_backchannel.h"
#include "srv_redis.h"
#include "srv_secret.h"
#include "srv_store.h"

static struct redis_fixture rf;    /* the private redis-server; rf.dir is scratch space */
static struct srv_config cfg;
static struct srv_redis *redis;
static struct srv_app app;
static time_t fake_now = 1800000000;

static time_t
clock_now(void)
{
	return fake_now;
}

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- the pure parts ---- */

T_CASE(claims_have_what_the_spec_asks)
{
	json_t *c = NULL, *ev;

	T_EQ_INT(srv_backchannel_claims("https://id.example.vn", "portal", "sub-1", "sid-1",
	    1800000000, "jti-1", &c), 0);
	T_EQ_STR(json_string_value(json_object_get(c, "iss")), "https://id.example.vn");
	T_EQ_STR(json_string_value(json_object_get(c, "aud")), "portal");
	T_EQ_STR(json_string_value(json_object_get(c, "sub")), "sub-1");
	T_EQ_STR(json_string_value(json_object_get(c, "sid")), "sid-1");
	T_EQ_STR(json_string_value(json_object_get(c, "jti")), "jti-1");
	T_EQ_INT(json_integer_value(json_object_get(c, "iat")), 1800000000);
	T_EQ_INT(json_integer_value(json_object_get(c, "exp")), 1800000000 + SRV_BACKCHANNEL_LIFETIME);
	ev = json_object_get(c, "events");
	T_ASSERT(json_is_object(ev) && json_object_size(ev) == 1);
	T_ASSERT(json_is_object(json_object_get(ev, SRV_BACKCHANNEL_EVENT)));
	T_EQ_INT(json_object_size(json_object_get(ev, SRV_BACKCHANNEL_EVENT)), 0);
	T_ASSERT(json_object_get(c, "nonce") == NULL);      /* section 2.4: never a nonce */
	T_EQ_INT(json_object_size(c), 8);
	json_decref(c);
	c = NULL;

	/* no sid: the claim is left out, not empty */
	T_EQ_INT(srv_backchannel_claims("https://i", "p", "s", NULL, 5, "j", &c), 0);
	T_ASSERT(json_object_get(c, "sid") == NULL && json_object_size(c) == 7);
	json_decref(c);
	c = NULL;
	T_EQ_INT(srv_backchannel_claims("https://i", "p", "s", "", 5, "j", &c), 0);
	T_ASSERT(json_object_get(c, "sid") == NULL);
	json_decref(c);
	c = NULL;
}

T_CASE(claims_refuse_missing_values)
{
	json_t *c = (json_t *)1;

	T_EQ_INT(srv_backchannel_claims(NULL, "p", "s", "x", 5, "j", &c), EID_ERR_INVALID_ARGUMENT);
	T_ASSERT(c == NULL);
	T_EQ_INT(srv_backchannel_claims("", "p", "s", "x", 5, "j", &c), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_backchannel_claims("https://i", NULL, "s", "x", 5, "j", &c), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_backchannel_claims("https://i", "", "s", "x", 5, "j", &c), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_backchannel_claims("https://i", "p", NULL, "x", 5, "j", &c), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_backchannel_claims("https://i", "p", "", "x", 5, "j", &c), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_backchannel_claims("https://i", "p", "s", "x", 5, NULL, &c), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_backchannel_claims("https://i", "p", "s", "x", 5, "", &c), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_backchannel_claims("https://i", "p", "\xff\xfe", "x", 5, "j", &c),
	    EID_ERR_INVALID_ARGUMENT);                     /* not UTF-8 */
	T_EQ_INT(srv_backchannel_claims("https://i", "p", "s", "\xc3", 5, "j", &c),
	    EID_ERR_INVALID_ARGUMENT);
	T_ASSERT(c == NULL);
}

static void
job_fill(struct srv_backchannel_job *j, const char *cid, const char *sub, const char *sid)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->client_id, sizeof(j->client_id), "%s", cid);
	snprintf(j->sub, sizeof(j->sub), "%s", sub);
	snprintf(j->sid, sizeof(j->sid), "%s", sid);
}

T_CASE(job_round_trip)
{
	struct srv_backchannel_job j, d;
	char *text = NULL;

	job_fill(&j, "portal-1", "aBcD_pairwise-sub", "sid-xyz");
	j.attempts = 3;
	j.created = 1800000123;
	T_EQ_INT(srv_backchannel_job_encode(&j, &text), 0);
	T_ASSERT(strlen(text) <= SRV_BACKCHANNEL_JOB_MAX);
	T_ASSERT(strchr(text, '\n') == NULL && strchr(text, ' ') == NULL);   /* compact */
	T_EQ_INT(srv_backchannel_job_decode(text, strlen(text), &d), 0);
	T_EQ_STR(d.client_id, "portal-1");
	T_EQ_STR(d.sub, "aBcD_pairwise-sub");
	T_EQ_STR(d.sid, "sid-xyz");
	T_EQ_INT(d.attempts, 3);
	T_EQ_INT(d.created, 1800000123);
	free(text);
	text = NULL;

	/* longest values that fit, and an empty sid */
	memset(&j, 0, sizeof(j));
	memset(j.client_id, 'c', sizeof(j.client_id) - 1);
	memset(j.sub, 's', sizeof(j.sub) - 1);
	T_EQ_INT(srv_backchannel_job_encode(&j, &text), 0);
	T_EQ_INT(srv_backchannel_job_decode(text, strlen(text), &d), 0);
	T_EQ_INT(strlen(d.client_id), EID_CLIENT_ID_MAX);
	T_EQ_INT(strlen(d.sub), SRV_SUBJECT_MAX - 1);
	T_EQ_STR(d.sid, "");
	free(text);
	text = NULL;

	/* the encoder refuses what the decoder would */
	job_fill(&j, "", "s", "");
	T_EQ_INT(srv_backchannel_job_encode(&j, &text), EID_ERR_INVALID_ARGUMENT);
	job_fill(&j, "c", "", "");
	T_EQ_INT(srv_backchannel_job_encode(&j, &text), EID_ERR_INVALID_ARGUMENT);
	job_fill(&j, "c", "s", "");
	memset(j.sid, 'x', sizeof(j.sid));                  /* not terminated */
	T_EQ_INT(srv_backchannel_job_encode(&j, &text), EID_ERR_INVALID_ARGUMENT);
	job_fill(&j, "c", "s", "");
	j.created = -1;
	T_EQ_INT(srv_backchannel_job_encode(&j, &text), EID_ERR_INVALID_ARGUMENT);
	T_ASSERT(text == NULL);
}

T_CASE(job_decode_refuses_malformed)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"\"x\"",
		"null",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":0,\"created\":1} trailing",
		"{\"sub\":\"s\",\"attempts\":0,\"created\":1}",                          /* no client_id */
		"{\"client_id\":\"\",\"sub\":\"s\",\"attempts\":0,\"created\":1}",       /* empty */
		"{\"client_id\":5,\"sub\":\"s\",\"attempts\":0,\"created\":1}",
		"{\"client_id\":\"c\",\"attempts\":0,\"created\":1}",                    /* no sub */
		"{\"client_id\":\"c\",\"sub\":\"\",\"attempts\":0,\"created\":1}",
		"{\"client_id\":\"c\",\"sub\":null,\"attempts\":0,\"created\":1}",
		"{\"client_id\":\"c\\u0000d\",\"sub\":\"s\",\"attempts\":0,\"created\":1}",   /* NUL */
		"{\"client_id\":\"c\",\"sub\":\"s\\u0000\",\"attempts\":0,\"created\":1}",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"sid\":7,\"attempts\":0,\"created\":1}",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"sid\":\"a\\u0000\",\"attempts\":0,\"created\":1}",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"created\":1}",                     /* no attempts */
		"{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":-1,\"created\":1}",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":1.5,\"created\":1}",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":\"1\",\"created\":1}",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":99999999999,\"created\":1}",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":0}",                    /* no created */
		"{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":0,\"created\":-5}",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":0,\"created\":true}",
		/* duplicate keys: which one would count? */
		"{\"client_id\":\"c\",\"client_id\":\"d\",\"sub\":\"s\",\"attempts\":0,\"created\":1}",
		"{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":0,\"attempts\":4,\"created\":1}",
	};
	struct srv_backchannel_job d;
	char big[SRV_BACKCHANNEL_JOB_MAX + 64], longid[200];
	size_t i;
	int n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0x41, sizeof(d));
		if (srv_backchannel_job_decode(bad[i], strlen(bad[i]), &d) != EID_ERR_FORMAT)
			T_FAIL("accepted or misjudged bad job %zu: %s", i, bad[i]);
		if (d.client_id[0] != '\0' || d.sub[0] != '\0' || d.attempts != 0)
			T_FAIL("bad job %zu left data behind", i);
	}
	T_EQ_INT(srv_backchannel_job_decode(NULL, 0, &d), EID_ERR_FORMAT);

	/* a client_id or sub longer than the fields */
	memset(longid, 'a', EID_CLIENT_ID_MAX + 1);
	longid[EID_CLIENT_ID_MAX + 1] = '\0';
	n = snprintf(big, sizeof(big), "{\"client_id\":\"%s\",\"sub\":\"s\",\"attempts\":0,\"created\":1}", longid);
	T_EQ_INT(srv_backchannel_job_decode(big, (size_t)n, &d), EID_ERR_FORMAT);
	memset(longid, 'b', SRV_SUBJECT_MAX);
	longid[SRV_SUBJECT_MAX] = '\0';
	n = snprintf(big, sizeof(big), "{\"client_id\":\"c\",\"sub\":\"%s\",\"attempts\":0,\"created\":1}", longid);
	T_EQ_INT(srv_backchannel_job_decode(big, (size_t)n, &d), EID_ERR_FORMAT);

	/* the size cap comes before parsing */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":0,\"created\":1}",
	    strlen("{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":0,\"created\":1}"));
	T_EQ_INT(srv_backchannel_job_decode(big, SRV_BACKCHANNEL_JOB_MAX, &d), 0);   /* at the cap */
	T_EQ_INT(srv_backchannel_job_decode(big, SRV_BACKCHANNEL_JOB_MAX + 1, &d), EID_ERR_TOO_LARGE);

	/* the length given is what counts, not a NUL */
	T_EQ_INT(srv_backchannel_job_decode("{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":0,\"created\":1}xx",
	    strlen("{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":0,\"created\":1}"), &d), 0);
	/* sid optional; unknown members from a newer node are ignored */
	T_EQ_INT(srv_backchannel_job_decode("{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":2,\"created\":1,\"x\":[1]}",
	    strlen("{\"client_id\":\"c\",\"sub\":\"s\",\"attempts\":2,\"created\":1,\"x\":[1]}"), &d), 0);
	T_EQ_STR(d.sid, "");
	T_EQ_INT(d.attempts, 2);
}

T_CASE(retry_schedule_and_delivery)
{
	T_EQ_INT(srv_backchannel_retry_delay(0), 0);
	T_EQ_INT(srv_backchannel_retry_delay(1), 1);
	T_EQ_INT(srv_backchannel_retry_delay(2), 5);
	T_EQ_INT(srv_backchannel_retry_delay(3), 30);
	T_EQ_INT(srv_backchannel_retry_delay(4), 120);
	T_EQ_INT(srv_backchannel_retry_delay(5), -1);
	T_EQ_INT(srv_backchannel_retry_delay(6), -1);
	T_EQ_INT(srv_backchannel_retry_delay(UINT_MAX), -1);

	T_EQ_INT(srv_backchannel_delivered(200), 1);
	T_EQ_INT(srv_backchannel_delivered(204), 1);
	T_EQ_INT(srv_backchannel_delivered(0), 0);          /* no answer */
	T_EQ_INT(srv_backchannel_delivered(201), 0);
	T_EQ_INT(srv_backchannel_delivered(202), 0);
	T_EQ_INT(srv_backchannel_delivered(301), 0);        /* redirects are not followed */
	T_EQ_INT(srv_backchannel_delivered(400), 0);        /* section 2.8: the RP refused it */
	T_EQ_INT(srv_backchannel_delivered(501), 0);
	T_EQ_INT(srv_backchannel_delivered(-200), 0);
}

static enum tok_alg
alg_of(const char *json)
{
	json_t *md = json_loads(json, 0, NULL);
	enum tok_alg a = srv_backchannel_alg(md);

	json_decref(md);
	return a;
}

T_CASE(algorithm_follows_the_id_token)
{
	T_EQ_INT(srv_backchannel_alg(NULL), TOK_ALG_RS256);
	T_EQ_INT(alg_of("{}"), TOK_ALG_RS256);
	T_EQ_INT(alg_of("{\"id_token_signed_response_alg\":\"ES256\"}"), TOK_ALG_ES256);
	T_EQ_INT(alg_of("{\"id_token_signed_response_alg\":\"PS256\"}"), TOK_ALG_PS256);
	T_EQ_INT(alg_of("{\"id_token_signed_response_alg\":\"EdDSA\"}"), TOK_ALG_EDDSA);
	T_EQ_INT(alg_of("{\"id_token_signed_response_alg\":\"RS256\"}"), TOK_ALG_RS256);
	/* never "none" or a MAC; anything odd falls back to the default */
	T_EQ_INT(alg_of("{\"id_token_signed_response_alg\":\"none\"}"), TOK_ALG_RS256);
	T_EQ_INT(alg_of("{\"id_token_signed_response_alg\":\"HS256\"}"), TOK_ALG_RS256);
	T_EQ_INT(alg_of("{\"id_token_signed_response_alg\":\"es256\"}"), TOK_ALG_RS256);
	T_EQ_INT(alg_of("{\"id_token_signed_response_alg\":256}"), TOK_ALG_RS256);
	T_EQ_INT(alg_of("{\"id_token_signed_response_alg\":[\"ES256\"]}"), TOK_ALG_RS256);
}

/* ---- Redis ---- */

/* One command straight to Redis (tests only); the reply is the caller's. */
static redisReply *
raw(const char *fmt, ...)
{
	redisContext *c = redisConnectUnix(rf.sock);
	redisReply *r = NULL;
	va_list ap;

	if (c == NULL || c->err != 0)
		goto out;
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
out:
	if (c != NULL)
		redisFree(c);
	return r;
}

static long long
raw_int(const char *fmt, const char *arg)
{
	redisReply *r = raw(fmt, arg);
	long long v = -99;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

/* The score of member in key, or -1. */
static long long
score_of(const char *key, const char *member)
{
	redisReply *r = raw("ZSCORE %s %s", key, member);
	long long v = -1;

	if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = atoll(r->str);
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

static void
flush(void)
{
	redisReply *r = raw("FLUSHALL");

	if (r != NULL)
		freeReplyObject(r);
}

T_CASE(zclaim_takes_due_members_in_order_and_leases_them)
{
	char *m = NULL;

	flush();
	T_EQ_INT(srv_redis_zclaim_due(redis, "eid:t:due", 1000, 2000, &m), EID_ERR_NOT_FOUND);
	T_ASSERT(m == NULL);
	T_EQ_INT(srv_redis_zadd(redis, "eid:t:due", 900, "late", 60), 0);
	T_EQ_INT(srv_redis_zadd(redis, "eid:t:due", 100, "early", 60), 0);
	T_EQ_INT(srv_redis_zadd(redis, "eid:t:due", 5000, "future", 60), 0);

	T_EQ_INT(srv_redis_zclaim_due(redis, "eid:t:due", 1000, 31000, &m), 0);
	T_EQ_STR(m, "early");                               /* the lowest due score first */
	free(m);
	m = NULL;
	T_EQ_INT(score_of("eid:t:due", "early"), 31000);    /* leased: not due until then */
	T_EQ_INT(srv_redis_zclaim_due(redis, "eid:t:due", 1000, 31000, &m), 0);
	T_EQ_STR(m, "late");
	free(m);
	m = NULL;
	/* "future" is not due yet, the claimed ones are leased */
	T_EQ_INT(srv_redis_zclaim_due(redis, "eid:t:due", 1000, 31000, &m), EID_ERR_NOT_FOUND);
	T_ASSERT(m == NULL);
	T_EQ_INT(raw_int("ZCARD %s", "eid:t:due"), 3);      /* a claim does not remove */
	/* a claimer that died: its member falls due again when the lease ends */
	T_EQ_INT(srv_redis_zclaim_due(redis, "eid:t:due", 6000, 36000, &m), 0);
	T_EQ_STR(m, "future");
	free(m);
	m = NULL;
	T_EQ_INT(srv_redis_zclaim_due(redis, "eid:t:due", 31000, 61000, &m), 0);
	T_EQ_STR(m, "early");
	free(m);
	m = NULL;
	T_ASSERT(raw_int("TTL %s", "eid:t:due") > 0);      /* the set keeps its TTL */
}

#define RACE_MEMBERS 60
#define RACE_THREADS 4

static int race_claimed[RACE_MEMBERS];
static pthread_mutex_t race_mu = PTHREAD_MUTEX_INITIALIZER;
static int race_errors;

static void *
race_claimer(void *arg)
{
	char *m;
	int r, idx;

	(void)arg;
	for (;;) {
		r = srv_redis_zclaim_due(redis, "eid:t:race", 1000, 100000, &m);
		if (r == EID_ERR_NOT_FOUND)
			break;
		pthread_mutex_lock(&race_mu);
		if (r != 0 || sscanf(m, "m%d", &idx) != 1 || idx < 0 || idx >= RACE_MEMBERS)
			race_errors++;
		else
			race_claimed[idx]++;
		pthread_mutex_unlock(&race_mu);
		free(m);
		if (r != 0)
			break;
	}
	return NULL;
}

T_CASE(zclaim_gives_each_member_to_one_claimer)
{
	pthread_t th[RACE_THREADS];
	char name[16];
	int i;

	flush();
	for (i = 0; i < RACE_MEMBERS; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		T_EQ_INT(srv_redis_zadd(redis, "eid:t:race", i, name, 60), 0);
	}
	for (i = 0; i < RACE_THREADS; i++)       /* each thread has its own connection */
		T_ASSERT(pthread_create(&th[i], NULL, race_claimer, NULL) == 0);
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(th[i], NULL);
	T_EQ_INT(race_errors, 0);
	for (i = 0; i < RACE_MEMBERS; i++)
		if (race_claimed[i] != 1)
			T_FAIL("member m%d claimed %d times", i, race_claimed[i]);
}

/* ---- enqueue and the worker, with a real store ---- */

static struct srv_store *store;
static struct srv_secret *secret;

static int
add_client(const char *id, const char *md_json, int disabled)
{
	struct srv_client c;
	json_t *md = json_loads(md_json, 0, NULL);
	int r;

	memset(&c, 0, sizeof(c));
	c.client_id = (char *)id;
	c.name = (char *)id;
	c.metadata = md;
	c.disabled = disabled;
	r = md == NULL ? -1 : srv_store_client_add(store, &c);
	json_decref(md);
	return r;
}

/* The job ids now in the due set (up to max). */
static int
due_members(char out[][64], int max)
{
	redisReply *r = raw("ZRANGE eid:bcl:due 0 -1");
	int n = 0;
	size_t i;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY)
		for (i = 0; i < r->elements && n < max; i++)
			snprintf(out[n++], 64, "%s", r->element[i]->str);
	if (r != NULL)
		freeReplyObject(r);
	return n;
}

T_CASE(enqueue_writes_one_job_per_client_that_wants_one)
{
	json_t *sess;
	struct srv_client *c = NULL;
	struct srv_backchannel_job job;
	char members[8][64], key[700], want_sub[SRV_SUBJECT_MAX];
	redisReply *r;
	long long due, before = wall_ms();
	long long ttl;

	flush();
	/* portal (pairwise) and public-rp want logouts; quiet has no URI; off is disabled */
	sess = json_pack("{s:s,s:s,s:[s,s,s,s,s,s,i]}", "account", "acct-42", "sid", "sid-42",
	    "clients", "portal", "quiet", "off", "ghost", "portal", "public-rp", 7);
	T_ASSERT(sess != NULL);
	T_EQ_INT(srv_backchannel_enqueue_session(&app, sess), 0);
	json_decref(sess);
	T_EQ_INT(due_members(members, 8), 2);               /* portal once, public-rp */
	T_EQ_INT(raw_int("ZCARD %s", "eid:bcl:due"), 2);
	T_ASSERT(raw_int("TTL %s", "eid:bcl:due") > 0);

	for (int i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "eid:bcl:job:%s", members[i]);
		ttl = raw_int("TTL %s", key);
		T_ASSERT(ttl > 0 && ttl <= SRV_BACKCHANNEL_JOB_TTL);
		due = score_of("eid:bcl:due", members[i]);
		T_ASSERT(due >= before - 1000 && due <= wall_ms() + 1000);   /* due now */
		r = raw("GET %s", key);
		T_ASSERT(r != NULL && r->type == REDIS_REPLY_STRING);
		T_EQ_INT(srv_backchannel_job_decode(r->str, r->len, &job), 0);
		/* a pairwise client's job does not hold the account id */
		T_ASSERT(strcmp(job.client_id, "portal") != 0 || strstr(r->str, "acct-42") == NULL);
		freeReplyObject(r);
		T_EQ_STR(job.sid, "sid-42");
		T_EQ_INT(job.attempts, 0);
		T_EQ_INT(job.created, fake_now);
		T_ASSERT(strcmp(job.client_id, "portal") == 0 || strcmp(job.client_id, "public-rp") == 0);
		/* the sub the client sees in its ID tokens */
		T_EQ_INT(srv_store_client_get(store, job.client_id, &c), 0);
		T_EQ_INT(srv_subject_for_client(secret, c, "acct-42", want_sub), 0);
		srv_client_free(&c);
		T_EQ_STR(job.sub, want_sub);
		if (strcmp(job.client_id, "public-rp") == 0)
			T_EQ_STR(job.sub, "acct-42");
		else
			T_ASSERT(strcmp(job.sub, "acct-42") != 0);
	}

	/* nothing to send: no clients, no account, no array */
	flush();
	sess = json_pack("{s:s,s:s,s:[]}", "account", "acct-42", "sid", "x", "clients");
	T_EQ_INT(srv_backchannel_enqueue_session(&app, sess), 0);
	json_decref(sess);
	sess = json_pack("{s:s,s:[s]}", "sid", "x", "clients", "portal");
	T_EQ_INT(srv_backchannel_enqueue_session(&app, sess), 0);
	json_decref(sess);
	sess = json_pack("{s:s,s:s}", "account", "a", "clients", "portal");
	T_EQ_INT(srv_backchannel_enqueue_session(&app, sess), 0);
	json_decref(sess);
	T_EQ_INT(srv_backchannel_enqueue_session(&app, NULL), 0);
	T_EQ_INT(raw_int("EXISTS %s", "eid:bcl:due"), 0);
}

T_CASE(enqueue_reports_redis_down)
{
	json_t *sess = json_pack("{s:s,s:s,s:[s]}", "account", "a", "sid", "x", "clients", "portal");
	int r, i;

	redis_fixture_stop(&rf);
	r = srv_backchannel_enqueue_session(&app, sess);
	json_decref(sess);
	T_ASSERT(redis_fixture_start(&rf) == 0);
	T_ASSERT(r == EID_ERR_REDIS_DOWN || r == EID_ERR_REDIS);
	for (i = 0; i < 40 && srv_redis_ping(redis) != 0; i++)     /* out of back-off */
		sleep_ms(100);
	T_EQ_INT(srv_redis_ping(redis), 0);
}

static void
put_job(const char *member, const char *value)
{
	redisReply *r;

	if (value != NULL) {
		r = raw("SET eid:bcl:job:%s %s EX 600", member, value);
		if (r != NULL)
			freeReplyObject(r);
	}
	r = raw("ZADD eid:bcl:due 0 %s", member);
	if (r != NULL)
		freeReplyObject(r);
}

T_CASE(worker_drops_jobs_nobody_wants_and_stops_promptly)
{
	struct srv_backchannel *bc = NULL, *second = NULL;
	struct timespec t0;
	int i;

	flush();
	/* no HTTP for any of these: no URI, a client that is gone, a disabled one, junk,
	 * and a due member whose job expired */
	put_job("j1", "{\"client_id\":\"quiet\",\"sub\":\"s\",\"attempts\":0,\"created\":1}");
	put_job("j2", "{\"client_id\":\"ghost\",\"sub\":\"s\",\"attempts\":0,\"created\":1}");
	put_job("j3", "{\"client_id\":\"off\",\"sub\":\"s\",\"attempts\":0,\"created\":1}");
	put_job("j4", "{\"client_id\":");
	put_job("j5", NULL);
	/* a job not due for an hour stays */
	{
		redisReply *r = raw("SET eid:bcl:job:later %s EX 600",
		    "{\"client_id\":\"portal\",\"sub\":\"s\",\"attempts\":0,\"created\":1}");

		if (r != NULL)
			freeReplyObject(r);
		r = raw("ZADD eid:bcl:due %lld later", wall_ms() + 3600 * 1000LL);
		if (r != NULL)
			freeReplyObject(r);
	}
	T_EQ_INT(srv_backchannel_start(&app, &bc), 0);
	T_EQ_INT(srv_backchannel_start(&app, &second), EID_ERR_EXISTS);    /* one per process */
	T_ASSERT(second == NULL);
	for (i = 0; i < 100 && raw_int("ZCARD %s", "eid:bcl:due") != 1; i++)
		sleep_ms(50);
	T_EQ_INT(raw_int("ZCARD %s", "eid:bcl:due"), 1);
	T_ASSERT(score_of("eid:bcl:due", "later") > wall_ms());
	T_EQ_INT(raw_int("EXISTS %s", "eid:bcl:job:j1"), 0);
	T_EQ_INT(raw_int("EXISTS %s", "eid:bcl:job:j2"), 0);
	T_EQ_INT(raw_int("EXISTS %s", "eid:bcl:job:j3"), 0);
	T_EQ_INT(raw_int("EXISTS %s", "eid:bcl:job:j4"), 0);
	T_EQ_INT(raw_int("EXISTS %s", "eid:bcl:job:later"), 1);
	/* idle: stop wakes it at once */
	sleep_ms(100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	srv_backchannel_stop(&bc);
	T_ASSERT(bc == NULL);
	T_ASSERT(ms_since(&t0) < 300);
	srv_backchannel_stop(&bc);                          /* NULL is fine */
	/* and a new one can start after */
	T_EQ_INT(srv_backchannel_start(&app, &bc), 0);
	srv_backchannel_stop(&bc);
}

int
main(int argc, char **argv)
{
	char err[512], path[300], conf[600];

	T_RUN(claims_have_what_the_spec_asks);
	T_RUN(claims_refuse_missing_values);
	T_RUN(job_round_trip);
	T_RUN(job_decode_refuses_malformed);
	T_RUN(retry_schedule_and_delivery);
	T_RUN(algorithm_follows_the_id_token);
	if (argc < 2) {
		T_SKIP(redis_cases, "needs the redis-server path");
		return t_done();
	}
	signal(SIGPIPE, SIG_IGN);
	if (cx_init() != 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	if (redis_fixture_open(&rf, argv[1], "/tmp/eid-bcl-XXXXXX") != 0) {
		printf("not ok %d - redis-server did not start\n1..%d\n", t_count + 1, t_count + 1);
		return 1;
	}
	if (srv_config_init(&cfg) != 0)
		return 1;
	snprintf(conf, sizeof(conf), "redis_url = unix:%s\nissuer = https://id.example.vn\n", rf.sock);
	if (srv_config_parse(&cfg, conf, strlen(conf), "test", err, sizeof(err)) != 0) {
		printf("# %s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/eid.db", rf.dir);
	if (srv_redis_new(&cfg, NULL, &redis) != 0 ||
	    srv_store_sqlite_open(path, 0, &store, err, sizeof(err)) != 0 ||
	    srv_secret_open(rf.dir, &secret, err, sizeof(err)) != 0) {
		printf("# setup: %s\n", err);
		return 1;
	}
	app.cfg = &cfg;
	app.redis = redis;
	app.store = store;
	app.secret = secret;
	app.now = clock_now;
	if (add_client("portal", "{\"redirect_uris\":[\"https://portal.example.vn/cb\"],"
	    "\"backchannel_logout_uri\":\"https://portal.example.vn/bcl\"}", 0) != 0 ||
	    add_client("public-rp", "{\"redirect_uris\":[\"https://pub.example.vn/cb\"],"
	    "\"subject_type\":\"public\",\"backchannel_logout_uri\":\"https://pub.example.vn/bcl\"}", 0) != 0 ||
	    add_client("quiet", "{\"redirect_uris\":[\"https://quiet.example.vn/cb\"]}", 0) != 0 ||
	    add_client("off", "{\"redirect_uris\":[\"https://off.example.vn/cb\"],"
	    "\"backchannel_logout_uri\":\"https://off.example.vn/bcl\"}", 1) != 0) {
		printf("# could not add the test clients\n");
		return 1;
	}
	T_RUN(zclaim_takes_due_members_in_order_and_leases_them);
	T_RUN(zclaim_gives_each_member_to_one_claimer);
	T_RUN(enqueue_writes_one_job_per_client_that_wants_one);
	T_RUN(enqueue_reports_redis_down);
	T_RUN(worker_drops_jobs_nobody_wants_and_stops_promptly);
	srv_redis_free(&redis);
	srv_store_close(&store);
	srv_secret_free(&secret);
	srv_config_free(&cfg);
	curl_global_cleanup();
	redis_fixture_close(&rf);
	return t_done();
}
