/* srv_req.c - request and response values (see srv_req.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eid_limits.h"
#include "srv_req.h"
#include "srv_store.h"

int
srv_kvlist_add(struct srv_kvlist *l, const char *k, size_t klen, const char *v, size_t vlen)
{
	struct srv_kv *nv;

	if (l->n >= EID_HTTP_MAX_PARAMS * 2)
		return EID_ERR_TOO_LARGE;
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 8;

		if ((nv = realloc(l->v, na * sizeof(*nv))) == NULL)
			return EID_ERR_NOMEM;
		l->v = nv;
		l->alloc = na;
	}
	if ((l->v[l->n].key = strndup(k, klen)) == NULL)
		return EID_ERR_NOMEM;
	if ((l->v[l->n].value = strndup(v != NULL ? v : "", v != NULL ? vlen : 0)) == NULL) {
		free(l->v[l->n].key);
		return EID_ERR_NOMEM;
	}
	l->n++;
	return 0;
}

const char *
srv_kvlist_get(const struct srv_kvlist *l, const char *key, size_t *count)
{
	const char *found = NULL;
	size_t i, c = 0;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0) {
			if (found == NULL)
				found = l->v[i].value;
			c++;
		}
	if (count != NULL)
		*count = c;
	return found;
}

void
srv_kvlist_clear(struct srv_kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		/* values may be passwords or codes */
		if (l->v[i].value != NULL) {
			explicit_bzero(l->v[i].value, strlen(l->v[i].value));
			free(l->v[i].value);
		}
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
srv_req_init(struct srv_req *req)
{
	memset(req, 0, sizeof(*req));
}

void
srv_req_clear(struct srv_req *req)
{
	free(req->path);
	srv_kvlist_clear(&req->query);
	srv_kvlist_clear(&req->form);
	srv_kvlist_clear(&req->headers);
	if (req->body != NULL) {
		explicit_bzero(req->body, req->body_len);
		free(req->body);
	}
	memset(req, 0, sizeof(*req));
}

const char *
srv_req_header(const struct srv_req *req, const char *lower_name)
{
	return srv_kvlist_get(&req->headers, lower_name, NULL);
}

const char *
srv_req_param(const struct srv_req *req, const char *name, size_t *count)
{
	return srv_kvlist_get(req->method == SRV_POST ? &req->form : &req->query, name, count);
}

void
srv_resp_init(struct srv_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 500;
	resp->content_type = "application/json";
	cx_dynbuf_init(&resp->body, 4 * 1024 * 1024);
}

void
srv_resp_clear(struct srv_resp *resp)
{
	cx_dynbuf_free(&resp->body);
	srv_kvlist_clear(&resp->headers);
	free(resp->form_action);
	resp->form_action = NULL;
	srv_audit_event_free(&resp->audit);
}

static int
dup_opt(const char *in, char **out)
{
	*out = NULL;
	return in == NULL || (*out = strdup(in)) != NULL ? 0 : EID_ERR_NOMEM;
}

int
srv_resp_audit(struct srv_resp *resp, const struct srv_audit_event *e)
{
	struct srv_audit_event *c;
	int r;

	if (e == NULL || e->actor == NULL || e->action == NULL || e->outcome == NULL ||
	    resp->audit != NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return EID_ERR_NOMEM;
	c->at = e->at;
	if ((r = dup_opt(e->actor, &c->actor)) != 0 || (r = dup_opt(e->action, &c->action)) != 0 ||
	    (r = dup_opt(e->subject, &c->subject)) != 0 ||
	    (r = dup_opt(e->outcome, &c->outcome)) != 0 ||
	    (r = dup_opt(e->details, &c->details)) != 0) {
		srv_audit_event_free(&c);
		return r;
	}
	resp->audit = c;
	return 0;
}

int
srv_resp_header(struct srv_resp *resp, const char *name, const char *value)
{
	return srv_kvlist_add(&resp->headers, name, strlen(name), value, strlen(value));
}

static int
dump_cb(const char *buf, size_t size, void *data)
{
	return cx_dynbuf_add(data, buf, size) == 0 ? 0 : -1;
}

int
srv_resp_json(struct srv_resp *resp, unsigned status, const json_t *body)
{
	cx_dynbuf_reset(&resp->body);
	resp->status = status;
	resp->content_type = "application/json";
	if (json_dump_callback(body, dump_cb, &resp->body, JSON_COMPACT) != 0)
		return EID_ERR_NOMEM;
	return 0;
}

int
srv_resp_error(struct srv_resp *resp, unsigned status, const char *error, const char *description)
{
	json_t *o = json_object();
	int r;

	if (o == NULL || json_object_set_new(o, "error", json_string(error)) != 0 ||
	    (description != NULL &&
	    json_object_set_new(o, "error_description", json_string(description)) != 0)) {
		json_decref(o);
		return EID_ERR_NOMEM;
	}
	r = srv_resp_json(resp, status, o);
	json_decref(o);
	return r;
}

int
srv_resp_text(struct srv_resp *resp, unsigned status, const char *content_type, const char *text)
{
	cx_dynbuf_reset(&resp->body);
	resp->status = status;
	resp->content_type = content_type;
	return cx_dynbuf_add_str(&resp->body, text);
}

int
srv_html_add_escaped(struct cx_dynbuf *b, const char *s)
{
	int r = 0;

	for (; r == 0 && s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': r = cx_dynbuf_add_str(b, "&amp;"); break;
		case '<': r = cx_dynbuf_add_str(b, "&lt;"); break;
		case '>': r = cx_dynbuf_add_str(b, "&gt;"); break;
		case '"': r = cx_dynbuf_add_str(b, "&quot;"); break;
		case '\'': r = cx_dynbuf_add_str(b, "&#39;"); break;
		default: r = cx_dynbuf_add(b, s, 1); break;
		}
	}
	return r;
}

int
srv_pct_encode(struct cx_dynbuf *b, const char *s, const char *also_safe)
{
	static const char hex[] = "0123456789ABCDEF";
	int r = 0;

	for (; r == 0 && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (c != 0 && strchr(also_safe, c) != NULL))
			r = cx_dynbuf_add(b, s, 1);
		else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			r = cx_dynbuf_add(b, e, 3);
		}
	}
	return r;
}

int
srv_content_type_is(const char *ct, const char *mime)
{
	size_t n = strlen(mime);

	if (ct == NULL || strncasecmp(ct, mime, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int
srv_cookie_get(const char *header, const char *name, char *out, size_t outsz)
{
	const char *p = header;
	size_t nlen = strlen(name);

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ;");
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			size_t vlen = strcspn(v, "; ");

			if (vlen + 1 != outsz)
				return EID_ERR_NOT_FOUND;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return EID_ERR_NOT_FOUND;
}
