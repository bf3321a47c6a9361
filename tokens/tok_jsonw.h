/*
 * tok_jsonw.h - a flat JSON object written straight into a buffer.
 *
 * Hot paths (token claims, token responses) used to build a jansson object only to dump
 * it at once. A writer appends members to a cx_dynbuf in call order, in the bytes
 * json_dumps(JSON_COMPACT) gives for an object with the same members inserted in the
 * same order. It writes only what needs no escape: names and string values must be
 * "plain" (tok_json_plain: printable ASCII without '"' and '\'); anything else sets the
 * writer's sticky status to EID_ERR_UNSUPPORTED, and the caller takes the general way
 * (jansson, which escapes and checks UTF-8). The first failure (EID_ERR_UNSUPPORTED,
 * EID_ERR_NOMEM, EID_ERR_TOO_LARGE from the buffer's cap) sticks: later calls do
 * nothing, and tok_jsonw_end() reports it. What was written by then is left in the
 * buffer for the caller to reset.
 */
#ifndef TOK_JSONW_H
#define TOK_JSONW_H

#include <stddef.h>

#include <jansson.h>

#include "cx_buf.h"
#include "eid_err.h"

struct tok_jsonw {
	struct cx_dynbuf *b;
	size_t members;
	int err;
};

/* 1 if s (not NULL) can go into a JSON string as it is. */
int tok_json_plain(const char *s);

/* Start an object ("{") at the end of b. */
void tok_jsonw_begin(struct tok_jsonw *w, struct cx_dynbuf *b);
/* "name":"value"; value NULL is EID_ERR_UNSUPPORTED (jansson would refuse it too). */
void tok_jsonw_str(struct tok_jsonw *w, const char *name, const char *value);
/* "name":integer */
void tok_jsonw_int(struct tok_jsonw *w, const char *name, long long value);
/* "name":["a","b"] from a jansson array of strings (anything else: EID_ERR_UNSUPPORTED). */
void tok_jsonw_strings(struct tok_jsonw *w, const char *name, const json_t *array);
/* Close the object ("}"); 0 or the sticky status. */
int tok_jsonw_end(struct tok_jsonw *w) EID_WARN_UNUSED;

#endif /* TOK_JSONW_H */
