/*
 * test_redis_session.c - srv_redis and srv_session against a real redis-server
 * (started here on a private Unix socket; its path is argv[1]).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "../t.h"
#include "redis_fixture.h"
#include "cx_util.h"
#include "srv_session.h"
#include "srv_web.h"

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

/* TTL of a key straight from Redis (-2 absent, -1 no TTL). */
static long long
ttl_of(const char *key)
{
	redisContext *c = redisConnectUnix(rf.sock);
	redisReply *r;
	long long v = -3;

	if (c == NULL || c->err != 0)
		goto out;
	r = redisCommand(c, "TTL %s", key);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	if (r != NULL)
		freeReplyObject(r);
out:
	if (c != NULL)
		redisFree(c);
	return v;
}

/* An integer reply of a raw command with one key argument (-3 on failure). */
static long long
raw_int(const char *cmd, const char *key)
{
	redisContext *c = redisConnectUnix(rf.sock);
	redisReply *r;
	long long v = -3;

	if (c == NULL || c->err != 0)
		goto out;
	r = redisCommand(c, "%s %s", cmd, key);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	if (r != NULL)
		freeReplyObject(r);
out:
	if (c != NULL)
		redisFree(c);
	return v;
}

/* Run a raw command with up to three string arguments; 0 on a non-error reply. */
static int
raw_cmd(const char *a, const char *b, const char *c3, const char *d)
{
	redisContext *c = redisConnectUnix(rf.sock);
	const char *argv[4] = { a, b, c3, d };
	redisReply *r = NULL;
	int n = d != NULL ? 4 : c3 != NULL ? 3 : 2, ok = -1;

	if (c != NULL && c->err == 0)
		r = redisCommandArgv(c, n, argv, NULL);
	if (r != NULL && r->type != REDIS_REPLY_ERROR)
		ok = 0;
	if (r != NULL)
		freeReplyObject(r);
	if (c != NULL)
		redisFree(c);
	return ok;
}

static void
acct_key(const char *account, char key[SRV_REDIS_KEY_MAX])
{
	srv_redis_key(redis, "acctsess", account, strlen(account), key);
}

/* A new session for account (NULL: none); its id into id. */
static int
new_session(const char *account, char id[SRV_SESSION_ID_LEN])
{
	struct srv_session s;
	json_t *data = account != NULL ? json_pack("{s:s,s:s}", "account", account, "acr", "x") :
	    json_object();
	int r;

	if (data == NULL)
		return EID_ERR_NOMEM;
	r = srv_session_create(&app, data, &s);
	json_decref(data);
	if (r == 0)
		snprintf(id, SRV_SESSION_ID_LEN, "%s", s.id);
	srv_session_clear(&s);
	return r;
}

static int
alive(const char *id)
{
	struct srv_session l;
	int r = srv_session_load(&app, id, &l);

	srv_session_clear(&l);
	return r == 0;
}

static long long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

T_CASE(set_get_take_once)
{
	uint8_t *v = NULL;
	size_t n = 0;

	T_EQ_INT(srv_redis_set(redis, "eid:t:a", "v\0x", 3, 60, 0), 0);
	T_ASSERT(ttl_of("eid:t:a") > 0);
	T_EQ_INT(srv_redis_get(redis, "eid:t:a", &v, &n), 0);
	T_EQ_MEM(v, n, "v\0x", 3);              /* binary-safe */
	free(v);
	T_EQ_INT(srv_redis_set(redis, "eid:t:a", "w", 1, 60, 1), EID_ERR_EXISTS);  /* NX */
	T_EQ_INT(srv_redis_take(redis, "eid:t:a", &v, &n), 0);
	free(v);
	T_EQ_INT(srv_redis_take(redis, "eid:t:a", &v, &n), EID_ERR_NOT_FOUND);  /* one time only */
	T_ASSERT(v == NULL);
	T_EQ_INT(srv_redis_set(redis, "eid:t:b", "x", 1, 0, 0), EID_ERR_INVALID_ARGUMENT);  /* no TTL, no key */
}

T_CASE(counter_has_ttl_from_the_start)
{
	long long n = 0;

	T_EQ_INT(srv_redis_incr(redis, "eid:t:c", 30, &n), 0);
	T_EQ_INT(n, 1);
	T_EQ_INT(srv_redis_incr(redis, "eid:t:c", 30, &n), 0);
	T_EQ_INT(n, 2);
	T_ASSERT(ttl_of("eid:t:c") > 0 && ttl_of("eid:t:c") <= 30);
}

T_CASE(keys_hide_secret_ids)
{
	char k1[SRV_REDIS_KEY_MAX], k2[SRV_REDIS_KEY_MAX];

	srv_redis_key(redis, "sess", "secret-id", 9, k1);
	srv_redis_key(redis, "sess", "secret-id", 9, k2);
	T_EQ_STR(k1, k2);
	T_ASSERT(strncmp(k1, "eid:sess:", 9) == 0);
	T_ASSERT(strstr(k1, "secret") == NULL);
}

