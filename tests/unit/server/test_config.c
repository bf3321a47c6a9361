/* test_config.c - the configuration parser as a pure function (server/srv_config.c). */
#include "../t.h"
#include "srv_config.h"

static char err[512];

static int
parse(struct srv_config *cfg, const char *text)
{
	err[0] = '\0';
	return srv_config_parse(cfg, text, strlen(text), "test.conf", err, sizeof(err));
}

T_CASE(defaults_then_file)
{
	struct srv_config cfg;

	T_EQ_INT(srv_config_init(&cfg), 0);
	T_EQ_INT(parse(&cfg, "# comment\n\nlisten = 0.0.0.0:9000\nissuer = \"https://id.example.vn\"\n"
	    "redis_url = redis://:s3cret@cache.internal:6380/2\ndata_dir = /var/lib/eid\n"
	    "log_level = debug\nhttp_threads = 4\n"), 0);
	T_EQ_STR(cfg.listen_host, "0.0.0.0");
	T_EQ_INT(cfg.listen_port, 9000);
	T_EQ_STR(cfg.issuer, "https://id.example.vn");
	T_EQ_STR(cfg.redis_host, "cache.internal");
	T_EQ_INT(cfg.redis_port, 6380);
	T_EQ_INT(cfg.redis_db, 2);
	T_EQ_STR(cfg.redis_password, "s3cret");
	T_EQ_INT(cfg.log_level, SRV_LOG_DEBUG);
	T_EQ_INT(cfg.http_threads, 4);
	T_EQ_INT(srv_config_validate(&cfg, err, sizeof(err)), 0);
	srv_config_free(&cfg);
}

T_CASE(redis_unix_and_ipv6)
{
	struct srv_config cfg;

	T_EQ_INT(srv_config_init(&cfg), 0);
	T_EQ_INT(parse(&cfg, "redis_url = unix:/run/redis/redis.sock?db=3&password=pw\n"), 0);
	T_ASSERT(cfg.redis_is_unix);
	T_EQ_STR(cfg.redis_host, "/run/redis/redis.sock");
	T_EQ_INT(cfg.redis_db, 3);
	T_EQ_STR(cfg.redis_password, "pw");
	srv_config_free(&cfg);
	T_EQ_INT(srv_config_init(&cfg), 0);
	T_EQ_INT(parse(&cfg, "redis_url = redis://[::1]:7000\nlisten = [::1]:8443\n"), 0);
	T_EQ_STR(cfg.redis_host, "::1");
	T_EQ_INT(cfg.redis_port, 7000);
	T_EQ_STR(cfg.listen_host, "::1");
	T_EQ_INT(cfg.listen_port, 8443);
	srv_config_free(&cfg);
}

T_CASE(errors_name_file_line_and_key)
{
	static const struct { const char *text, *needle; } bad[] = {
		{ "listen = nope\n", "test.conf:1: listen:" },
		{ "\n\nissuer = https://x/\n", "test.conf:3: issuer:" },
		{ "redis_url = redis://h:70000\n", "test.conf:1: redis_url" },
		{ "log_level = loud\n", "test.conf:1: log_level:" },
		{ "http_timeout = 0\n", "out of range" },
		{ "frobnicate = 1\n", "unknown key 'frobnicate'" },
		{ "listen 127.0.0.1:1\n", "expected 'key = value'" },
		{ "log_level = info\nlog_level = info\n", "test.conf:2: log_level is set twice" },
		{ "data_dir = relative\n", "test.conf:1: data_dir:" },
		{ "listen =\n", "empty value" },
	};
	struct srv_config cfg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_EQ_INT(srv_config_init(&cfg), 0);
		if (parse(&cfg, bad[i].text) != EID_ERR_CONFIG || strstr(err, bad[i].needle) == NULL) {
			srv_config_free(&cfg);
			T_FAIL("'%s' gave '%s', wanted '%s'", bad[i].text, err, bad[i].needle);
		}
		srv_config_free(&cfg);
	}
}

T_CASE(redis_password_never_in_messages)
{
	struct srv_config cfg;

	T_EQ_INT(srv_config_init(&cfg), 0);
	T_EQ_INT(parse(&cfg, "redis_url = redis://:topsecret@h:notaport/1\n"), EID_ERR_CONFIG);
	T_ASSERT(strstr(err, "topsecret") == NULL);
	T_ASSERT(strstr(err, "redis_url") != NULL);
	srv_config_free(&cfg);
}

T_CASE(required_keys_and_environment)
{
	char *env1[] = { "EID_ISSUER=http://127.0.0.1:8080", NULL };
	char *env2[] = { "EID_ISSUER=http://127.0.0.1:8080", "EID_DATA_DIR=/tmp/x",
		"EID_LISTEN=127.0.0.1:9999", "EID_UNRELATED=1", "PATH=/bin", NULL };
	char *env3[] = { "EID_HTTP_TIMEOUT=abc", NULL };
	struct srv_config cfg;

	T_EQ_INT(srv_config_load(&cfg, NULL, env1, err, sizeof(err)), EID_ERR_CONFIG);
	T_ASSERT(strstr(err, "missing required key 'data_dir'") != NULL);
	T_ASSERT(strstr(err, "EID_DATA_DIR") != NULL);
	T_EQ_INT(srv_config_load(&cfg, NULL, env2, err, sizeof(err)), 0);
	T_EQ_INT(cfg.listen_port, 9999);
	T_EQ_STR(cfg.data_dir, "/tmp/x");
	srv_config_free(&cfg);
	T_EQ_INT(srv_config_load(&cfg, NULL, env3, err, sizeof(err)), EID_ERR_CONFIG);
	T_ASSERT(strstr(err, "environment EID_HTTP_TIMEOUT") != NULL);
}

T_CASE(cross_key_rule)
{
	struct srv_config cfg;

	T_EQ_INT(srv_config_init(&cfg), 0);
	T_EQ_INT(parse(&cfg, "issuer = http://127.0.0.1:1\ndata_dir = /x\nsession_idle_timeout = 7200\n"
	    "session_max_lifetime = 3600\n"), 0);
	T_EQ_INT(srv_config_validate(&cfg, err, sizeof(err)), EID_ERR_CONFIG);
	T_ASSERT(strstr(err, "session_idle_timeout") != NULL);
	srv_config_free(&cfg);
}

T_CASE(nul_and_oversize_refused)
{
	struct srv_config cfg;
	char *big;

	T_EQ_INT(srv_config_init(&cfg), 0);
	T_EQ_INT(srv_config_parse(&cfg, "a\0b", 3, "t", err, sizeof(err)), EID_ERR_CONFIG);
	big = calloc(1, 70000);
	T_ASSERT(big != NULL);
	memset(big, '#', 69999);
	T_EQ_INT(srv_config_parse(&cfg, big, 69999, "t", err, sizeof(err)), EID_ERR_CONFIG);
	free(big);
	srv_config_free(&cfg);
}

int
main(void)
{
	T_RUN(defaults_then_file);
	T_RUN(redis_unix_and_ipv6);
	T_RUN(errors_name_file_line_and_key);
	T_RUN(redis_password_never_in_messages);
	T_RUN(required_keys_and_environment);
	T_RUN(cross_key_rule);
	T_RUN(nul_and_oversize_refused);
	return t_done();
}
