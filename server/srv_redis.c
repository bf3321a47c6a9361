/* srv_redis.c - per-thread hiredis connections with back-off (see srv_redis.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <sodium.h>

#include "cx_util.h"
#include "srv_log.h"
#include "srv_metrics.h"
#include "srv_redis.h"

#define REDIS_CONNECT_TIMEOUT_MS 300
#define REDIS_COMMAND_TIMEOUT_MS 1000
#define REDIS_BACKOFF_MIN_MS 100
#define REDIS_BACKOFF_MAX_MS 2000
#define REDIS_MAX_VALUE (1024 * 1024)

struct srv_redis {
	int is_unix;
	char *host;
	unsigned port, db;
	char *password;
	struct srv_metrics *metrics;
	pthread_key_t tls;
	uint8_t key_hash_key[32];
	atomic_llong last_ok_ms;    /* when any thread last connected: others stop backing off */
};

/* What each thread keeps. */
struct redis_conn {
	redisContext *c;
	long long next_try_ms;      /* no reconnect before this (back-off) */
	long long backoff_ms;
	long long failed_at_ms;
	int was_down;               /* for one log line per outage per thread */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
conn_destroy(void *p)
{
	struct redis_conn *rc = p;

	if (rc == NULL)
		return;
	if (rc->c != NULL)
		redisFree(rc->c);
	free(rc);
}

int
srv_redis_new(const struct srv_config *cfg, struct srv_metrics *metrics, struct srv_redis **out)
{
	struct srv_redis *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return EID_ERR_NOMEM;
	r->is_unix = cfg->redis_is_unix;
	r->port = cfg->redis_port;
	r->db = cfg->redis_db;
	r->metrics = metrics;
	if ((r->host = strdup(cfg->redis_host)) == NULL ||
	    (cfg->redis_password != NULL && (r->password = strdup(cfg->redis_password)) == NULL) ||
	    pthread_key_create(&r->tls, conn_destroy) != 0) {
		free(r->host);
		cx_free_str(r->password);
		free(r);
		return EID_ERR_NOMEM;
	}
	randombytes_buf(r->key_hash_key, sizeof(r->key_hash_key));
	*out = r;
	return 0;
}

void
srv_redis_free(struct srv_redis **rp)
{
	struct srv_redis *r;

	if (rp == NULL || (r = *rp) == NULL)
		return;
	conn_destroy(pthread_getspecific(r->tls));
	pthread_setspecific(r->tls, NULL);
	pthread_key_delete(r->tls);
	free(r->host);
	cx_free_str(r->password);
	cx_wipe(r->key_hash_key, sizeof(r->key_hash_key));
	free(r);
	*rp = NULL;
}

void
srv_redis_set_key_hash_key(struct srv_redis *r, const uint8_t key[32])
{
	memcpy(r->key_hash_key, key, sizeof(r->key_hash_key));
}

void
srv_redis_key(const struct srv_redis *r, const char *section, const void *id, size_t idlen,
    char out[SRV_REDIS_KEY_MAX])
{
	uint8_t h[32];
	char enc[CX_B64URL_LEN(32)];

	crypto_generichash(h, sizeof(h), id, idlen, r->key_hash_key, sizeof(r->key_hash_key));
	if (cx_b64url_encode(enc, sizeof(enc), h, sizeof(h)) != 0)
		abort();
	snprintf(out, SRV_REDIS_KEY_MAX, "eid:%.32s:%s", section, enc);
}

static redisReply *
command_on(redisContext *c, int argc, const char **argv, const size_t *argvlen)
{
	return redisCommandArgv(c, argc, argv, argvlen);
}

/* Send AUTH and SELECT on a fresh connection. */
static int
conn_setup(struct srv_redis *r, redisContext *c)
{
	redisReply *rep;
	char db[12];
	const char *argv[2];
	size_t argvlen[2];

	if (r->password != NULL) {
		argv[0] = "AUTH";
		argv[1] = r->password;
		argvlen[0] = 4;
		argvlen[1] = strlen(r->password);
		rep = command_on(c, 2, argv, argvlen);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			log_error("redis_auth_failed", LS("hint", "check the password in redis_url"));
			if (rep != NULL)
				freeReplyObject(rep);
			return -1;
		}
		freeReplyObject(rep);
	}
	if (r->db != 0) {
		snprintf(db, sizeof(db), "%u", r->db);
		argv[0] = "SELECT";
		argv[1] = db;
		argvlen[0] = 6;
		argvlen[1] = strlen(db);
		rep = command_on(c, 2, argv, argvlen);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			if (rep != NULL)
				freeReplyObject(rep);
			return -1;
		}
		freeReplyObject(rep);
	}
	return 0;
}