T_CASE(session_idle_and_absolute_limits)
{
	struct srv_session s, l;
	json_t *data = json_pack("{s:s,s:s}", "account", "acct1", "acr", "urn:eid:level:1");
	char key[SRV_REDIS_KEY_MAX], id[SRV_SESSION_ID_LEN];
	long long count = -1;

	T_ASSERT(data != NULL);
	T_EQ_INT(srv_session_create(&app, data, &s), 0);
	json_decref(data);
	T_EQ_INT(strlen(s.id), 43);                         /* 256 bits */
	snprintf(id, sizeof(id), "%s", s.id);
	srv_redis_key(redis, "sess", id, strlen(id), key);
	T_ASSERT(ttl_of(key) > 0 && ttl_of(key) <= (long long)cfg.session_idle_timeout);
	T_ASSERT(ttl_of("eid:sessions") > 0);               /* the index has a TTL too */
	T_EQ_INT(srv_session_count(&app, &count), 0);
	T_EQ_INT(count, 1);
	srv_session_clear(&s);

	fake_now += 60;
	T_EQ_INT(srv_session_load(&app, id, &l), 0);
	T_EQ_STR(json_string_value(json_object_get(l.data, "account")), "acct1");
	srv_session_clear(&l);

	/* use does not extend the absolute lifetime */
	fake_now += (time_t)cfg.session_max_lifetime;
	T_EQ_INT(srv_session_load(&app, id, &l), EID_ERR_NOT_FOUND);
	T_EQ_INT(ttl_of(key), -2);                          /* and the key is gone */
	T_EQ_INT(srv_session_count(&app, &count), 0);
	T_EQ_INT(count, 0);
}

T_CASE(session_destroy_and_cookie)
{
	struct srv_session s, l;
	json_t *data = json_object();
	char id[SRV_SESSION_ID_LEN], hdr[200];
	char *saved_issuer = cfg.issuer;

	T_EQ_INT(srv_session_create(&app, data, &s), 0);
	json_decref(data);

	/* https issuer: the __Host- name only */
	cfg.issuer = (char *)"https://id.example.vn";
	snprintf(hdr, sizeof(hdr), "a=b; " SRV_SESSION_COOKIE "=%s; c=d", s.id);
	T_EQ_INT(srv_session_cookie_id(&app, hdr, id), 0);
	T_EQ_STR(id, s.id);
	snprintf(hdr, sizeof(hdr), "a=b; eid_session=%s; c=d", s.id);
	T_EQ_INT(srv_session_cookie_id(&app, hdr, id), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_session_cookie_id(&app, "a=b", id), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_session_cookie_id(&app, SRV_SESSION_COOKIE "=short", id), EID_ERR_NOT_FOUND);
	/* http loopback issuer: no Secure, so no __Host- prefix either (browsers refuse it) */
	cfg.issuer = (char *)"http://127.0.0.1:8080";
	T_EQ_STR(srv_web_cookie_name(&app, SRV_SESSION_COOKIE), "eid_session");
	T_EQ_INT(srv_session_cookie_id(&app, hdr, id), 0);
	T_EQ_STR(id, s.id);
	cfg.issuer = saved_issuer;
	T_EQ_INT(srv_session_destroy(&app, s.id), 0);
	T_EQ_INT(srv_session_load(&app, s.id, &l), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_session_load(&app, "not-a-session", &l), EID_ERR_NOT_FOUND);
	srv_session_clear(&s);
}

T_CASE(zrange_by_score_reads_members)
{
	char **m = NULL;
	size_t n = 9;

	T_EQ_INT(srv_redis_zrange_by_score(redis, "eid:t:z", 0, 100, 10, &m, &n), 0);
	T_EQ_INT(n, 0);                                     /* no set: empty */
	T_ASSERT(m == NULL);
	T_EQ_INT(srv_redis_zadd(redis, "eid:t:z", 30, "c", 60), 0);
	T_EQ_INT(srv_redis_zadd(redis, "eid:t:z", 10, "a", 60), 0);
	T_EQ_INT(srv_redis_zadd(redis, "eid:t:z", 20, "b", 60), 0);
	T_EQ_INT(srv_redis_zadd(redis, "eid:t:z", 40, "d", 60), 0);
	T_EQ_INT(srv_redis_zrange_by_score(redis, "eid:t:z", 0, 30, 10, &m, &n), 0);
	T_EQ_INT(n, 3);                                     /* lowest score first, bounds inclusive */
	T_EQ_STR(m[0], "a");
	T_EQ_STR(m[1], "b");
	T_EQ_STR(m[2], "c");
	srv_redis_members_free(m, n);
	T_EQ_INT(srv_redis_zrange_by_score(redis, "eid:t:z", 15, 100, 2, &m, &n), 0);
	T_EQ_INT(n, 2);                                     /* the limit */
	T_EQ_STR(m[0], "b");
	T_EQ_STR(m[1], "c");
	srv_redis_members_free(m, n);
	T_EQ_INT(raw_int("ZCARD", "eid:t:z"), 4);           /* reading changes nothing */
	T_EQ_INT(srv_redis_zrange_by_score(redis, "eid:t:z", 0, 100, 0, &m, &n), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_redis_zrange_by_score(redis, "eid:t:z", 50, 10, 5, &m, &n), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_redis_zrange_by_score(redis, "eid:t:z", 0, 100, 1001, &m, &n), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_redis_set(redis, "eid:t:notz", "x", 1, 60, 0), 0);
	T_EQ_INT(srv_redis_zrange_by_score(redis, "eid:t:notz", 0, 100, 5, &m, &n), EID_ERR_REDIS);
	T_ASSERT(m == NULL && n == 0);
}

