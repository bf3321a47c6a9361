/*
 * fuzz_authorize.c - the authorization request parser and decision (srv_authorize.c):
 * input is "key=value" lines (arbitrary bytes) that become the request parameters;
 * the request is parsed against a fixed client, decided against a fixed session, and
 * answered both ways (query and form_post).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srv_authorize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct srv_client client;
	struct srv_authz_session s = { 1, 1700000000 - 50, 1, "openid profile" };
	struct srv_authz_request a;
	struct srv_authz_error e;
	struct srv_kvlist l;
	struct srv_resp resp;
	const uint8_t *p = data, *end = data + size;

	if (client.metadata == NULL) {
		client.client_id = "c1";
		client.metadata = json_pack("{s:[s],s:[s],s:s}", "redirect_uris",
		    "https://rp.example/cb", "grant_types", "authorization_code", "scope",
		    "openid profile citizen_id");
	}
	memset(&l, 0, sizeof(l));
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p)), *eq;
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		eq = memchr(p, '=', n);
		if (eq != NULL && memchr(p, '\0', n) == NULL &&
		    srv_kvlist_add(&l, (const char *)p, (size_t)(eq - p), (const char *)eq + 1,
		    n - (size_t)(eq - p) - 1) != 0)
			break;
		p += n + 1;
	}
	memset(&e, 0, sizeof(e));
	if (srv_authz_parse(&l, &client, 1700000000, &a, &e) == 0) {
		(void)srv_authz_decide(&a, &s, 1700000000, &e);
		srv_resp_init(&resp);
		if (srv_authz_respond(&resp, &a, "https://id.example.vn", "code", NULL, NULL) != 0)
			abort();    /* only memory exhaustion could get here */
		srv_resp_clear(&resp);
		a.form_post = !a.form_post;
		srv_resp_init(&resp);
		if (srv_authz_respond(&resp, &a, "https://id.example.vn", NULL, "x", "y") != 0)
			abort();    /* only memory exhaustion could get here */
		srv_resp_clear(&resp);
	} else if (e.redirect && a.redirect_uri != NULL) {
		srv_resp_init(&resp);
		if (srv_authz_respond(&resp, &a, "https://id.example.vn", NULL, e.error, e.description) != 0)
			abort();    /* only memory exhaustion could get here */
		srv_resp_clear(&resp);
	}
	srv_authz_request_clear(&a);
	srv_kvlist_clear(&l);
	return 0;
}