/* This thread's live connection, or NULL while Redis is down (fast). */
static redisContext *
conn_get(struct srv_redis *r)
{
	struct redis_conn *rc = pthread_getspecific(r->tls);
	struct timeval ct = { 0, REDIS_CONNECT_TIMEOUT_MS * 1000 };
	struct timeval cmd = { REDIS_COMMAND_TIMEOUT_MS / 1000, (REDIS_COMMAND_TIMEOUT_MS % 1000) * 1000 };
	redisContext *c;
	long long now;

	if (rc == NULL) {
		if ((rc = calloc(1, sizeof(*rc))) == NULL)
			return NULL;
		rc->backoff_ms = REDIS_BACKOFF_MIN_MS;
		if (pthread_setspecific(r->tls, rc) != 0) {
			free(rc);
			return NULL;
		}
	}
	if (rc->c != NULL)
		return rc->c;
	now = now_ms();
	/* in back-off, unless another thread has reconnected since this one failed */
	if (now < rc->next_try_ms && atomic_load(&r->last_ok_ms) <= rc->failed_at_ms)
		return NULL;
	if (r->is_unix)
		c = redisConnectUnixWithTimeout(r->host, ct);
	else
		c = redisConnectWithTimeout(r->host, (int)r->port, ct);
	if (c == NULL || c->err != 0 || redisSetTimeout(c, cmd) != REDIS_OK || conn_setup(r, c) != 0) {
		if (!rc->was_down)
			log_error("redis_unavailable",
			    LS("reason", c != NULL && c->err != 0 ? c->errstr : "setup failed"),
			    LI("retry_ms", rc->backoff_ms));
		rc->was_down = 1;
		if (c != NULL)
			redisFree(c);
		srv_metrics_redis_error(r->metrics);
		rc->next_try_ms = now + rc->backoff_ms;
		rc->failed_at_ms = now;
		rc->backoff_ms = rc->backoff_ms * 2 > REDIS_BACKOFF_MAX_MS ?
		    REDIS_BACKOFF_MAX_MS : rc->backoff_ms * 2;
		return NULL;
	}
	if (rc->was_down)
		log_info("redis_reconnected", LEND);
	rc->was_down = 0;
	rc->backoff_ms = REDIS_BACKOFF_MIN_MS;
	rc->c = c;
	atomic_store(&r->last_ok_ms, now);
	return c;
}

/* Drop this thread's connection after an I/O error; the next call reconnects. */
static void
conn_drop(struct srv_redis *r)
{
	struct redis_conn *rc = pthread_getspecific(r->tls);

	if (rc == NULL || rc->c == NULL)
		return;
	redisFree(rc->c);
	rc->c = NULL;
	rc->next_try_ms = 0;        /* one immediate reconnect attempt, then back-off */
}

/*
 * Run one command. On a connection error, reconnect once and retry only if the command
 * is idempotent (a GETDEL or INCR that may have run must not run twice).
 */
static int
run(struct srv_redis *r, int argc, const char **argv, const size_t *argvlen, int idempotent,
    redisReply **out)
{
	redisContext *c;
	redisReply *rep;
	int attempt;

	*out = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((c = conn_get(r)) == NULL)
			return EID_ERR_REDIS_DOWN;
		rep = command_on(c, argc, argv, argvlen);
		if (rep != NULL) {
			if (rep->type == REDIS_REPLY_ERROR) {
				log_error("redis_error", LS("command", argv[0]), LS("reply", rep->str));
				srv_metrics_redis_error(r->metrics);
				freeReplyObject(rep);
				return EID_ERR_REDIS;
			}
			*out = rep;
			return 0;
		}
		srv_metrics_redis_error(r->metrics);
		conn_drop(r);
		if (!idempotent)
			break;
	}
	return EID_ERR_REDIS_DOWN;
}

