/*
 * eid_card_bind.c - `eid-card bind` and `eid-card login`: a citizen's own card raises
 * their account to level 2, or approves a chip-card sign-in in their browser.
 *
 *   1. POST URL/v1/card/challenge {"code"} -> an 8-byte challenge for that one-time code
 *      (the code is the one the account page or the sign-in page shows);
 *   2. read the card (the `read` code path) with Active Authentication over it, and Chip
 *      Authentication unless --no-chip-auth; a card whose Chip Authentication fails here
 *      is not submitted (a possible clone);
 *   3. POST URL/v1/card/bind or URL/v1/card/login {"code", "sod", "data_groups",
 *      "active_authentication"};
 *   4. say what happened. Exit 0 done, 9 the code is unknown, expired, already used or of
 *      the other kind, 8 the server refused the card (not genuine, not authenticated,
 *      expired, another citizen's, not bound), 7 server unreachable or refusing otherwise;
 *      the card exits (2-6) as for `read`.
 * The citizen needs no client credentials: the code is the authorisation, valid once for
 * 5 minutes. The request and the answer carry personal data: wiped after use; nothing
 * is logged.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx_util.h"
#include "eid_err.h"
#include "card_read.h"
#include "eid_card.h"
#include "eid_card_http.h"

#define CODE_CHARS        8

struct code_ctx {
	const char *what;               /* "bind" / "login" */
	struct ec_server srv;
	int as_json;
};

/* The code as the server wants it: 8 letters/digits, separators ' ' and '-' dropped. */
static int
normalize_code(const char *in, char out[CODE_CHARS + 1])
{
	size_t i, n = 0;

	if (strlen(in) > 32)
		return -1;
	for (i = 0; in[i] != '\0'; i++) {
		char c = in[i];

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) || n >= CODE_CHARS)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == CODE_CHARS ? 0 : -1;
}

/* The server's answer to a refused request: which exit, and a message for the citizen. */
static int
say_refused(void *ctx, const char *step, const struct ec_http_resp *rs)
{
	const struct code_ctx *c = ctx;
	json_t *j = json_loadb(rs->body, rs->len, 0, NULL);
	const char *err = ec_json_str(j, "error", "");
	const char *desc = ec_json_str(j, "error_description", "");
	const json_t *reasons = json_object_get(j, "reasons");
	int ex = EXIT_SERVER;
	size_t i;

	if (strcmp(err, "invalid_code") == 0) {
		fprintf(stderr, "The server refused the code: %s\n", desc);
		ex = EXIT_CODE;
	} else if (rs->status == 403 || rs->status == 409) {
		fprintf(stderr, "The server refused the card (%s): %s\n", err, desc);
		if (json_array_size(reasons) > 0) {
			fprintf(stderr, "reasons:");
			for (i = 0; i < json_array_size(reasons); i++)
				fprintf(stderr, " %s", json_string_value(json_array_get(reasons, i)) ?
				    json_string_value(json_array_get(reasons, i)) : "?");
			fprintf(stderr, "\n");
		}
		ex = EXIT_INVALID;
	} else {
		fprintf(stderr, "The server refused %s (HTTP %ld%s%s%s%s).%s\n", step, rs->status,
		    err[0] ? ", " : "", err, desc[0] ? ": " : "", desc,
		    rs->status >= 500 ? " Try again later." : "");
	}
	if (c->as_json && rs->len > 0)
		ec_http_resp_print(rs);
	json_decref(j);
	return ex;
}

static const char *const json_headers[] = { "Content-Type: application/json", NULL };

static int
get_challenge(struct code_ctx *c, const char *code, uint8_t challenge[8], char **challenge_b64)
{
	char body[64];
	json_t *j = NULL;
	const char *purpose;
	int ex;

	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	if ((ex = ec_server_challenge(&c->srv, "/v1/card/challenge", json_headers, body,
	    "The server's answer to the challenge request is not the expected JSON. Is --server "
	    "the eID server?", challenge, challenge_b64, &j)) != EXIT_OK)
		return ex;
	purpose = ec_json_str(j, "purpose", c->what);
	if (strcmp(purpose, c->what) != 0) {
		fprintf(stderr, "This is a %s code, not a %s code: run 'eid-card %s' with it.\n",
		    strcmp(purpose, "login") == 0 ? "sign-in" : "binding",
		    strcmp(c->what, "login") == 0 ? "sign-in" : "binding", purpose);
		free(*challenge_b64);
		*challenge_b64 = NULL;
		ex = EXIT_CODE;
	}
	json_decref(j);
	return ex;
}

static void
usage_line(FILE *f, const char *what)
{
	fprintf(f, "usage: eid-card %s --server URL --code CODE CARD [--timeout S] [--json]   "
	    "(eid-card --help)\n", what);
}

