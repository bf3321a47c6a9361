/*
 * eid_card_http.h - the HTTP client eid-card verify, bind and login use (libcurl, the tool
 * only; the cardreader library itself does no networking), and the server those commands
 * talk to (struct ec_server, below).
 *
 * One POST per call, on a fresh handle: http and https only, no redirects, no proxy
 * from the environment unless the operator sets one (curl's usual variables), TLS
 * peer and host verification on (curl's defaults, never turned off), a connect timeout
 * and a total timeout, and the answer capped at EC_HTTP_MAX_RESPONSE bytes.
 *
 * Ownership: *resp is a NUL-terminated copy of the body the caller frees with
 * ec_http_resp_free() (which wipes it: answers carry tokens and personal data).
 * Errors: EID_ERR_HTTP (could not connect / protocol error), EID_ERR_TIMEOUT,
 * EID_ERR_TOO_LARGE (answer over the cap), EID_ERR_NOMEM. An HTTP error status is not an
 * error here: *status tells.
 */
#ifndef EID_CARD_HTTP_H
#define EID_CARD_HTTP_H

#include <stddef.h>

#define EC_HTTP_MAX_RESPONSE (256 * 1024)

struct ec_http_resp {
	long status;
	char *body;
	size_t len;
};

/* Once per process, before any request. 0 or EID_ERR_INTERNAL. */
int ec_http_global_init(void);
void ec_http_global_cleanup(void);

/* headers: NULL-terminated "Name: value" strings (may be NULL). body may be NULL. */
int ec_http_post(const char *url, const char *const *headers, const char *body,
    size_t body_len, long timeout_s, struct ec_http_resp *out);
void ec_http_resp_free(struct ec_http_resp *r);

/* 1 when url is https://..., or http:// to a loopback host; 0 otherwise. */
int ec_http_url_allowed(const char *url);

/*
 * The eID server a command (verify, bind, login) talks to, with the operator messages
 * and EXIT_* codes (eid_card.h) the commands share. cmd names the command in messages
 * ("verify", "bind", "login").
 */
#define EC_SERVER_URL_MAX 2048

/* What a command says when the server answers with another status than wanted
 * (what: "the challenge request", ...); returns the command's exit code. */
typedef int ec_refused_fn(void *ctx, const char *what, const struct ec_http_resp *rs);

struct ec_server {
	char base[EC_SERVER_URL_MAX];   /* the URL without a trailing '/' */
	char url[EC_SERVER_URL_MAX + 64];
	long timeout;                   /* seconds per request */
	int http_up;                    /* libcurl initialised: ec_server_end cleans up */
	ec_refused_fn *refused;
	void *refused_ctx;
};

/* Default timeout; refused(refused_ctx, ...) tells about refusals. */
void ec_server_init(struct ec_server *s, ec_refused_fn *refused, void *refused_ctx);
/* --timeout S (1..300): EXIT_OK, or EXIT_USAGE after a message. */
int ec_server_set_timeout(struct ec_server *s, const char *arg);
/* --server URL, trailing '/' dropped: EXIT_OK, or EXIT_USAGE after a message. */
int ec_server_set_url(struct ec_server *s, const char *cmd, const char *url);
/* libcurl up and the URL allowed (ec_http_url_allowed): EXIT_OK, else EXIT_OTHER or
 * EXIT_USAGE after a message. Call ec_server_end() whatever it returns. */
int ec_server_start(struct ec_server *s, const char *cmd);
void ec_server_end(struct ec_server *s);
/*
 * POST base+path. EXIT_OK with *rs filled (the caller frees it) when the status is want;
 * else *rs is freed and the exit code is EXIT_SERVER after a message (unreachable, timed
 * out) or s->refused's.
 */
int ec_server_post(struct ec_server *s, const char *path, const char *what,
    const char *const *headers, const char *body, size_t len, long want,
    struct ec_http_resp *rs);
/* The answer's body on stdout as it came, ending in a newline (--json). */
void ec_http_resp_print(const struct ec_http_resp *rs);

#endif /* EID_CARD_HTTP_H */
