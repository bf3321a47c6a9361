/*
 * eidd.c - the eid-server daemon.
 *
 * Start-up: configuration (file + EID_* environment), the data directory and its secret,
 * the SQLite store (migrated to the current schema), signing keys (created on first
 * start), Redis (connected lazily per worker; eidd starts even when Redis is down and
 * /readyz says so), then HTTP. SIGTERM/SIGINT: stop accepting, let in-flight requests
 * finish (bounded by EID_HTTP_SHUTDOWN_GRACE_MS), exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "srv_app.h"
#include "srv_backchannel.h"
#include "srv_client_keys.h"
#include "srv_config.h"
#include "srv_http.h"
#include "srv_log.h"
#include "srv_revocations.h"
#include "srv_secret.h"

extern char **environ;

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static time_t
wall_now(void)
{
	return time(NULL);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: eidd [--config FILE] [--check-config]\n"
	    "       eidd --help | --version\n"
	    "\n"
	    "The eid-server daemon: OpenID Connect provider, citizen sign-in and chip-card\n"
	    "verification.\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default: $EID_CONFIG; keys may also be\n"
	    "                      set as EID_<KEY> environment variables)\n"
	    "      --check-config  validate the configuration, print it (secrets hidden), exit\n"
	    "  -h, --help          this text\n"
	    "  -V, --version       print the version\n"
	    "\n"
	    "Docs: docs/configuration.md, docs/operations.md\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct srv_config cfg;
	struct srv_app app;
	struct srv_secret *secret = NULL;
	struct srv_http *http = NULL;
	struct srv_backchannel *bcl = NULL;
	struct srv_revocations *rvw = NULL;
	struct sigaction sa;
	const char *config_path = NULL;
	char err[1024], dbpath[4200];
	uint8_t subkey[32];
	int ch, check_only = 0, rc = 1, have_cfg = 0;
	long left;

	memset(&app, 0, sizeof(app));
	while ((ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'k':
			check_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("eidd %s\n", EID_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "eidd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (cx_init() != 0) {
		fprintf(stderr, "eidd: libsodium initialisation failed\n");
		return 1;
	}
	if (srv_config_load(&cfg, config_path, environ, err, sizeof(err)) != 0) {
		fprintf(stderr, "eidd: %s\n", err);
		return 1;
	}
	have_cfg = 1;
	srv_log_init(cfg.log_level, "eidd");
	if (check_only) {
		printf("configuration OK (%s)\nlisten = %s:%u\nissuer = %s\nredis = %s%s%s\ndata_dir = %s\nlog_level = %s\n",
		    cfg.source, cfg.listen_host, cfg.listen_port, cfg.issuer,
		    cfg.redis_is_unix ? "unix:" : "", cfg.redis_host,
		    cfg.redis_password != NULL ? " (with password)" : "", cfg.data_dir,
		    srv_log_level_name(cfg.log_level));
		srv_config_print_settings(&cfg, stdout);
		rc = 0;
		goto out;
	}
	app.cfg = &cfg;
	app.now = wall_now;
	app.started_at = time(NULL);
	if (srv_secret_open(cfg.data_dir, &secret, err, sizeof(err)) != 0) {
		fprintf(stderr, "eidd: %s\n", err);
		goto out;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/eid.db", cfg.data_dir);
	if (srv_store_sqlite_open(dbpath, 0, &app.store, err, sizeof(err)) != 0) {
		fprintf(stderr, "eidd: %s\n", err);
		goto out;
	}
	if (srv_keys_open(app.store, cfg.data_dir, &app.keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "eidd: %s\n", err);
		goto out;
	}
	if (srv_trust_open(app.store, cfg.data_dir, &app.trust, err, sizeof(err)) != 0) {
		fprintf(stderr, "eidd: %s\n", err);
		goto out;
	}
	srv_trust_set_require_crl(app.trust, (int)cfg.documents_require_crl);
	if (srv_metrics_new(srv_route_names, srv_routes_count, &app.metrics) != 0 ||
	    srv_redis_new(&cfg, app.metrics, &app.redis) != 0) {
		fprintf(stderr, "eidd: out of memory\n");
		goto out;
	}
	app.secret = secret;
	srv_secret_derive(secret, SRV_SUBKEY_REDIS_KEYS, subkey);
	srv_redis_set_key_hash_key(app.redis, subkey);
	cx_wipe(subkey, sizeof(subkey));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (srv_http_start(&app, &http, err, sizeof(err)) != 0) {
		fprintf(stderr, "eidd: %s\n", err);
		goto out;
	}
	/* back-channel logout sender: after HTTP is up, stopped before Redis and the store */
	if (srv_backchannel_start(&app, &bcl) != 0) {
		fprintf(stderr, "eidd: cannot start the back-channel logout worker\n");
		goto out;
	}
	if (srv_revocations_start(&app, &rvw) != 0) {
		fprintf(stderr, "eidd: cannot start the revocation watcher\n");
		goto out;
	}
	log_info("eidd_started", LS("version", EID_VERSION), LS("issuer", cfg.issuer),
	    LS("config", cfg.source));
	while (!stop_signal)
		pause();
	log_info("eidd_stopping", LI("signal", stop_signal),
	    LI("in_flight", srv_metrics_inflight_now(app.metrics)));
	srv_http_quiesce(http);
	left = srv_http_drain(http, EID_HTTP_SHUTDOWN_GRACE_MS);
	if (left > 0)
		log_warn("eidd_shutdown_cut_requests", LI("in_flight", left));
	srv_http_stop(&http);
	srv_backchannel_stop(&bcl);
	srv_revocations_stop(&rvw);
	log_info("eidd_stopped", LEND);
	rc = 0;
out:
	srv_http_stop(&http);
	srv_backchannel_stop(&bcl);
	srv_revocations_stop(&rvw);
	srv_redis_free(&app.redis);
	srv_trust_free(&app.trust);
	srv_keys_free(&app.keys);
	if (app.store != NULL)
		srv_store_close(&app.store);
	srv_metrics_free(&app.metrics);
	srv_secret_free(&secret);
	if (have_cfg)
		srv_config_free(&cfg);
	srv_client_keys_cache_clear();
	curl_global_cleanup();          /* a no-op unless libcurl was loaded (srv_curl.h) */
	return rc;
}