int
srv_redis_set(struct srv_redis *r, const char *key, const void *val, size_t len,
    unsigned ttl_seconds, int nx)
{
	char ttl[16];
	const char *argv[6] = { "SET", key, val, "EX", ttl, "NX" };
	size_t argvlen[6];
	redisReply *rep;
	int e;

	if (ttl_seconds == 0 || len > REDIS_MAX_VALUE)
		return EID_ERR_INVALID_ARGUMENT;        /* every key has a TTL */
	snprintf(ttl, sizeof(ttl), "%u", ttl_seconds);
	argvlen[0] = 3;
	argvlen[1] = strlen(key);
	argvlen[2] = len;
	argvlen[3] = 2;
	argvlen[4] = strlen(ttl);
	argvlen[5] = 2;
	if ((e = run(r, nx ? 6 : 5, argv, argvlen, 1, &rep)) != 0)
		return e;
	e = rep->type == REDIS_REPLY_NIL ? EID_ERR_EXISTS : 0;
	freeReplyObject(rep);
	return e;
}

static int
get_like(struct srv_redis *r, const char *cmd, int idempotent, const char *key, uint8_t **val,
    size_t *len)
{
	const char *argv[2] = { cmd, key };
	size_t argvlen[2] = { strlen(cmd), strlen(key) };
	redisReply *rep;
	int e;

	*val = NULL;
	*len = 0;
	if ((e = run(r, 2, argv, argvlen, idempotent, &rep)) != 0)
		return e;
	if (rep->type == REDIS_REPLY_NIL)
		e = EID_ERR_NOT_FOUND;
	else if (rep->type != REDIS_REPLY_STRING || rep->len > REDIS_MAX_VALUE)
		e = EID_ERR_REDIS;
	else if ((*val = malloc(rep->len + 1)) == NULL)
		e = EID_ERR_NOMEM;
	else {
		memcpy(*val, rep->str, rep->len);
		(*val)[rep->len] = '\0';
		*len = rep->len;
	}
	freeReplyObject(rep);
	return e;
}

int
srv_redis_get(struct srv_redis *r, const char *key, uint8_t **val, size_t *len)
{
	return get_like(r, "GET", 1, key, val, len);
}

int
srv_redis_take(struct srv_redis *r, const char *key, uint8_t **val, size_t *len)
{
	return get_like(r, "GETDEL", 0, key, val, len);
}

static int
simple(struct srv_redis *r, int argc, const char **argv, int idempotent, long long *integer)
{
	size_t argvlen[4];
	redisReply *rep;
	int e, i;

	for (i = 0; i < argc; i++)
		argvlen[i] = strlen(argv[i]);
	if ((e = run(r, argc, argv, argvlen, idempotent, &rep)) != 0)
		return e;
	if (integer != NULL) {
		if (rep->type == REDIS_REPLY_INTEGER)
			*integer = rep->integer;
		else
			e = EID_ERR_REDIS;
	}
	freeReplyObject(rep);
	return e;
}

int
srv_redis_del(struct srv_redis *r, const char *key)
{
	const char *argv[2] = { "DEL", key };

	return simple(r, 2, argv, 1, NULL);
}

int
srv_redis_incr(struct srv_redis *r, const char *key, unsigned ttl_seconds, long long *out)
{
	/* atomic: the counter never exists without its TTL */
	static const char script[] =
	    "local v = redis.call('INCR', KEYS[1]) "
	    "if v == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return v";
	char ttl[16];
	const char *argv[4] = { "EVAL", script, "1", key };
	const char *argv5[5];
	size_t argvlen[5];
	redisReply *rep;
	int e, i;

	if (ttl_seconds == 0)
		return EID_ERR_INVALID_ARGUMENT;
	snprintf(ttl, sizeof(ttl), "%u", ttl_seconds);
	for (i = 0; i < 4; i++)
		argv5[i] = argv[i];
	argv5[4] = ttl;
	for (i = 0; i < 5; i++)
		argvlen[i] = strlen(argv5[i]);
	if ((e = run(r, 5, argv5, argvlen, 0, &rep)) != 0)
		return e;
	if (rep->type == REDIS_REPLY_INTEGER)
		*out = rep->integer;
	else
		e = EID_ERR_REDIS;
	freeReplyObject(rep);
	return e;
}

