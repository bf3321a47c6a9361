/* test_http_headers.c - srv_http_security_headers (server/srv_http.c): which headers each
 * kind of answer carries, without a socket. */
#include <string.h>

#include "../t.h"
#include "srv_http.h"
#include "srv_req.h"

/* The value of name in the n headers, "" when it is there twice, NULL when absent. */
static const char *
header(const struct srv_http_header *h, size_t n, const char *name)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(h[i].name, name) == 0)
			v = v == NULL ? h[i].value : "";
	return v;
}

T_CASE(api_answers)
{
	struct srv_http_header h[SRV_HTTP_SECURITY_MAX];
	char scratch[SRV_HTTP_SECURITY_SCRATCH];
	struct srv_resp r;
	size_t n;

	srv_resp_init(&r);
	n = srv_http_security_headers(&r, h, scratch);
	T_EQ_INT(n, 1);
	T_EQ_STR(header(h, n, "X-Content-Type-Options"), "nosniff");
	r.no_store = 1;
	n = srv_http_security_headers(&r, h, scratch);
	T_EQ_INT(n, 3);
	T_EQ_STR(header(h, n, "Cache-Control"), "no-store");
	T_EQ_STR(header(h, n, "Pragma"), "no-cache");
	r.no_store = 0;
	r.cache_max_age = 300;
	n = srv_http_security_headers(&r, h, scratch);
	T_EQ_INT(n, 2);
	T_EQ_STR(header(h, n, "Cache-Control"), "public, max-age=300");
	srv_resp_clear(&r);
}

T_CASE(pages)
{
	struct srv_http_header h[SRV_HTTP_SECURITY_MAX];
	char scratch[SRV_HTTP_SECURITY_SCRATCH], origin[300];
	struct srv_resp r;
	size_t n;

	srv_resp_init(&r);
	r.html = 1;
	n = srv_http_security_headers(&r, h, scratch);
	T_EQ_INT(n, 5);
	T_ASSERT(strstr(header(h, n, "Content-Security-Policy"), "form-action 'self';") != NULL);
	T_EQ_STR(header(h, n, "X-Frame-Options"), "DENY");
	T_EQ_STR(header(h, n, "Referrer-Policy"), "no-referrer");
	T_EQ_STR(header(h, n, "Cache-Control"), "no-cache");
	/* a form_post answer: its origin, and no-store */
	r.no_store = 1;
	r.form_action = strdup("https://rp.example");
	n = srv_http_security_headers(&r, h, scratch);
	T_EQ_INT(n, 6);
	T_ASSERT(strstr(header(h, n, "Content-Security-Policy"),
	    "form-action 'self' https://rp.example; frame-ancestors 'none'") != NULL);
	T_EQ_STR(header(h, n, "Cache-Control"), "no-store");
	/* an origin that could break out of the policy, or a very long one: the fixed policy */
	free(r.form_action);
	r.form_action = strdup("https://rp.example; script-src *");
	n = srv_http_security_headers(&r, h, scratch);
	T_ASSERT(strstr(header(h, n, "Content-Security-Policy"), "script-src *") == NULL);
	T_ASSERT(strstr(header(h, n, "Content-Security-Policy"), "form-action 'self';") != NULL);
	free(r.form_action);
	memset(origin, 'a', sizeof(origin) - 1);
	origin[sizeof(origin) - 1] = '\0';
	memcpy(origin, "https://", 8);
	r.form_action = strdup(origin);
	n = srv_http_security_headers(&r, h, scratch);
	T_ASSERT(strstr(header(h, n, "Content-Security-Policy"), "form-action 'self';") != NULL);
	origin[255] = '\0';             /* 255 bytes: allowed, and it fits the scratch */
	free(r.form_action);
	r.form_action = strdup(origin);
	n = srv_http_security_headers(&r, h, scratch);
	T_ASSERT(strstr(header(h, n, "Content-Security-Policy"), origin) != NULL);
	T_ASSERT(strstr(header(h, n, "Content-Security-Policy"), "base-uri 'none'") != NULL);
	srv_resp_clear(&r);
}

int
main(void)
{
	T_RUN(api_answers);
	T_RUN(pages);
	return t_done();
}