int
ec_cmd_card_code(const char *what, int argc, char **argv)
{
	static const struct option opts[] = {
		EC_CARD_OPTIONS,
		{ "server", required_argument, NULL, 's' },
		{ "code", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct code_ctx cc;
	struct ec_card_args args;
	struct card_read_result *res = NULL;
	struct ec_http_resp rs = { 0 };
	const char *server = NULL, *code_arg = NULL;
	char code[CODE_CHARS + 1] = "", path[32];
	char *chosen = NULL, *challenge_b64 = NULL, *files = NULL, *body = NULL;
	uint8_t challenge[8];
	json_t *answer = NULL;
	int c, ex = EXIT_OTHER;

	memset(&cc, 0, sizeof(cc));
	cc.what = what;
	ec_server_init(&cc.srv, say_refused, &cc);
	ec_card_args_init(&args);
	optind = 1;
	while ((c = ec_next_option(&args, argc, argv, opts)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'c': code_arg = optarg; break;
		case 'j': cc.as_json = 1; break;
		case 't':
			if (ec_server_set_timeout(&cc.srv, optarg) != EXIT_OK)
				goto usage_quiet;
			break;
		case 'h':
			usage_line(stdout, what);
			ex = EXIT_OK;
			goto out;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (server == NULL || code_arg == NULL) {
		fprintf(stderr, "eid-card %s: --server and --code are required\n", what);
		goto usage_quiet;
	}
	if (normalize_code(code_arg, code) != 0) {
		fprintf(stderr, "eid-card %s: --code takes the 8-character code shown on the %s page "
		    "(e.g. ABCD-EFGH)\n", what, strcmp(what, "bind") == 0 ? "account" : "sign-in");
		goto usage_quiet;
	}
	if (ec_server_set_url(&cc.srv, what, server) != EXIT_OK ||
	    ec_card_args_finish(&args) != EXIT_OK)
		goto usage_quiet;
	if ((ex = ec_server_start(&cc.srv, what)) != EXIT_OK)
		goto out;

	/* the server first: a bad code costs no card session */
	if ((ex = get_challenge(&cc, code, challenge, &challenge_b64)) != EXIT_OK)
		goto out;
	if ((ex = ec_card_read(&args, challenge, &res, &chosen)) != EXIT_OK)
		goto out;
	ex = EXIT_UNSUPPORTED;
	if (res->file[CARD_FILE_SOD] == NULL) {
		fprintf(stderr, "The card has no readable EF.SOD, so it cannot be verified.\n");
		goto out;
	}
	if (res->aa_signature == NULL) {
		fprintf(stderr, "The card did not perform Active Authentication, which level 2 "
		    "requires. Use a chip ID card with an active-authentication key (DG15).\n");
		goto out;
	}
	if (res->chip_auth == CARD_CHECK_FAIL) {
		fprintf(stderr, "Chip Authentication failed on this reader: the chip does not hold "
		    "the DG14 key. The card was not submitted (a possible clone).\n");
		ex = EXIT_INVALID;
		goto out;
	}
	ex = EXIT_OTHER;
	if ((files = ec_request_body(res, challenge_b64)) == NULL || files[0] != '{' ||
	    (body = malloc(strlen(files) + sizeof("{\"code\":\"\",") + CODE_CHARS)) == NULL) {
		fprintf(stderr, "eid-card: out of memory\n");
		goto out;
	}
	/* the code is 8 letters and digits: no escaping needed */
	sprintf(body, "{\"code\":\"%s\",%s", code, files + 1);
	snprintf(path, sizeof(path), "/v1/card/%s", what);
	if ((ex = ec_server_post(&cc.srv, path, strcmp(what, "bind") == 0 ? "the binding" :
	    "the sign-in", json_headers, body, strlen(body), 200, &rs)) != EXIT_OK)
		goto out;
	if (cc.as_json) {
		ec_http_resp_print(&rs);
	} else {
		answer = json_loadb(rs.body, rs.len, 0, NULL);
		if (strcmp(what, "bind") == 0)
			printf("The card is bound to your account. Your account is now at level 2.\n");
		else
			printf("Sign-in approved. Go back to your browser: it continues by itself "
			    "(or press Continue).\n");
		printf("verification id: %s\n", ec_json_str(answer, "verification_id", "-"));
	}
	ex = EXIT_OK;
	goto out;
usage:
	usage_line(stderr, what);
usage_quiet:
	ex = EXIT_USAGE;
out:
	fflush(stdout);
	json_decref(answer);
	ec_http_resp_free(&rs);
	ec_free_secret(&files);
	ec_free_secret(&body);
	free(challenge_b64);
	ec_card_args_wipe(&args);
	card_read_result_free(&res);
	free(chosen);
	cx_wipe(challenge, sizeof(challenge));
	cx_wipe(code, sizeof(code));
	ec_server_end(&cc.srv);
	return ex;
}
