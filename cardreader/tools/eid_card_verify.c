/*
 * eid_card_verify.c - `eid-card verify`: have the eID server verify a card.
 *
 *   1. POST URL/token  grant_type=client_credentials, scope=document_verify, the client
 *      authenticated with HTTP Basic (RFC 6749 §2.3.1: id and secret form-urlencoded);
 *   2. POST URL/v1/documents/challenge (Bearer) -> 8 bytes, single use;
 *   3. read the card (the `read` code path) with Active Authentication over that
 *      challenge, and Chip Authentication unless --no-chip-auth;
 *   4. POST URL/v1/documents/verify {"sod", "data_groups", "active_authentication"};
 *   5. print the verdict; exit 0 when it is "valid" and Chip Authentication did not fail
 *      on this reader, 8 otherwise; 7 when the server cannot be reached or refuses.
 * The server is asked before the card is read, so an unreachable server costs no card
 * session. The verify API has no member for the reader's Chip Authentication result:
 * it is printed (stderr with --json) and counts in the exit code.
 *
 * Also what the server commands share about the card APIs' JSON: the answer as an object
 * (ec_answer_json), the challenge step (ec_server_challenge) and the request body
 * (ec_request_body).
 *
 * Secrets: the client secret comes from EID_CLIENT_SECRET (or --client-secret, whose
 * argv copy is overwritten at once); it, the Basic header and the access token are
 * wiped after use and never printed. The request body and the answer carry personal
 * data: wiped after use; nothing is logged.
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

#define SECRET_MAX        512

struct verify_ctx {
	struct ec_server srv;
	char *auth;                     /* "Authorization: ..." (owned, wiped) */
};