int
srv_redis_expire(struct srv_redis *r, const char *key, unsigned ttl_seconds)
{
	char ttl[16];
	const char *argv[3] = { "EXPIRE", key, ttl };
	long long n = 0;
	int e;

	snprintf(ttl, sizeof(ttl), "%u", ttl_seconds);
	if ((e = simple(r, 3, argv, 1, &n)) != 0)
		return e;
	return n == 1 ? 0 : EID_ERR_NOT_FOUND;
}

int
srv_redis_pttl(struct srv_redis *r, const char *key, long long *ms)
{
	const char *argv[2] = { "PTTL", key };
	int e;

	*ms = 0;
	if ((e = simple(r, 2, argv, 1, ms)) != 0)
		return e;
	if (*ms < 0) {              /* -2: no such key; -1: no TTL (never made by us) */
		*ms = 0;
		return EID_ERR_NOT_FOUND;
	}
	return 0;
}

int
srv_redis_zadd(struct srv_redis *r, const char *key, long long score, const char *member,
    unsigned ttl_seconds)
{
	/* atomic: the index never exists without a TTL; each add pushes it to ttl_seconds */
	static const char script[] =
	    "redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) "
	    "if redis.call('TTL', KEYS[1]) < tonumber(ARGV[3]) then "
	    "redis.call('EXPIRE', KEYS[1], ARGV[3]) end return 1";
	char s_score[24], ttl[16];
	const char *argv[7] = { "EVAL", script, "1", key, s_score, member, ttl };
	size_t argvlen[7];
	redisReply *rep;
	int e, i;

	if (ttl_seconds == 0)
		return EID_ERR_INVALID_ARGUMENT;
	snprintf(s_score, sizeof(s_score), "%lld", score);
	snprintf(ttl, sizeof(ttl), "%u", ttl_seconds);
	for (i = 0; i < 7; i++)
		argvlen[i] = strlen(argv[i]);
	if ((e = run(r, 7, argv, argvlen, 1, &rep)) != 0)
		return e;
	freeReplyObject(rep);
	return 0;
}

int
srv_redis_zrem(struct srv_redis *r, const char *key, const char *member)
{
	const char *argv[3] = { "ZREM", key, member };

	return simple(r, 3, argv, 1, NULL);
}

int
srv_redis_zcount_from(struct srv_redis *r, const char *key, long long min_score, long long *out)
{
	char lo[24], hi[24];
	const char *trim[4] = { "ZREMRANGEBYSCORE", key, "-inf", hi };
	const char *count[4] = { "ZCOUNT", key, lo, "+inf" };
	int e;

	snprintf(lo, sizeof(lo), "%lld", min_score);
	snprintf(hi, sizeof(hi), "(%lld", min_score);
	if ((e = simple(r, 4, trim, 1, NULL)) != 0)
		return e;
	return simple(r, 4, count, 1, out);
}

int
srv_redis_ping(struct srv_redis *r)
{
	const char *argv[1] = { "PING" };

	return simple(r, 1, argv, 1, NULL);
}

/* A reply element that may be a member: a string of 1..SRV_REDIS_MEMBER_MAX bytes, no NUL. */
static int
member_ok(const redisReply *e)
{
	return e != NULL && e->type == REDIS_REPLY_STRING && e->len > 0 &&
	    e->len <= SRV_REDIS_MEMBER_MAX && memchr(e->str, '\0', e->len) == NULL;
}

void
srv_redis_members_free(char **members, size_t n)
{
	size_t i;

	if (members == NULL)
		return;
	for (i = 0; i < n; i++)
		free(members[i]);
	free(members);
}

