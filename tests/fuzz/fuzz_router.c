/*
 * fuzz_router.c - route lookup and dispatch of requests that need no store: input is
 * "METHOD PATH\n" then "key=value" lines that become query parameters and headers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srv_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static time_t
fixed_now(void)
{
	return 1700000000;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct srv_config cfg = { .issuer = "https://id.example.vn" };
	struct srv_app app = { .cfg = &cfg, .now = fixed_now };
	struct srv_req req;
	struct srv_resp resp;
	char *text, *line, *save = NULL, allow[64];
	unsigned status;
	size_t route;
	int first = 1;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	srv_req_init(&req);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (first) {
			char *sp = strchr(line, ' ');

			first = 0;
			req.method = sp != NULL && strncmp(line, "POST", 4) == 0 ? SRV_POST :
			    sp != NULL && strncmp(line, "HEAD", 4) == 0 ? SRV_HEAD : SRV_GET;
			req.path = strdup(sp != NULL ? sp + 1 : line);
			continue;
		}
		{
			char *eq = strchr(line, '=');

			if (eq != NULL && (srv_kvlist_add(&req.query, line, (size_t)(eq - line), eq + 1, strlen(eq + 1)) != 0 ||
			    srv_kvlist_add(&req.headers, line, (size_t)(eq - line), eq + 1, strlen(eq + 1)) != 0))
				break;
		}
	}
	if (req.path != NULL) {
		route = srv_route_find(req.method, req.path, &status, allow, sizeof(allow));
		/* only routes that need no Redis, store or keys run their handler here */
		if (route == 0 || strcmp(srv_routes[route].name, "healthz") == 0 ||
		    strcmp(srv_routes[route].name, "home") == 0) {
			srv_resp_init(&resp);
			srv_dispatch(&app, route, status, allow, &req, &resp);
			if (resp.status < 200 || resp.status > 599)
				abort();
			srv_resp_clear(&resp);
		}
		(void)srv_req_param(&req, "state", NULL);
		(void)srv_req_header(&req, "cookie");
	}
	srv_req_clear(&req);
	free(text);
	return 0;
}
