/* eid_card_http.c - POST with libcurl for eid-card verify, bind and login, and the
 * server those commands talk to (see eid_card_http.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cx_util.h"
#include "eid_err.h"
#include "eid_card.h"
#include "eid_card_http.h"

#define CONNECT_TIMEOUT_S 10L
#define DEFAULT_TIMEOUT_S 15L

struct sink {
	char *buf;
	size_t len, cap;
	int too_big;
};

int
ec_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? EID_OK : EID_ERR_INTERNAL;
}

void
ec_http_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb, ncap;
	char *nb;

	if (nmemb != 0 && n / nmemb != size)
		return 0;
	if (n > EC_HTTP_MAX_RESPONSE - s->len) {
		s->too_big = 1;
		return 0;               /* aborts the transfer */
	}
	if (s->len + n + 1 > s->cap) {
		ncap = s->cap == 0 ? 4096 : s->cap;
		while (ncap < s->len + n + 1)
			ncap *= 2;
		if ((nb = malloc(ncap)) == NULL)
			return 0;
		if (s->buf != NULL) {
			memcpy(nb, s->buf, s->len);
			cx_wipe(s->buf, s->cap);
			free(s->buf);
		}
		s->buf = nb;
		s->cap = ncap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

int
ec_http_url_allowed(const char *url)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL;
	int ok = 0;

	if ((u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (strcasecmp(scheme, "https") == 0)
		ok = 1;
	else if (strcasecmp(scheme, "http") == 0)
		ok = strcmp(host, "127.0.0.1") == 0 || strcasecmp(host, "localhost") == 0 ||
		    strcmp(host, "[::1]") == 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

int
ec_http_post(const char *url, const char *const *headers, const char *body, size_t body_len,
    long timeout_s, struct ec_http_resp *out)
{
	CURL *h = NULL;
	struct curl_slist *hl = NULL, *t;
	struct sink s = { 0 };
	CURLcode cc;
	size_t i;
	int r = EID_ERR_NOMEM;

	memset(out, 0, sizeof(*out));
	if ((h = curl_easy_init()) == NULL)
		goto out;
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if ((t = curl_slist_append(hl, headers[i])) == NULL)
			goto out;
		hl = t;
	}
	if (body == NULL) {
		/* an empty POST: no form content type either */
		if ((t = curl_slist_append(hl, "Content-Type:")) == NULL)
			goto out;
		hl = t;
	}
	r = EID_ERR_INTERNAL;
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s < CONNECT_TIMEOUT_S ?
	    timeout_s : CONNECT_TIMEOUT_S) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body != NULL ? body_len : 0)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "eid-card/" EID_VERSION) != CURLE_OK)
		goto out;
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		r = s.too_big ? EID_ERR_TOO_LARGE : cc == CURLE_OPERATION_TIMEDOUT ?
		    EID_ERR_TIMEOUT : cc == CURLE_WRITE_ERROR ? EID_ERR_NOMEM : EID_ERR_HTTP;
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status) != CURLE_OK)
		goto out;
	if (s.buf == NULL && (s.buf = calloc(1, 1)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	out->body = s.buf;
	out->len = s.len;
	s.buf = NULL;
	r = EID_OK;
out:
	if (s.buf != NULL) {
		cx_wipe(s.buf, s.cap);
		free(s.buf);
	}
	for (t = hl; t != NULL; t = t->next)    /* Authorization headers */
		cx_wipe(t->data, strlen(t->data));
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	return r;
}

void
ec_http_resp_free(struct ec_http_resp *r)
{
	if (r == NULL)
		return;
	if (r->body != NULL) {
		cx_wipe(r->body, r->len);
		free(r->body);
	}
	memset(r, 0, sizeof(*r));
}

/* ---- the server a command talks to ---- */

void
ec_server_init(struct ec_server *s, ec_refused_fn *refused, void *refused_ctx)
{
	memset(s, 0, sizeof(*s));
	s->timeout = DEFAULT_TIMEOUT_S;
	s->refused = refused;
	s->refused_ctx = refused_ctx;
}

int
ec_server_set_timeout(struct ec_server *s, const char *arg)
{
	char *end = NULL;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end != '\0' || v < 1 || v > 300) {
		fprintf(stderr, "eid-card: --timeout takes 1..300 seconds\n");
		return EXIT_USAGE;
	}
	s->timeout = v;
	return EXIT_OK;
}

int
ec_server_set_url(struct ec_server *s, const char *cmd, const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(s->base)) {
		fprintf(stderr, "eid-card %s: --server must be a URL\n", cmd);
		return EXIT_USAGE;
	}
	memcpy(s->base, url, n);
	s->base[n] = '\0';
	return EXIT_OK;
}

int
ec_server_start(struct ec_server *s, const char *cmd)
{
	if (ec_http_global_init() != 0) {
		fprintf(stderr, "eid-card: cannot initialise libcurl\n");
		return EXIT_OTHER;
	}
	s->http_up = 1;
	if (!ec_http_url_allowed(s->base)) {
		fprintf(stderr, "eid-card %s: --server must be an https:// URL (http:// only to "
		    "this machine: 127.0.0.1, localhost, [::1])\n", cmd);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

void
ec_server_end(struct ec_server *s)
{
	if (s->http_up)
		ec_http_global_cleanup();
	s->http_up = 0;
}

int
ec_server_post(struct ec_server *s, const char *path, const char *what,
    const char *const *headers, const char *body, size_t len, long want,
    struct ec_http_resp *rs)
{
	int r, ex;

	snprintf(s->url, sizeof(s->url), "%s%s", s->base, path);
	r = ec_http_post(s->url, headers, body, len, s->timeout, rs);
	if (r == EID_ERR_TIMEOUT) {
		fprintf(stderr, "The server at %s did not answer within %ld s. Check the network "
		    "and try again.\n", s->base, s->timeout);
		return EXIT_SERVER;
	}
	if (r != 0) {
		fprintf(stderr, "Cannot reach the server at %s (%s). Check the address and the "
		    "network.\n", s->base, eid_strerror(r));
		return EXIT_SERVER;
	}
	if (rs->status != want) {
		ex = s->refused(s->refused_ctx, what, rs);
		ec_http_resp_free(rs);
		return ex;
	}
	return EXIT_OK;
}

void
ec_http_resp_print(const struct ec_http_resp *rs)
{
	fwrite(rs->body, 1, rs->len, stdout);
	if (rs->len == 0 || rs->body[rs->len - 1] != '\n')
		fputc('\n', stdout);
}