int
srv_redis_zrange_by_score(struct srv_redis *r, const char *key, long long min_score,
    long long max_score, size_t max_members, char ***members, size_t *n)
{
	char lo[24], hi[24], cnt[24];
	const char *argv[7] = { "ZRANGEBYSCORE", key, lo, hi, "LIMIT", "0", cnt };
	size_t argvlen[7];
	char **v = NULL;
	size_t i, got = 0;
	redisReply *rep;
	int e, k;

	*members = NULL;
	*n = 0;
	if (max_members == 0 || max_members > 1000 || min_score > max_score)
		return EID_ERR_INVALID_ARGUMENT;
	snprintf(lo, sizeof(lo), "%lld", min_score);
	snprintf(hi, sizeof(hi), "%lld", max_score);
	snprintf(cnt, sizeof(cnt), "%zu", max_members);
	for (k = 0; k < 7; k++)
		argvlen[k] = strlen(argv[k]);
	if ((e = run(r, 7, argv, argvlen, 1, &rep)) != 0)
		return e;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements > max_members) {
		e = EID_ERR_REDIS;
		goto out;
	}
	if (rep->elements > 0 && (v = calloc(rep->elements, sizeof(*v))) == NULL) {
		e = EID_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < rep->elements; i++) {
		const redisReply *el = rep->element[i];

		if (!member_ok(el)) {
			e = EID_ERR_REDIS;
			goto out;
		}
		if ((v[i] = malloc(el->len + 1)) == NULL) {
			e = EID_ERR_NOMEM;
			goto out;
		}
		memcpy(v[i], el->str, el->len);
		v[i][el->len] = '\0';
		got++;
	}
	*members = v;
	*n = got;
	v = NULL;
	got = 0;
out:
	srv_redis_members_free(v, got);
	freeReplyObject(rep);
	return e;
}

/* ---- the back-channel logout queue (srv_backchannel) ---- */

#define REDIS_MAX_MEMBER SRV_REDIS_MEMBER_MAX

int
srv_redis_zclaim_due(struct srv_redis *r, const char *key, long long now, long long lease_until,
    char **member)
{
	/* atomic: look and lease in one step, so two workers never get the same member */
	static const char script[] =
	    "local m = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1) "
	    "if #m == 0 then return false end "
	    "redis.call('ZADD', KEYS[1], 'XX', ARGV[2], m[1]) return m[1]";
	char s_now[24], s_lease[24];
	const char *argv[6] = { "EVAL", script, "1", key, s_now, s_lease };
	size_t argvlen[6];
	redisReply *rep;
	int e, i;

	*member = NULL;
	snprintf(s_now, sizeof(s_now), "%lld", now);
	snprintf(s_lease, sizeof(s_lease), "%lld", lease_until);
	for (i = 0; i < 6; i++)
		argvlen[i] = strlen(argv[i]);
	if ((e = run(r, 6, argv, argvlen, 0, &rep)) != 0)
		return e;
	if (rep->type == REDIS_REPLY_NIL)
		e = EID_ERR_NOT_FOUND;
	else if (rep->type != REDIS_REPLY_STRING || rep->len == 0 || rep->len > REDIS_MAX_MEMBER ||
	    memchr(rep->str, '\0', rep->len) != NULL)
		e = EID_ERR_REDIS;
	else if ((*member = malloc(rep->len + 1)) == NULL)
		e = EID_ERR_NOMEM;
	else {
		memcpy(*member, rep->str, rep->len);
		(*member)[rep->len] = '\0';
	}
	freeReplyObject(rep);
	return e;
}

/* ---- scripts ---- */

void
srv_redis_vals_free(struct srv_redis_val *vals, size_t n)
{
	size_t i;

	if (vals == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (vals[i].str != NULL) {
			cx_wipe(vals[i].str, vals[i].len);
			free(vals[i].str);
		}
		vals[i] = (struct srv_redis_val){ SRV_REDIS_NIL, 0, NULL, 0 };
	}
}

/* One scalar reply into v. */
static int
val_from(const redisReply *e, struct srv_redis_val *v)
{
	*v = (struct srv_redis_val){ SRV_REDIS_NIL, 0, NULL, 0 };
	switch (e->type) {
	case REDIS_REPLY_NIL:
		return 0;
	case REDIS_REPLY_INTEGER:
		v->type = SRV_REDIS_INT;
		v->integer = e->integer;
		return 0;
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		if (e->len > REDIS_MAX_VALUE)
			return EID_ERR_REDIS;
		if ((v->str = malloc(e->len + 1)) == NULL)
			return EID_ERR_NOMEM;
		memcpy(v->str, e->str, e->len);
		v->str[e->len] = '\0';
		v->len = e->len;
		v->type = SRV_REDIS_STR;
		return 0;
	default:
		return EID_ERR_REDIS;
	}
}

