/*
 * srv_req.h - an HTTP request and response as handlers see them, with no socket.
 *
 * srv_http.c fills a struct srv_req from libmicrohttpd and sends a struct srv_resp back;
 * tests build both by hand. A request owns copies of everything it holds (freed by
 * srv_req_clear); a response owns its body and headers (srv_resp_clear).
 *
 * Parameters keep every occurrence, so handlers can refuse a repeated OAuth parameter
 * (RFC 6749 section 3.1: "MUST NOT be included more than once").
 */
#ifndef SRV_REQ_H
#define SRV_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cx_buf.h"

struct srv_audit_event;

struct srv_kv {
	char *key;
	char *value;
};

struct srv_kvlist {
	struct srv_kv *v;
	size_t n, alloc;
};

enum srv_method { SRV_GET = 1, SRV_POST = 2, SRV_HEAD = 4, SRV_DELETE = 8, SRV_OPTIONS = 16, SRV_OTHER = 32 };

struct srv_req {
	enum srv_method method;
	char *path;                 /* decoded path, no query */
	struct srv_kvlist query;    /* decoded query parameters, in order */
	struct srv_kvlist form;     /* application/x-www-form-urlencoded body parameters */
	struct srv_kvlist headers;  /* lower-cased names */
	uint8_t *body;              /* raw body (also for form bodies), NUL-terminated */
	size_t body_len;
	char request_id[24];
	char remote_ip[48];
	int64_t start_us;           /* monotonic start, for latency */
};

struct srv_resp {
	unsigned status;
	const char *content_type;   /* static string */
	struct cx_dynbuf body;
	struct srv_kvlist headers;
	int no_store;               /* Cache-Control: no-store (responses carrying secrets) */
	int html;                   /* add the HTML security headers (CSP etc.) */
	long cache_max_age;         /* > 0: Cache-Control: public, max-age=N (when !no_store) */
	char *form_action;          /* owned; an extra origin for CSP form-action (form_post) */
	/* owned; an audit event that must be durable before this answer leaves (set with
	 * srv_resp_audit; srv_http.c writes it, holding the answer until it is written) */
	struct srv_audit_event *audit;
};

int srv_kvlist_add(struct srv_kvlist *l, const char *k, size_t klen, const char *v, size_t vlen) EID_WARN_UNUSED;
/* The only value of key; NULL if absent. *count gets the number of occurrences. */
const char *srv_kvlist_get(const struct srv_kvlist *l, const char *key, size_t *count);
void srv_kvlist_clear(struct srv_kvlist *l);

void srv_req_init(struct srv_req *req);
void srv_req_clear(struct srv_req *req);
const char *srv_req_header(const struct srv_req *req, const char *lower_name);
/* A query (GET) or form (POST) parameter; see srv_kvlist_get. */
const char *srv_req_param(const struct srv_req *req, const char *name, size_t *count);

void srv_resp_init(struct srv_resp *resp);
void srv_resp_clear(struct srv_resp *resp);
int srv_resp_header(struct srv_resp *resp, const char *name, const char *value) EID_WARN_UNUSED;
/* Attach a copy of e (at, actor, action, subject, outcome, details): the answer is sent
 * once e is in the audit log. Whoever sends a response writes resp->audit first. */
int srv_resp_audit(struct srv_resp *resp, const struct srv_audit_event *e) EID_WARN_UNUSED;
/* Body helpers: each replaces the body and sets status and content type. */
int srv_resp_json(struct srv_resp *resp, unsigned status, const json_t *body) EID_WARN_UNUSED;
/* OAuth-style error body {"error": code, "error_description": text} (RFC 6749 5.2). */
int srv_resp_error(struct srv_resp *resp, unsigned status, const char *error, const char *description) EID_WARN_UNUSED;
int srv_resp_text(struct srv_resp *resp, unsigned status, const char *content_type, const char *text) EID_WARN_UNUSED;

/* Append text with & < > " ' escaped for HTML text and attribute values. */
int srv_html_add_escaped(struct cx_dynbuf *b, const char *text) EID_WARN_UNUSED;

/* The value of cookie `name` from a Cookie header (NULL is fine) into out, which must be
 * exactly one byte longer than the value: 0, or EID_ERR_NOT_FOUND (absent or wrong length). */
int srv_cookie_get(const char *header, const char *name, char *out, size_t outsz) EID_WARN_UNUSED;

/* 1 if a Content-Type header value names the media type mime (case-insensitive),
 * with or without parameters such as "; charset=utf-8". */
int srv_content_type_is(const char *header, const char *mime);

/* Append s percent-encoded (RFC 3986): unreserved characters and those in also_safe
 * (may be "") are kept, every other byte becomes %XX. */
int srv_pct_encode(struct cx_dynbuf *b, const char *s, const char *also_safe) EID_WARN_UNUSED;

#endif /* SRV_REQ_H */