/* RFC 6749 appendix B: application/x-www-form-urlencoded of one value. */
static char *
form_encode(const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(in), i, o = 0;
	char *out = malloc(3 * n + 1);

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '*') {
			out[o++] = (char)c;
		} else if (c == ' ') {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* "Authorization: Basic base64(enc(id) ':' enc(secret))" */
static char *
basic_header(const char *id, const char *secret)
{
	static const char pfx[] = "Authorization: Basic ";
	char *eid = form_encode(id), *esec = form_encode(secret), *raw = NULL, *hdr = NULL;
	size_t rawlen, cap;

	if (eid == NULL || esec == NULL)
		goto out;
	rawlen = strlen(eid) + 1 + strlen(esec);
	cap = sizeof(pfx) + (rawlen + 2) / 3 * 4 + 1;
	if ((raw = malloc(rawlen + 1)) == NULL || (hdr = malloc(cap)) == NULL)
		goto out;
	snprintf(raw, rawlen + 1, "%s:%s", eid, esec);
	memcpy(hdr, pfx, sizeof(pfx) - 1);
	if (cx_b64_encode(hdr + sizeof(pfx) - 1, cap - (sizeof(pfx) - 1), raw, rawlen) != 0) {
		free(hdr);
		hdr = NULL;
	}
out:
	ec_free_secret(&eid);
	ec_free_secret(&esec);
	ec_free_secret(&raw);
	return hdr;
}

/* The OAuth error of an error answer, for the operator ("invalid_client: ..."). */
static int
say_refused(void *ctx, const char *what, const struct ec_http_resp *rs)
{
	json_t *j = json_loadb(rs->body, rs->len, 0, NULL);
	const char *err = j != NULL ? json_string_value(json_object_get(j, "error")) : NULL;
	const char *desc = j != NULL ? json_string_value(json_object_get(j, "error_description")) : NULL;

	fprintf(stderr, "The server refused %s (HTTP %ld%s%s%s%s).", what, rs->status,
	    err != NULL ? ", " : "", err != NULL ? err : "", desc != NULL ? ": " : "",
	    desc != NULL ? desc : "");
	if (rs->status == 400 || rs->status == 401)
		fprintf(stderr, " Check --client-id and the client secret.");
	else if (rs->status == 403)
		fprintf(stderr, " The client needs the document_verify scope.");
	else if (rs->status >= 500)
		fprintf(stderr, " Try again later.");
	fprintf(stderr, "\n");
	json_decref(j);
	(void)ctx;
	return EXIT_SERVER;
}

json_t *
ec_answer_json(const struct ec_http_resp *rs, const char *what)
{
	json_t *j = json_loadb(rs->body, rs->len, JSON_REJECT_DUPLICATES, NULL);

	if (j == NULL || !json_is_object(j)) {
		fprintf(stderr, "The server's answer to %s is not the expected JSON. Is --server "
		    "the eID server?\n", what);
		json_decref(j);
		return NULL;
	}
	return j;
}

const char *
ec_json_str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

int
ec_server_challenge(struct ec_server *s, const char *path, const char *const *headers,
    const char *body, const char *bad_challenge, uint8_t challenge[8], char **b64,
    json_t **answer)
{
	struct ec_http_resp rs = { 0 };
	json_t *j = NULL;
	const char *ch;
	size_t n = 0;
	int ex;

	*b64 = NULL;
	if (answer != NULL)
		*answer = NULL;
	if ((ex = ec_server_post(s, path, "the challenge request", headers, body,
	    body != NULL ? strlen(body) : 0, 201, &rs)) != EXIT_OK)
		return ex;
	ex = EXIT_SERVER;
	if ((j = ec_answer_json(&rs, "the challenge request")) == NULL)
		goto out;
	if ((ch = json_string_value(json_object_get(j, "challenge"))) == NULL ||
	    cx_b64_decode(challenge, 8, &n, ch, strlen(ch)) != 0 || n != 8) {
		fprintf(stderr, "%s\n", bad_challenge);
		goto out;
	}
	ex = EXIT_OTHER;
	if ((*b64 = strdup(ch)) == NULL)
		goto out;
	ex = EXIT_OK;
	if (answer != NULL) {
		*answer = j;
		j = NULL;
	}
out:
	json_decref(j);
	ec_http_resp_free(&rs);
	return ex;
}

static int
get_token(struct verify_ctx *v, const char *id, const char *secret, char **token)
{
	static const char form[] = "grant_type=client_credentials&scope=document_verify";
	const char *hdrs[3] = { NULL, "Content-Type: application/x-www-form-urlencoded", NULL };
	struct ec_http_resp rs = { 0 };
	json_t *j = NULL;
	const char *tok;
	char *basic = NULL;
	int ex = EXIT_OTHER;

	*token = NULL;
	if ((basic = basic_header(id, secret)) == NULL)
		goto out;
	hdrs[0] = basic;
	if ((ex = ec_server_post(&v->srv, "/token", "the client credentials", hdrs, form,
	    sizeof(form) - 1, 200, &rs)) != EXIT_OK)
		goto out;
	ex = EXIT_SERVER;
	if ((j = ec_answer_json(&rs, "the token request")) == NULL)
		goto out;
	if ((tok = json_string_value(json_object_get(j, "access_token"))) == NULL ||
	    tok[0] == '\0' || strlen(tok) > 8192) {
		fprintf(stderr, "The server's token answer has no access_token.\n");
		goto out;
	}
	ex = EXIT_OTHER;
	if ((*token = malloc(strlen(tok) + sizeof("Authorization: Bearer "))) == NULL)
		goto out;
	sprintf(*token, "Authorization: Bearer %s", tok);
	ex = EXIT_OK;
out:
	if (j != NULL) {
		json_object_clear(j);   /* the token string inside */
		json_decref(j);
	}
	ec_http_resp_free(&rs);
	ec_free_secret(&basic);
	return ex;
}

static int
get_challenge(struct verify_ctx *v, uint8_t challenge[8], char **challenge_b64)
{
	const char *hdrs[2] = { v->auth, NULL };

	return ec_server_challenge(&v->srv, "/v1/documents/challenge", hdrs, NULL,
	    "The server's challenge is not 8 bytes of base64.", challenge, challenge_b64, NULL);
}

static int
set_b64(json_t *obj, const char *key, const uint8_t *p, size_t n)
{
	size_t cap = (n + 2) / 3 * 4 + 1;
	char *s = malloc(cap);
	int r = -1;

	if (s != NULL && cx_b64_encode(s, cap, p, n) == 0)
		r = json_object_set_new(obj, key, json_string(s));
	if (s != NULL) {
		cx_wipe(s, cap);
		free(s);
	}
	return r;
}

/* The verify request body (newly allocated, caller wipes and frees), or NULL. */
char *
ec_request_body(const struct card_read_result *res, const char *challenge_b64)
{
	static const struct {
		enum card_file f;
		const char *dg;
	} dgs[] = {
		{ CARD_FILE_DG1, "1" }, { CARD_FILE_DG2, "2" }, { CARD_FILE_DG13, "13" },
		{ CARD_FILE_DG14, "14" }, { CARD_FILE_DG15, "15" },
	};
	json_t *root = json_object(), *groups = json_object(), *aa = NULL;
	char *out = NULL;
	size_t i;

	if (root == NULL || groups == NULL ||
	    set_b64(root, "sod", res->file[CARD_FILE_SOD], res->file_len[CARD_FILE_SOD]) != 0)
		goto out;
	for (i = 0; i < sizeof(dgs) / sizeof(dgs[0]); i++)
		if (res->file[dgs[i].f] != NULL &&
		    set_b64(groups, dgs[i].dg, res->file[dgs[i].f], res->file_len[dgs[i].f]) != 0)
			goto out;
	if (json_object_set(root, "data_groups", groups) != 0)
		goto out;
	if (res->aa_signature != NULL) {
		if ((aa = json_object()) == NULL ||
		    json_object_set_new(aa, "challenge", json_string(challenge_b64)) != 0 ||
		    set_b64(aa, "signature", res->aa_signature, res->aa_signature_len) != 0 ||
		    json_object_set(root, "active_authentication", aa) != 0)
			goto out;
	}
	out = json_dumps(root, JSON_COMPACT);
out:
	json_decref(aa);
	json_decref(groups);
	json_decref(root);
	return out;
}

static void
print_verdict(const json_t *v, const struct card_read_result *res)
{
	static const char *const checks[] = { "sod_signature", "document_signer",
	    "data_group_hashes", "active_authentication", "chip_authentication" };
	const json_t *c = json_object_get(v, "checks"), *reasons = json_object_get(v, "reasons");
	const json_t *doc = json_object_get(v, "document");
	size_t i;

	printf("verdict: %s\n",
	    strcmp(ec_json_str(v, "verdict", ""), "valid") == 0 ? "VALID" : "INVALID");
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		printf("  %-22s %s\n", checks[i], ec_json_str(c, checks[i], "?"));
	printf("reader: ");
	ec_print_chip_auth(res);
	if (json_array_size(reasons) > 0) {
		printf("reasons:");
		for (i = 0; i < json_array_size(reasons); i++)
			printf(" %s", json_string_value(json_array_get(reasons, i)) ?
			    json_string_value(json_array_get(reasons, i)) : "?");
		printf("\n");
	}
	if (json_object_size(doc) > 0) {
		printf("name: %s\n", ec_json_str(doc, "name", ""));
		if (json_string_value(json_object_get(doc, "full_name")) != NULL)
			printf("full name: %s\n", ec_json_str(doc, "full_name", ""));
		printf("citizen id: %s\ndocument number: %s\nbirth date: %s\nsex: %s\n"
		    "expiry date: %s\n", ec_json_str(doc, "citizen_id", "-"),
		    ec_json_str(doc, "document_number", "-"), ec_json_str(doc, "birth_date", "-"),
		    ec_json_str(doc, "sex", "-"), ec_json_str(doc, "expiry_date", "-"));
	}
	printf("verification id: %s\n", ec_json_str(v, "verification_id", "-"));
}

int
ec_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		EC_CARD_OPTIONS,
		{ "server", required_argument, NULL, 's' },
		{ "client-id", required_argument, NULL, 'i' },
		{ "client-secret", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_ctx v;
	struct ec_card_args args;
	struct card_read_result *res = NULL;
	struct ec_http_resp rs = { 0 };
	const char *server = NULL, *client_id = NULL, *env;
	char *secret = NULL, *chosen = NULL, *challenge_b64 = NULL, *body = NULL;
	const char *hdrs[3] = { NULL, "Content-Type: application/json", NULL };
	uint8_t challenge[8];
	json_t *verdict = NULL;
	int as_json = 0, c, ex = EXIT_OTHER, valid;

	memset(&v, 0, sizeof(v));
	ec_server_init(&v.srv, say_refused, NULL);
	ec_card_args_init(&args);
	optind = 1;
	while ((c = ec_next_option(&args, argc, argv, opts)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'i': client_id = optarg; break;
		case 'j': as_json = 1; break;
		case 'S':
			ec_free_secret(&secret);
			if ((secret = strdup(optarg)) == NULL)
				goto out;
			/* shorten the window in which /proc/PID/cmdline shows it */
			cx_wipe(optarg, strlen(optarg));
			break;
		case 't':
			if (ec_server_set_timeout(&v.srv, optarg) != EXIT_OK)
				goto usage_quiet;
			break;
		case 'h':
			printf("usage: eid-card verify --server URL --client-id ID [--client-secret S]\n"
			    "       CARD [--timeout SECONDS] [--json]   (see eid-card --help)\n");
			ex = EXIT_OK;
			goto out;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (server == NULL || client_id == NULL) {
		fprintf(stderr, "eid-card verify: --server and --client-id are required\n");
		goto usage_quiet;
	}
	if (secret == NULL && (env = getenv("EID_CLIENT_SECRET")) != NULL && env[0] != '\0' &&
	    (secret = strdup(env)) == NULL)
		goto out;
	if (secret == NULL || secret[0] == '\0' || strlen(secret) > SECRET_MAX) {
		fprintf(stderr, "eid-card verify: set the client secret in the environment "
		    "variable EID_CLIENT_SECRET (or give --client-secret)\n");
		goto usage_quiet;
	}
	if (ec_server_set_url(&v.srv, "verify", server) != EXIT_OK ||
	    ec_card_args_finish(&args) != EXIT_OK)
		goto usage_quiet;
	if ((ex = ec_server_start(&v.srv, "verify")) != EXIT_OK)
		goto out;

	if ((ex = get_token(&v, client_id, secret, &v.auth)) != EXIT_OK)
		goto out;
	ec_free_secret(&secret);
	if ((ex = get_challenge(&v, challenge, &challenge_b64)) != EXIT_OK)
		goto out;
	if ((ex = ec_card_read(&args, challenge, &res, &chosen)) != EXIT_OK)
		goto out;
	ex = EXIT_UNSUPPORTED;
	if (res->file[CARD_FILE_SOD] == NULL) {
		fprintf(stderr, "The card has no readable EF.SOD, so its data cannot be verified.\n");
		goto out;
	}
	ex = EXIT_OTHER;
	if ((body = ec_request_body(res, challenge_b64)) == NULL) {
		fprintf(stderr, "eid-card: out of memory\n");
		goto out;
	}
	hdrs[0] = v.auth;
	if ((ex = ec_server_post(&v.srv, "/v1/documents/verify", "the verification request", hdrs,
	    body, strlen(body), 200, &rs)) != EXIT_OK)
		goto out;
	ex = EXIT_SERVER;
	if ((verdict = ec_answer_json(&rs, "the verification request")) == NULL)
		goto out;
	valid = strcmp(ec_json_str(verdict, "verdict", ""), "valid") == 0;
	if (as_json) {
		ec_http_resp_print(&rs);
		fprintf(stderr, "chip_authentication (reader): %s%s%s\n",
		    card_check_result_str(res->chip_auth), res->chip_auth_note != NULL ? " " : "",
		    res->chip_auth_note != NULL ? res->chip_auth_note : "");
	} else {
		print_verdict(verdict, res);
	}
	if (res->chip_auth == CARD_CHECK_FAIL)
		fprintf(stderr, "Chip Authentication failed on this reader: the chip does not "
		    "hold the DG14 key. Treat the card as a possible clone.\n");
	ex = valid && res->chip_auth != CARD_CHECK_FAIL ? EXIT_OK : EXIT_INVALID;
	goto out;
usage:
	fprintf(stderr, "usage: eid-card verify --server URL --client-id ID CARD [--timeout S] "
	    "[--json]   (eid-card --help)\n");
usage_quiet:
	ex = EXIT_USAGE;
out:
	fflush(stdout);
	if (verdict != NULL) {
		json_object_clear(verdict);
		json_decref(verdict);
	}
	ec_http_resp_free(&rs);
	ec_free_secret(&body);
	ec_free_secret(&v.auth);
	ec_free_secret(&secret);
	free(challenge_b64);
	ec_card_args_wipe(&args);
	card_read_result_free(&res);
	free(chosen);
	cx_wipe(challenge, sizeof(challenge));
	ec_server_end(&v.srv);
	return ex;
}