int
srv_redis_script(struct srv_redis *r, const char *script, size_t nkeys, const char *const *argv,
    const size_t *argvlen, size_t argc, int idempotent, struct srv_redis_val *vals, size_t max_vals,
    size_t *n)
{
	const char *av[3 + SRV_REDIS_SCRIPT_MAX_ARGS];
	size_t avlen[3 + SRV_REDIS_SCRIPT_MAX_ARGS], i, got = 0;
	char s_nkeys[24];
	redisReply *rep;
	int e;

	*n = 0;
	if (argc > SRV_REDIS_SCRIPT_MAX_ARGS || nkeys > argc || max_vals == 0)
		return EID_ERR_INVALID_ARGUMENT;
	snprintf(s_nkeys, sizeof(s_nkeys), "%zu", nkeys);
	av[0] = "EVAL";
	av[1] = script;
	av[2] = s_nkeys;
	for (i = 0; i < 3; i++)
		avlen[i] = strlen(av[i]);
	for (i = 0; i < argc; i++) {
		av[3 + i] = argv[i];
		avlen[3 + i] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
	}
	if ((e = run(r, (int)(3 + argc), av, avlen, idempotent, &rep)) != 0)
		return e;
	if (rep->type != REDIS_REPLY_ARRAY)
		e = val_from(rep, &vals[got++]);
	else if (rep->elements > max_vals)
		e = EID_ERR_REDIS;
	else
		for (i = 0; i < rep->elements && e == 0; i++)
			e = val_from(rep->element[i], &vals[got++]);
	freeReplyObject(rep);
	if (e != 0) {
		srv_redis_vals_free(vals, got);
		return e;
	}
	*n = got;
	return 0;
}

/* ---- a subscription ---- */

struct srv_redis_sub {
	redisContext *c;
};

void
srv_redis_sub_free(struct srv_redis_sub **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	if ((*sp)->c != NULL)
		redisFree((*sp)->c);
	free(*sp);
	*sp = NULL;
}

/* 1 if rep is a pub/sub message ("message", channel, payload), else 0. */
static int
is_message(const redisReply *rep)
{
	return rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(rep->element[0]->str, "message") == 0;
}

int
srv_redis_subscribe(struct srv_redis *r, const char *channel, struct srv_redis_sub **out)
{
	struct timeval ct = { 0, REDIS_CONNECT_TIMEOUT_MS * 1000 };
	struct timeval cmd = { REDIS_COMMAND_TIMEOUT_MS / 1000, (REDIS_COMMAND_TIMEOUT_MS % 1000) * 1000 };
	const char *argv[2] = { "SUBSCRIBE", channel };
	size_t argvlen[2] = { 9, strlen(channel) };
	struct srv_redis_sub *s;
	redisReply *rep;
	int ok;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return EID_ERR_NOMEM;
	s->c = r->is_unix ? redisConnectUnixWithTimeout(r->host, ct) :
	    redisConnectWithTimeout(r->host, (int)r->port, ct);
	if (s->c == NULL || s->c->err != 0 || redisSetTimeout(s->c, cmd) != REDIS_OK ||
	    conn_setup(r, s->c) != 0) {
		srv_redis_sub_free(&s);
		return EID_ERR_REDIS_DOWN;
	}
	/* the answer to SUBSCRIBE is the confirmation ("subscribe", channel, 1) */
	rep = command_on(s->c, 2, argv, argvlen);
	ok = rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(rep->element[0]->str, "subscribe") == 0;
	if (rep != NULL)
		freeReplyObject(rep);
	if (!ok) {
		srv_redis_sub_free(&s);
		return EID_ERR_REDIS_DOWN;
	}
	*out = s;
	return 0;
}

int
srv_redis_sub_next(struct srv_redis_sub *s, int wait_ms)
{
	struct pollfd pfd;
	void *rep = NULL;
	int n, got;

	for (;;) {
		/* what is buffered first; then wait for the socket, then read what is there */
		if (redisGetReplyFromReader(s->c, &rep) != REDIS_OK)
			return EID_ERR_REDIS_DOWN;
		if (rep != NULL) {
			got = is_message(rep);
			freeReplyObject(rep);
			rep = NULL;
			if (got)
				return 1;
			continue;       /* not a message (a confirmation): look again */
		}
		pfd.fd = s->c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if ((n = poll(&pfd, 1, wait_ms)) == 0 || (n < 0 && errno == EINTR))
			return 0;
		if (n < 0 || redisBufferRead(s->c) != REDIS_OK)
			return EID_ERR_REDIS_DOWN;
		wait_ms = 0;            /* data came: take what it completes, no more waiting */
	}
}