T_CASE(account_index_follows_sessions)
{
	char a1[SRV_SESSION_ID_LEN], a2[SRV_SESSION_ID_LEN], a3[SRV_SESSION_ID_LEN];
	char b1[SRV_SESSION_ID_LEN], n1[SRV_SESSION_ID_LEN];
	char ka[SRV_REDIS_KEY_MAX], kb[SRV_REDIS_KEY_MAX], sk[SRV_REDIS_KEY_MAX];
	unsigned ended = 99;

	acct_key("acct-a", ka);
	acct_key("acct-b", kb);
	T_EQ_INT(new_session("acct-a", a1), 0);
	T_EQ_INT(new_session("acct-a", a2), 0);
	T_EQ_INT(new_session("acct-a", a3), 0);
	T_EQ_INT(new_session("acct-b", b1), 0);
	T_EQ_INT(new_session(NULL, n1), 0);                 /* no account: not indexed */
	T_EQ_INT(raw_int("ZCARD", ka), 3);
	T_EQ_INT(raw_int("ZCARD", kb), 1);
	T_ASSERT(ttl_of(ka) > 0 && ttl_of(ka) <= (long long)cfg.session_max_lifetime);
	srv_redis_key(redis, "sess", a1, strlen(a1), sk);
	{
		redisContext *c = redisConnectUnix(rf.sock);
		redisReply *r = c != NULL ? redisCommand(c, "ZSCORE %s %s", ka, sk) : NULL;

		T_ASSERT(r != NULL && r->type == REDIS_REPLY_STRING);  /* member: the hashed key */
		T_ASSERT(r != NULL && r->str != NULL && atoll(r->str) == (long long)fake_now);
		if (r != NULL)
			freeReplyObject(r);
		if (c != NULL)
			redisFree(c);
	}

	/* destroy takes the session out of its account's index */
	T_EQ_INT(srv_session_destroy(&app, a2), 0);
	T_EQ_INT(raw_int("ZCARD", ka), 2);
	T_EQ_INT(srv_session_destroy(&app, a2), 0);         /* gone already: still 0 */

	/* a session that ended by itself leaves a stale member: dropped, not counted */
	srv_redis_key(redis, "sess", a3, strlen(a3), sk);
	T_EQ_INT(raw_cmd("DEL", sk, NULL, NULL), 0);
	/* a tampered member that names another key: that key is left alone */
	T_EQ_INT(srv_redis_set(redis, "eid:other:x", "{\"account\":\"acct-a\"}", 20, 60, 0), 0);
	T_EQ_INT(raw_cmd("ZADD", ka, "1", "eid:other:x"), 0);

	T_EQ_INT(srv_session_end_account(&app, "acct-a", &ended), 0);
	T_EQ_INT(ended, 1);                                 /* a1 only */
	T_ASSERT(!alive(a1));
	T_ASSERT(alive(b1));
	T_ASSERT(alive(n1));
	T_EQ_INT(raw_int("EXISTS", "eid:other:x"), 1);
	T_EQ_INT(raw_int("ZCARD", ka), 0);
	T_EQ_INT(raw_int("ZCARD", kb), 1);
	T_EQ_INT(srv_session_end_account(&app, "acct-a", &ended), 0);
	T_EQ_INT(ended, 0);

	/* srv_session_end_account does what sign out everywhere needs for b */
	T_EQ_INT(srv_session_end_account(&app, "acct-b", &ended), 0);
	T_EQ_INT(ended, 1);
	T_ASSERT(!alive(b1));
	T_EQ_INT(srv_session_end_account(&app, NULL, &ended), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_session_end_account(&app, "", &ended), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_session_destroy(&app, n1), 0);
}

