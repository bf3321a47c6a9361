/*
 * test_redis_session.c - srv_redis and srv_session against a real redis-server
 * (started here on a private Unix socket; its path is argv[1]).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "../t.h"
#include "cx_util.h"
#include "srv_session.h"
#include "srv_web.h"

static const char *redis_bin;
static char dir[] = "/tmp/eid-redis-XXXXXX";
static char sock[256];
static pid_t redis_pid = -1;
static struct srv_config cfg;
static struct srv_redis *redis;
static struct srv_app app;
static time_t fake_now = 1800000000;

static time_t
clock_now(void)
{
	return fake_now;
}

static int
redis_start(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	if ((redis_pid = fork()) == 0) {
		execl(redis_bin, redis_bin, "--port", "0", "--unixsocket", sock, "--save", "",
		    "--appendonly", "no", "--dir", dir, "--logfile", "/dev/null", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 250; i++) {
		redisContext *c = redisConnectUnix(sock);
		int up = c != NULL && c->err == 0;

		if (c != NULL)
			redisFree(c);
		if (up)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void
redis_stop(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGKILL);
		waitpid(redis_pid, NULL, 0);
		redis_pid = -1;
	}
	unlink(sock);
}

/* TTL of a key straight from Redis (-2 absent, -1 no TTL). */
static long long
ttl_of(const char *key)
{
	redisContext *c = redisConnectUnix(sock);
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

T_CASE(down_is_fast_and_recovers)
{
	struct timespec t0, wait = { 0, 300 * 1000 * 1000 };
	int i, r = -1;

	T_EQ_INT(srv_redis_ping(redis), 0);
	redis_stop();
	T_EQ_INT(srv_redis_ping(redis), EID_ERR_REDIS_DOWN);   /* connection drops, reconnect refused */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100; i++)
		T_EQ_INT(srv_redis_ping(redis), EID_ERR_REDIS_DOWN);
	T_ASSERT(ms_since(&t0) < 100);                      /* in back-off: no reconnect storm */
	T_EQ_INT(redis_start(), 0);
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
	redis_bin = argv[1];
	signal(SIGPIPE, SIG_IGN);      /* as eidd does: a dead Redis must not kill us */
	if (cx_init() != 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	if (redis_start() != 0) {
		printf("not ok 1 - redis-server did not start\n1..1\n");
		return 1;
	}
	if (srv_config_init(&cfg) != 0)
		return 1;
	{
		char url[400];

		snprintf(url, sizeof(url), "redis_url = unix:%s\nsession_idle_timeout = 600\n"
		    "session_max_lifetime = 3600\n", sock);
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
	T_RUN(down_is_fast_and_recovers);
	srv_redis_free(&redis);
	srv_config_free(&cfg);
	redis_stop();
	rmdir(dir);
	return t_done();
}
