/*
 * eid_card_http.h - the HTTP client eid-card verify uses (libcurl, the tool only; the
 * cardreader library itself does no networking).
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

#endif /* EID_CARD_HTTP_H */