T_CASE(end_account_spares_later_sessions)
{
	char old[SRV_SESSION_ID_LEN], later[SRV_SESSION_ID_LEN];
	unsigned ended = 0;

	T_EQ_INT(new_session("acct-c", old), 0);
	fake_now += 10;
	T_EQ_INT(new_session("acct-c", later), 0);
	fake_now -= 10;                                     /* "now" is between the two */
	T_EQ_INT(srv_session_end_account(&app, "acct-c", &ended), 0);
	T_EQ_INT(ended, 1);
	T_ASSERT(!alive(old));
	fake_now += 10;
	T_ASSERT(alive(later));
	T_EQ_INT(srv_session_end_account(&app, "acct-c", &ended), 0);
	T_EQ_INT(ended, 1);
	T_ASSERT(!alive(later));
}

#define RACE_SESSIONS 150

struct end_arg {
	unsigned ended;
	int r;
};

static void *
end_thread(void *p)
{
	struct end_arg *a = p;

	a->r = srv_session_end_account(&app, "acct-race", &a->ended);
	return NULL;
}

T_CASE(concurrent_end_account_ends_each_once)
{
	char id[SRV_SESSION_ID_LEN], first[SRV_SESSION_ID_LEN], ka[SRV_REDIS_KEY_MAX];
	struct end_arg args[3];
	pthread_t th[3];
	unsigned total = 0;
	int i;

	for (i = 0; i < RACE_SESSIONS; i++) {
		T_EQ_INT(new_session("acct-race", id), 0);
		if (i == 0)
			snprintf(first, sizeof(first), "%s", id);
	}
	acct_key("acct-race", ka);
	T_EQ_INT(raw_int("ZCARD", ka), RACE_SESSIONS);
	for (i = 0; i < 3; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		T_EQ_INT(pthread_create(&th[i], NULL, end_thread, &args[i]), 0);
	}
	for (i = 0; i < 3; i++) {
		T_EQ_INT(pthread_join(th[i], NULL), 0);
		T_EQ_INT(args[i].r, 0);
		total += args[i].ended;
	}
	T_EQ_INT(total, RACE_SESSIONS);                     /* each one ended exactly once */
	T_ASSERT(!alive(first) && !alive(id));
	T_EQ_INT(raw_int("ZCARD", ka), 0);
}

T_CASE(down_is_fast_and_recovers)
{
	struct timespec t0, wait = { 0, 300 * 1000 * 1000 };
	int i, r = -1;

	T_EQ_INT(srv_redis_ping(redis), 0);
	redis_fixture_stop(&rf);
	T_EQ_INT(srv_redis_ping(redis), EID_ERR_REDIS_DOWN);   /* connection drops, reconnect refused */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100; i++)
		T_EQ_INT(srv_redis_ping(redis), EID_ERR_REDIS_DOWN);
	T_ASSERT(ms_since(&t0) < 100);                      /* in back-off: no reconnect storm */
	T_EQ_INT(redis_fixture_start(&rf), 0);
	for (i = 0; i < 20 && r != 0; i++) {
		nanosleep(&wait, NULL);
		r = srv_redis_ping(redis);
	}
	T_EQ_INT(r, 0);
}

int
main(int argc, char **argv)
{
	char err[256];

	if (argc < 2) {
		printf("1..0 # SKIP needs the redis-server path\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);      /* as eidd does: a dead Redis must not kill us */
	if (cx_init() != 0)
		return 1;
	if (redis_fixture_open(&rf, argv[1], "/tmp/eid-redis-XXXXXX") != 0) {
		printf("not ok 1 - redis-server did not start\n1..1\n");
		return 1;
	}
	if (srv_config_init(&cfg) != 0)
		return 1;
	{
		char url[400];

		snprintf(url, sizeof(url), "redis_url = unix:%s\nsession_idle_timeout = 600\n"
		    "session_max_lifetime = 3600\n", rf.sock);
		if (srv_config_parse(&cfg, url, strlen(url), "test", err, sizeof(err)) != 0) {
			printf("# %s\n", err);
			return 1;
		}
	}
	if (srv_redis_new(&cfg, NULL, &redis) != 0)
		return 1;
	app.cfg = &cfg;
	app.redis = redis;
	app.now = clock_now;
	T_RUN(set_get_take_once);
	T_RUN(counter_has_ttl_from_the_start);
	T_RUN(keys_hide_secret_ids);
	T_RUN(session_idle_and_absolute_limits);
	T_RUN(session_destroy_and_cookie);
	T_RUN(zrange_by_score_reads_members);
	T_RUN(account_index_follows_sessions);
	T_RUN(end_account_spares_later_sessions);
	T_RUN(concurrent_end_account_ends_each_once);
	T_RUN(down_is_fast_and_recovers);
	srv_redis_free(&redis);
	srv_config_free(&cfg);
	redis_fixture_close(&rf);
	return t_done();
}
