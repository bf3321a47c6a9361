/*
 * eidctl.c - the operator's tool: relying-party clients, citizens, signing keys, the
 * chip-verification trust store, audit.
 *
 * Reads the same configuration as eidd (--config FILE, $EID_CONFIG, EID_* variables) and
 * works on the same data directory. Changes take effect in a running eidd without a
 * restart: eidd reads clients and citizens from the store per request and reloads keys
 * when the store's keys_generation setting moves.
 *
 * Output: human-readable text, or with --json one JSON object per command using the
 * standard names (RFC 7591 client metadata: client_id, client_secret, redirect_uris,
 * grant_types, scope, token_endpoint_auth_method, ...). Exit status: 0 done, 1 failed,
 * 2 bad usage or invalid input.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cx_util.h"
#include "srv_accounts.h"
#include "srv_config.h"
#include "srv_keys.h"
#include "srv_log.h"
#include "srv_secret.h"
#include "srv_store.h"
#include "srv_trust.h"
#include "srv_validate.h"
#include "tok_keyset.h"

extern char **environ;

#define EXIT_USAGE 2

struct ctl {
	struct srv_config cfg;
	struct srv_store *store;
	struct srv_secret *secret;
	int json;
};

static const char usage_text[] =
    "usage: eidctl [--config FILE] [--json] COMMAND ...\n"
    "\n"
    "Relying-party clients:\n"
    "  client add --name NAME --redirect-uri URI... [--grant G]... [--scope \"S ...\"]\n"
    "             [--auth-method M] [--subject-type pairwise|public] [--id-token-alg ALG]\n"
    "             [--jwks-uri URL | --jwks FILE] [--post-logout-redirect-uri URI]...\n"
    "             [--backchannel-logout-uri URL]\n"
    "  client list | client show CLIENT_ID | client remove CLIENT_ID\n"
    "Citizens:\n"
    "  citizen add --id-number NNNNNNNNNNNN --name NAME --birth-date YYYY-MM-DD --password PW\n"
    "              [CONTACT...]\n"
    "  citizen set ID CONTACT...\n"
    "  citizen list | citizen show ID | citizen disable ID | citizen enable ID\n"
    "  (ID: the 12-digit number or the account id)\n"
    "  CONTACT: the address, phone and email claims (\"\" removes a value)\n"
    "    --address-json JSON  the whole address: {\"street_address\", \"locality\", \"region\",\n"
    "                         \"postal_code\", \"country\", \"formatted\"}, each a string\n"
    "    --street S  --locality L  --region R  --postal-code P  --country C\n"
    "    --address-formatted F   one address member each (after --address-json)\n"
    "    --phone +84912345678 [--phone-verified[=no]]   (E.164)\n"
    "    --email NAME@DOMAIN [--email-verified[=no]]\n"
    "    a new phone number or email is unverified unless --phone/email-verified is given\n"
    "Signing keys:\n"
    "  keys list | keys rotate [--alg RS256|PS256|ES256|EdDSA] | keys retire KID\n"
    "Chip-verification trust store (CSCA certificates, ICAO master lists, CRLs):\n"
    "  trust import FILE... | trust list\n"
    "Audit log:\n"
    "  audit list [--after ID] [--limit N]\n"
    "\n"
    "  --config FILE   the eidd configuration (default $EID_CONFIG; EID_* variables apply)\n"
    "  --json          machine-readable output\n"
    "  --help, --version\n";

static int fail_usage(const char *fmt, ...) EID_PRINTF(1, 2);

static int
fail_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "eidctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(eidctl --help lists the commands)\n");
	return EXIT_USAGE;
}

static int
invalid(const char *what, const char *why)
{
	fprintf(stderr, "eidctl: %s %s\n", what, why);
	return EXIT_USAGE;
}

static void
print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL) {
		puts(s);
		cx_free_str(s);
	}
}

static void
audit(struct ctl *c, const char *action, const char *subject, const char *details)
{
	struct srv_audit_event e;
	int r;

	memset(&e, 0, sizeof(e));
	e.at = (int64_t)time(NULL);
	e.actor = "eidctl";
	e.action = (char *)action;
	e.subject = (char *)subject;
	e.outcome = "success";
	e.details = (char *)details;
	if ((r = srv_store_audit_append(c->store, &e)) != 0)
		fprintf(stderr, "eidctl: warning: could not write the audit log: %s\n", eid_strerror(r));
}

static int
bump(struct ctl *c, const char *what)
{
	int64_t v;

	return srv_store_setting_bump(c->store, what, &v);
}

/* ---- clients ---- */

static json_t *
client_json(const struct srv_client *cl)
{
	json_t *o = json_deep_copy(cl->metadata);

	if (o == NULL)
		o = json_object();
	json_object_set_new(o, "client_id", json_string(cl->client_id));
	json_object_set_new(o, "client_name", json_string(cl->name));
	json_object_set_new(o, "client_id_issued_at", json_integer(cl->created_at));
	json_object_set_new(o, "status", json_string(cl->disabled ? "disabled" : "active"));
	return o;
}

static void
client_print(const struct srv_client *cl)
{
	json_t *md = cl->metadata, *v;
	size_t i;

	printf("client_id:    %s\nname:         %s\nstatus:       %s\n", cl->client_id, cl->name,
	    cl->disabled ? "disabled" : "active");
	printf("auth method:  %s\n", json_string_value(json_object_get(md, "token_endpoint_auth_method")));
	printf("grants:      ");
	json_array_foreach(json_object_get(md, "grant_types"), i, v)
		printf(" %s", json_string_value(v));
	printf("\nscope:        %s\n", json_string_value(json_object_get(md, "scope")));
	json_array_foreach(json_object_get(md, "redirect_uris"), i, v)
		printf("redirect_uri: %s\n", json_string_value(v));
	printf("subject type: %s\n", json_string_value(json_object_get(md, "subject_type")));
}

static int
read_small_file(const char *path, char **out, size_t *len, size_t max)
{
	FILE *f = fopen(path, "r");
	char *b;
	size_t n;

	*out = NULL;
	if (f == NULL)
		return EID_ERR_IO;
	if ((b = malloc(max + 1)) == NULL) {
		fclose(f);
		return EID_ERR_NOMEM;
	}
	n = fread(b, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(b);
		return EID_ERR_TOO_LARGE;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

static int
cmd_client_add(struct ctl *c, int argc, char **argv)
{
	enum { O_NAME = 1, O_REDIRECT, O_GRANT, O_SCOPE, O_AUTH, O_SUBJ, O_ALG, O_JWKS_URI, O_JWKS,
	    O_POST_LOGOUT, O_BACKCHANNEL };
	static const struct option opts[] = {
		{ "name", required_argument, NULL, O_NAME },
		{ "redirect-uri", required_argument, NULL, O_REDIRECT },
		{ "grant", required_argument, NULL, O_GRANT },
		{ "scope", required_argument, NULL, O_SCOPE },
		{ "auth-method", required_argument, NULL, O_AUTH },
		{ "subject-type", required_argument, NULL, O_SUBJ },
		{ "id-token-alg", required_argument, NULL, O_ALG },
		{ "jwks-uri", required_argument, NULL, O_JWKS_URI },
		{ "jwks", required_argument, NULL, O_JWKS },
		{ "post-logout-redirect-uri", required_argument, NULL, O_POST_LOGOUT },
		{ "backchannel-logout-uri", required_argument, NULL, O_BACKCHANNEL },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *scope = "openid profile", *auth = "client_secret_basic";
	const char *subject_type = "pairwise", *alg = "RS256", *jwks_uri = NULL, *jwks_file = NULL;
	const char *backchannel = NULL, *why;
	json_t *redirects = json_array(), *grants = json_array(), *post_logout = json_array();
	json_t *md = NULL, *out = NULL, *jwks = NULL;
	struct srv_client cl;
	char id[24], secret[48], *jwks_text = NULL;
	size_t jwks_len = 0;
	enum tok_alg talg;
	int ch, r, rc = 1, has_cc = 0, has_code = 0;

	memset(&cl, 0, sizeof(cl));
	memset(secret, 0, sizeof(secret));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case O_NAME: name = optarg; break;
		case O_REDIRECT:
			if (!srv_valid_redirect_uri(optarg, &why)) {
				rc = invalid("--redirect-uri", why);
				goto out;
			}
			json_array_append_new(redirects, json_string(optarg));
			break;
		case O_GRANT:
			if (!srv_valid_grant(optarg, &why)) {
				rc = invalid("--grant", why);
				goto out;
			}
			json_array_append_new(grants, json_string(optarg));
			break;
		case O_SCOPE: scope = optarg; break;
		case O_AUTH: auth = optarg; break;
		case O_SUBJ: subject_type = optarg; break;
		case O_ALG: alg = optarg; break;
		case O_JWKS_URI: jwks_uri = optarg; break;
		case O_JWKS: jwks_file = optarg; break;
		case O_POST_LOGOUT:
			if (!srv_valid_redirect_uri(optarg, &why)) {
				rc = invalid("--post-logout-redirect-uri", why);
				goto out;
			}
			json_array_append_new(post_logout, json_string(optarg));
			break;
		case O_BACKCHANNEL: backchannel = optarg; break;
		default:
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (optind != argc) {
		rc = fail_usage("client add: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (name == NULL) {
		rc = fail_usage("client add needs --name%s", "");
		goto out;
	}
	if (!srv_valid_display_name(name, &why)) {
		rc = invalid("--name", why);
		goto out;
	}
	if (json_array_size(grants) == 0)
		json_array_append_new(grants, json_string("authorization_code"));
	{
		size_t i;
		json_t *g;

		json_array_foreach(grants, i, g) {
			if (strcmp(json_string_value(g), "client_credentials") == 0)
				has_cc = 1;
			if (strcmp(json_string_value(g), "authorization_code") == 0)
				has_code = 1;
		}
	}
	if (has_code && json_array_size(redirects) == 0) {
		rc = invalid("--redirect-uri", "is required for the authorization_code grant (give it once per URI)");
		goto out;
	}
	if (!srv_valid_scope(scope, &why)) {
		rc = invalid("--scope", why);
		goto out;
	}
	if (!srv_valid_auth_method(auth, &why)) {
		rc = invalid("--auth-method", why);
		goto out;
	}
	if (strcmp(auth, "none") == 0 && has_cc) {
		rc = invalid("--auth-method none", "cannot be used with the client_credentials grant (a public client cannot authenticate)");
		goto out;
	}
	if (strcmp(subject_type, "pairwise") != 0 && strcmp(subject_type, "public") != 0) {
		rc = invalid("--subject-type", "must be pairwise or public");
		goto out;
	}
	if (tok_alg_from_name(alg, &talg) != 0) {
		rc = invalid("--id-token-alg", "must be RS256, PS256, ES256 or EdDSA");
		goto out;
	}
	if (jwks_uri != NULL && !srv_valid_https_url(jwks_uri, &why)) {
		rc = invalid("--jwks-uri", why);
		goto out;
	}
	if (backchannel != NULL && !srv_valid_https_url(backchannel, &why)) {
		rc = invalid("--backchannel-logout-uri", why);
		goto out;
	}
	if (jwks_file != NULL) {
		struct tok_keyset *ks = NULL;

		if (read_small_file(jwks_file, &jwks_text, &jwks_len, 64 * 1024) != 0) {
			rc = invalid("--jwks", "names a file that cannot be read (or is over 64 KiB)");
			goto out;
		}
		if ((r = tok_keyset_from_jwks_json(jwks_text, jwks_len, &ks)) != 0 || tok_keyset_count(ks) == 0) {
			tok_keyset_free(&ks);
			rc = invalid("--jwks", "is not a JWKS with at least one usable public signing key (RS256, PS256, ES256, EdDSA; no private members)");
			goto out;
		}
		tok_keyset_free(&ks);
		jwks = json_loads(jwks_text, 0, NULL);
	}
	if (strcmp(auth, "private_key_jwt") == 0 && jwks == NULL && jwks_uri == NULL) {
		rc = invalid("--auth-method private_key_jwt", "needs --jwks FILE or --jwks-uri URL");
		goto out;
	}
	md = json_pack("{s:O,s:O,s:s,s:s,s:s,s:s,s:O}", "redirect_uris", redirects, "grant_types", grants,
	    "scope", scope, "token_endpoint_auth_method", auth, "subject_type", subject_type,
	    "id_token_signed_response_alg", alg, "post_logout_redirect_uris", post_logout);
	if (md == NULL)
		goto out;
	if (jwks != NULL)
		json_object_set(md, "jwks", jwks);
	if (jwks_uri != NULL)
		json_object_set_new(md, "jwks_uri", json_string(jwks_uri));
	if (backchannel != NULL)
		json_object_set_new(md, "backchannel_logout_uri", json_string(backchannel));
	srv_client_new_credentials(id, secret);
	cl.client_id = id;
	cl.name = (char *)name;
	cl.metadata = md;
	cl.created_at = (int64_t)time(NULL);
	if (strcmp(auth, "client_secret_basic") == 0 || strcmp(auth, "client_secret_post") == 0) {
		srv_client_secret_hash(c->secret, secret, cl.secret_hash);
		cl.has_secret = 1;
	}
	if ((r = srv_store_client_add(c->store, &cl)) != 0 || (r = bump(c, "clients_generation")) != 0) {
		fprintf(stderr, "eidctl: cannot add the client: %s\n", eid_strerror(r));
		goto out;
	}
	audit(c, "client.add", id, NULL);
	if (c->json) {
		out = client_json(&cl);
		if (cl.has_secret) {
			json_object_set_new(out, "client_secret", json_string(secret));
			json_object_set_new(out, "client_secret_expires_at", json_integer(0));
		}
		print_json(out);
	} else {
		client_print(&cl);
		if (cl.has_secret)
			printf("client_secret: %s\n(shown once: only a hash is stored)\n", secret);
	}
	rc = 0;
out:
	cx_wipe(secret, sizeof(secret));
	json_decref(out);
	json_decref(md);
	json_decref(jwks);
	json_decref(redirects);
	json_decref(grants);
	json_decref(post_logout);
	free(jwks_text);
	return rc;
}

static int
cmd_client(struct ctl *c, int argc, char **argv)
{
	struct srv_client **list = NULL, *cl = NULL;
	size_t n = 0, i;
	int r;

	if (argc < 2)
		return fail_usage("client needs a subcommand: add, list, show, remove%s", "");
	if (strcmp(argv[1], "add") == 0)
		return cmd_client_add(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0) {
		json_t *arr = json_array();

		if ((r = srv_store_client_list(c->store, &list, &n)) != 0) {
			fprintf(stderr, "eidctl: cannot list clients: %s\n", eid_strerror(r));
			json_decref(arr);
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (c->json)
				json_array_append_new(arr, client_json(list[i]));
			else
				printf("%-24s %-8s %s\n", list[i]->client_id,
				    list[i]->disabled ? "disabled" : "active", list[i]->name);
		}
		if (c->json) {
			json_t *o = json_pack("{s:o}", "clients", arr);

			print_json(o);
			json_decref(o);
		} else
			json_decref(arr);
		srv_client_list_free(list, n);
		return 0;
	}
	if (argc != 3)
		return fail_usage("client %s needs exactly one CLIENT_ID", argv[1]);
	if (strcmp(argv[1], "show") == 0) {
		if ((r = srv_store_client_get(c->store, argv[2], &cl)) != 0) {
			fprintf(stderr, "eidctl: client %s: %s\n", argv[2],
			    r == EID_ERR_NOT_FOUND ? "no such client" : eid_strerror(r));
			return 1;
		}
		if (c->json) {
			json_t *o = client_json(cl);

			print_json(o);
			json_decref(o);
		} else
			client_print(cl);
		srv_client_free(&cl);
		return 0;
	}
	if (strcmp(argv[1], "remove") == 0) {
		if ((r = srv_store_client_remove(c->store, argv[2])) != 0 ||
		    (r = bump(c, "clients_generation")) != 0) {
			fprintf(stderr, "eidctl: client %s: %s\n", argv[2],
			    r == EID_ERR_NOT_FOUND ? "no such client" : eid_strerror(r));
			return 1;
		}
		audit(c, "client.remove", argv[2], NULL);
		if (c->json)
			printf("{\"client_id\": \"%s\", \"removed\": true}\n", argv[2]);
		else
			printf("removed client %s\n", argv[2]);
		return 0;
	}
	return fail_usage("client: unknown subcommand '%s'", argv[1]);
}

/* ---- citizens ---- */

/* The contact claims under their OIDC names; absent values are left out. */
static int
contact_json(json_t *o, const struct srv_citizen *ct)
{
	json_t *a;

	if (ct->address != NULL && (a = json_loads(ct->address, 0, NULL)) != NULL &&
	    json_object_set_new(o, "address", a) != 0)
		return -1;
	if (ct->phone_number != NULL &&
	    (json_object_set_new(o, "phone_number", json_string(ct->phone_number)) != 0 ||
	    json_object_set_new(o, "phone_number_verified", json_boolean(ct->phone_number_verified)) != 0))
		return -1;
	if (ct->email != NULL &&
	    (json_object_set_new(o, "email", json_string(ct->email)) != 0 ||
	    json_object_set_new(o, "email_verified", json_boolean(ct->email_verified)) != 0))
		return -1;
	return 0;
}

static json_t *
citizen_json(const struct srv_citizen *ct)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:i,s:s,s:I}", "account_id", ct->account_id,
	    "citizen_id", ct->citizen_id, "name", ct->name, "birth_date", ct->birth_date,
	    "sex", ct->sex, "level", ct->level, "status", ct->disabled ? "disabled" : "active",
	    "created_at", (json_int_t)ct->created_at);

	if (o != NULL && contact_json(o, ct) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The contact options of `citizen add` and `citizen set`. The address members' options
 * are OPT_ADDR_PART + i for srv_address_members[i] (formatted, street_address, locality,
 * region, postal_code, country).
 */
enum {
	OPT_ADDRESS_JSON = 1000,
	OPT_ADDR_PART,
	OPT_PHONE = OPT_ADDR_PART + 6,
	OPT_PHONE_VERIFIED,
	OPT_EMAIL,
	OPT_EMAIL_VERIFIED,
};
#define CONTACT_OPTIONS \
	{ "address-json", required_argument, NULL, OPT_ADDRESS_JSON }, \
	{ "address-formatted", required_argument, NULL, OPT_ADDR_PART + 0 }, \
	{ "street", required_argument, NULL, OPT_ADDR_PART + 1 }, \
	{ "locality", required_argument, NULL, OPT_ADDR_PART + 2 }, \
	{ "region", required_argument, NULL, OPT_ADDR_PART + 3 }, \
	{ "postal-code", required_argument, NULL, OPT_ADDR_PART + 4 }, \
	{ "country", required_argument, NULL, OPT_ADDR_PART + 5 }, \
	{ "phone", required_argument, NULL, OPT_PHONE }, \
	{ "phone-verified", optional_argument, NULL, OPT_PHONE_VERIFIED }, \
	{ "email", required_argument, NULL, OPT_EMAIL }, \
	{ "email-verified", optional_argument, NULL, OPT_EMAIL_VERIFIED }

static const char *const addr_flags[6] = { "--address-formatted", "--street", "--locality",
	"--region", "--postal-code", "--country" };

struct contact_opts {
	int given;                  /* any contact option seen */
	const char *address_json;
	const char *part[6];
	const char *phone, *email;
	int phone_verified, email_verified;     /* -1: not given */
};

/* --phone-verified / --email-verified: no value or yes/true means 1, no/false 0; -1 bad. */
static int
yes_no(const char *v)
{
	if (v == NULL || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
		return 1;
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
		return 0;
	return -1;
}

/* Take option ch if it is a contact option: 1 taken, 0 not one, EXIT_USAGE (+ message) bad. */
static int
contact_opt(struct contact_opts *o, int ch, const char *arg)
{
	if (ch == OPT_ADDRESS_JSON)
		o->address_json = arg;
	else if (ch >= OPT_ADDR_PART && ch < OPT_ADDR_PART + 6)
		o->part[ch - OPT_ADDR_PART] = arg;
	else if (ch == OPT_PHONE)
		o->phone = arg;
	else if (ch == OPT_EMAIL)
		o->email = arg;
	else if (ch == OPT_PHONE_VERIFIED) {
		if ((o->phone_verified = yes_no(arg)) < 0)
			return invalid("--phone-verified", "takes yes or no (alone it means yes)");
	} else if (ch == OPT_EMAIL_VERIFIED) {
		if ((o->email_verified = yes_no(arg)) < 0)
			return invalid("--email-verified", "takes yes or no (alone it means yes)");
	} else
		return 0;
	o->given = 1;
	return 1;
}

/* Whether two optional strings differ. */
static int
differ(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/*
 * Replace *field by the checked value of flag (NULL: not given, "": remove); a changed
 * value drops *verified unless the operator says otherwise (applied by the caller).
 */
static int
contact_set(char **field, int *verified, const char *value, const char *norm)
{
	char *v = NULL;

	if (value == NULL)
		return 0;
	if (*value != '\0' && (v = strdup(norm)) == NULL)
		return EID_ERR_NOMEM;
	if (differ(v, *field))
		*verified = 0;
	free(*field);
	*field = v;
	return 0;
}

/*
 * Apply the contact options to ct, whose address/phone_number/email are malloc'd (or
 * NULL) and replaced here. 0; EXIT_USAGE after a message naming the flag at fault; 1
 * when out of memory. On failure ct may be half-changed: the caller does not store it.
 */
static int
contact_apply(const struct contact_opts *o, struct srv_citizen *ct)
{
	char *addr = NULL, *next = NULL, email[SRV_EMAIL_MAX + 1];
	const char *why;
	size_t i;
	int rc = 1;

	if (o->address_json != NULL) {
		if (*o->address_json != '\0' && !srv_address_normalize(o->address_json, &addr, &why))
			return invalid("--address-json", why);
	} else if (ct->address != NULL && (addr = strdup(ct->address)) == NULL)
		goto nomem;
	for (i = 0; i < 6; i++) {
		if (o->part[i] == NULL)
			continue;
		if (!srv_address_set_member(addr, srv_address_members[i], o->part[i], &next, &why)) {
			rc = invalid(addr_flags[i], why);
			goto out;
		}
		free(addr);
		addr = next;
		next = NULL;
	}
	free(ct->address);
	ct->address = addr;
	addr = NULL;

	if (o->phone != NULL && *o->phone != '\0' && !srv_valid_phone(o->phone, &why))
		return invalid("--phone", why);
	if (o->email != NULL && *o->email != '\0' && !srv_valid_email(o->email, email, &why))
		return invalid("--email", why);
	if (contact_set(&ct->phone_number, &ct->phone_number_verified, o->phone, o->phone) != 0 ||
	    contact_set(&ct->email, &ct->email_verified, o->email, email) != 0)
		goto nomem;
	if (o->phone_verified >= 0) {
		if (o->phone_verified && ct->phone_number == NULL)
			return invalid("--phone-verified", "needs a phone number (give --phone too)");
		ct->phone_number_verified = o->phone_verified;
	}
	if (o->email_verified >= 0) {
		if (o->email_verified && ct->email == NULL)
			return invalid("--email-verified", "needs an email address (give --email too)");
		ct->email_verified = o->email_verified;
	}
	return 0;
nomem:
	fprintf(stderr, "eidctl: %s\n", eid_strerror(EID_ERR_NOMEM));
out:
	free(addr);
	free(next);
	return rc;
}

static int
cmd_citizen_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id-number", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "birth-date", required_argument, NULL, 'b' },
		{ "password", required_argument, NULL, 'p' },
		CONTACT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *idn = NULL, *name = NULL, *birth = NULL, *pw = NULL, *why, *sex = NULL;
	struct contact_opts co = { .phone_verified = -1, .email_verified = -1 };
	struct srv_citizen ct;
	char account[24], *hash = NULL, *b32 = NULL, *uri = NULL;
	uint8_t *enc = NULL;
	size_t enclen = 0;
	int64_t rowid;
	int ch, r, rc = 1;

	memset(&ct, 0, sizeof(ct));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': idn = optarg; break;
		case 'n': name = optarg; break;
		case 'b': birth = optarg; break;
		case 'p': pw = optarg; break;
		default:
			if ((r = contact_opt(&co, ch, optarg)) == 1)
				break;
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return fail_usage("citizen add: unexpected argument '%s'", argv[optind]);
	if (idn == NULL || name == NULL || birth == NULL || pw == NULL)
		return fail_usage("citizen add needs --id-number, --name, --birth-date and --password%s", "");
	if (!srv_valid_date(birth, (long long)time(NULL), &why))
		return invalid("--birth-date", why);
	if (!srv_valid_citizen_id(idn, birth, &sex, &why))
		return invalid("--id-number", why);
	if (!srv_valid_display_name(name, &why))
		return invalid("--name", why);
	if (!srv_valid_password(pw, &why))
		return invalid("--password", why);
	if ((rc = contact_apply(&co, &ct)) != 0)
		goto out;
	rc = 1;
	if ((r = srv_password_hash(&c->cfg, pw, &hash)) != 0 ||
	    (r = srv_totp_secret_new(c->secret, &b32, &enc, &enclen)) != 0 ||
	    (r = srv_totp_uri("eID", idn, b32, &uri)) != 0) {
		fprintf(stderr, "eidctl: %s\n", eid_strerror(r));
		goto out;
	}
	srv_account_id_new(account);
	ct.account_id = account;
	ct.citizen_id = (char *)idn;
	ct.name = (char *)name;
	ct.birth_date = (char *)birth;
	ct.sex = (char *)sex;
	ct.password_hash = hash;
	ct.totp_secret_enc = enc;
	ct.totp_secret_enc_len = enclen;
	ct.level = 1;
	ct.created_at = (int64_t)time(NULL);
	if ((r = srv_store_citizen_add(c->store, &ct, &rowid)) != 0) {
		fprintf(stderr, "eidctl: cannot add the citizen: %s\n",
		    r == EID_ERR_EXISTS ? "an account with this ID number already exists" : eid_strerror(r));
		goto out;
	}
	audit(c, "citizen.add", account, NULL);
	if (c->json) {
		json_t *o = citizen_json(&ct);

		json_object_set_new(o, "totp_uri", json_string(uri));
		print_json(o);
		json_decref(o);
	} else
		printf("account_id: %s\ncitizen_id: %s\nname:       %s\n"
		    "TOTP for the authenticator app (shown once):\n%s\n", account, idn, name, uri);
	rc = 0;
out:
	cx_free_str(hash);
	cx_free_str(b32);
	cx_free_str(uri);
	if (enc != NULL) {
		cx_wipe(enc, enclen);
		free(enc);
	}
	free(ct.address);
	free(ct.phone_number);
	free(ct.email);
	return rc;
}

/* citizen set ID CONTACT...: change the contact claims of one citizen. */
static int
cmd_citizen_set(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CONTACT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const names[] = { "address", "phone_number", "phone_number_verified",
		"email", "email_verified" };
	struct contact_opts co = { .phone_verified = -1, .email_verified = -1 };
	struct srv_citizen *ct = NULL, *old = NULL;
	json_t *changed = NULL;
	const char *id;
	char *details = NULL;
	int ch, r, rc = 1, diff[5];
	size_t i;

	/* argv: "set" ID options...; the ID comes first (eidctl's getopt stops at non-options) */
	if (argc < 2 || argv[1][0] == '-')
		return fail_usage("citizen set needs the citizen's ID first (12-digit number or account id)%s", "");
	id = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((r = contact_opt(&co, ch, optarg)) != 1)
			return EXIT_USAGE;
	if (optind != argc)
		return fail_usage("citizen set: unexpected argument '%s'", argv[optind]);
	if (!co.given)
		return fail_usage("citizen set needs at least one of --address-json, --street, --locality, "
		    "--region, --postal-code, --country, --address-formatted, --phone, --phone-verified, "
		    "--email, --email-verified%s", "");
	if ((r = srv_store_citizen_get(c->store, id, &ct)) != 0 ||
	    (r = srv_store_citizen_get(c->store, id, &old)) != 0) {
		fprintf(stderr, "eidctl: citizen %s: %s\n", id,
		    r == EID_ERR_NOT_FOUND ? "no such citizen" : eid_strerror(r));
		goto out;
	}
	if ((rc = contact_apply(&co, ct)) != 0)
		goto out;
	rc = 1;
	if ((r = srv_store_citizen_update(c->store, ct)) != 0) {
		fprintf(stderr, "eidctl: cannot update citizen %s: %s\n", id, eid_strerror(r));
		goto out;
	}
	/* the audit names what changed, never the values (personal data) */
	diff[0] = differ(ct->address, old->address);
	diff[1] = differ(ct->phone_number, old->phone_number);
	diff[2] = ct->phone_number_verified != old->phone_number_verified;
	diff[3] = differ(ct->email, old->email);
	diff[4] = ct->email_verified != old->email_verified;
	if ((changed = json_pack("{s:[]}", "changed")) != NULL)
		for (i = 0; i < 5; i++)
			if (diff[i])
				json_array_append_new(json_object_get(changed, "changed"), json_string(names[i]));
	details = changed != NULL ? json_dumps(changed, JSON_COMPACT) : NULL;
	audit(c, "citizen.update", ct->account_id, details);
	if (c->json) {
		json_t *o = citizen_json(ct);

		print_json(o);
		json_decref(o);
	} else
		printf("updated citizen %s\n", ct->account_id);
	rc = 0;
out:
	json_decref(changed);
	free(details);
	srv_citizen_free(&ct);
	srv_citizen_free(&old);
	return rc;
}

static int
cmd_citizen(struct ctl *c, int argc, char **argv)
{
	struct srv_citizen **list = NULL, *ct = NULL;
	size_t n = 0, i;
	int r;

	if (argc < 2)
		return fail_usage("citizen needs a subcommand: add, set, list, show, disable, enable%s", "");
	if (strcmp(argv[1], "add") == 0)
		return cmd_citizen_add(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "set") == 0)
		return cmd_citizen_set(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0) {
		json_t *arr = json_array(), *o;

		if ((r = srv_store_citizen_list(c->store, &list, &n)) != 0) {
			fprintf(stderr, "eidctl: cannot list citizens: %s\n", eid_strerror(r));
			json_decref(arr);
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (c->json)
				json_array_append_new(arr, citizen_json(list[i]));
			else
				printf("%-24s %s level %d %-8s %s\n", list[i]->account_id, list[i]->citizen_id,
				    list[i]->level, list[i]->disabled ? "disabled" : "active", list[i]->name);
		}
		if (c->json) {
			o = json_pack("{s:o}", "citizens", arr);
			print_json(o);
			json_decref(o);
		} else
			json_decref(arr);
		srv_citizen_list_free(list, n);
		return 0;
	}
	if (argc != 3)
		return fail_usage("citizen %s needs exactly one ID (12-digit number or account id)", argv[1]);
	if (strcmp(argv[1], "show") == 0) {
		json_t *o;

		if ((r = srv_store_citizen_get(c->store, argv[2], &ct)) != 0) {
			fprintf(stderr, "eidctl: citizen %s: %s\n", argv[2],
			    r == EID_ERR_NOT_FOUND ? "no such citizen" : eid_strerror(r));
			return 1;
		}
		o = citizen_json(ct);
		if (c->json)
			print_json(o);
		else {
			printf("account_id: %s\ncitizen_id: %s\nname:       %s\nbirth_date: %s\nlevel:      %d\nstatus:     %s\n",
			    ct->account_id, ct->citizen_id, ct->name, ct->birth_date ? ct->birth_date : "-",
			    ct->level, ct->disabled ? "disabled" : "active");
			printf("address:    %s\n", ct->address ? ct->address : "-");
			if (ct->phone_number != NULL)
				printf("phone:      %s (%s)\n", ct->phone_number,
				    ct->phone_number_verified ? "verified" : "not verified");
			else
				printf("phone:      -\n");
			if (ct->email != NULL)
				printf("email:      %s (%s)\n", ct->email,
				    ct->email_verified ? "verified" : "not verified");
			else
				printf("email:      -\n");
		}
		json_decref(o);
		srv_citizen_free(&ct);
		return 0;
	}
	if (strcmp(argv[1], "disable") == 0 || strcmp(argv[1], "enable") == 0) {
		int dis = strcmp(argv[1], "disable") == 0;

		if ((r = srv_store_citizen_get(c->store, argv[2], &ct)) != 0 ||
		    (r = srv_store_citizen_set_disabled(c->store, ct->citizen_id, dis)) != 0) {
			fprintf(stderr, "eidctl: citizen %s: %s\n", argv[2],
			    r == EID_ERR_NOT_FOUND ? "no such citizen" : eid_strerror(r));
			srv_citizen_free(&ct);
			return 1;
		}
		audit(c, dis ? "citizen.disable" : "citizen.enable", ct->account_id, NULL);
		if (c->json)
			printf("{\"account_id\": \"%s\", \"status\": \"%s\"}\n", ct->account_id,
			    dis ? "disabled" : "active");
		else
			printf("%s citizen %s\n", dis ? "disabled" : "enabled", ct->account_id);
		srv_citizen_free(&ct);
		return 0;
	}
	return fail_usage("citizen: unknown subcommand '%s'", argv[1]);
}

/* ---- keys ---- */

static int
cmd_keys(struct ctl *c, int argc, char **argv)
{
	struct srv_signing_key_row **rows = NULL;
	char err[512], *kids = NULL;
	size_t n = 0, i;
	int r;

	if (argc < 2)
		return fail_usage("keys needs a subcommand: list, rotate, retire%s", "");
	if ((r = srv_keys_ensure(c->store, c->cfg.data_dir, err, sizeof(err))) != 0) {
		fprintf(stderr, "eidctl: %s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "list") == 0) {
		json_t *arr = json_array(), *o;

		if ((r = srv_store_key_list(c->store, &rows, &n)) != 0) {
			fprintf(stderr, "eidctl: cannot list keys: %s\n", eid_strerror(r));
			json_decref(arr);
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (c->json)
				json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I}", "kid", rows[i]->kid,
				    "alg", rows[i]->alg, "state", rows[i]->state, "created_at",
				    (json_int_t)rows[i]->created_at));
			else
				printf("%-44s %-6s %s\n", rows[i]->kid, rows[i]->alg, rows[i]->state);
		}
		if (c->json) {
			o = json_pack("{s:o}", "keys", arr);
			print_json(o);
			json_decref(o);
		} else
			json_decref(arr);
		srv_signing_key_list_free(rows, n);
		return 0;
	}
	if (strcmp(argv[1], "rotate") == 0) {
		enum tok_alg alg = 0;

		if (argc == 4 && strcmp(argv[2], "--alg") == 0) {
			if (tok_alg_from_name(argv[3], &alg) != 0)
				return invalid("--alg", "must be RS256, PS256, ES256 or EdDSA");
		} else if (argc != 2)
			return fail_usage("usage: keys rotate [--alg ALG]%s", "");
		if ((r = srv_keys_rotate(c->store, c->cfg.data_dir, alg, &kids, err, sizeof(err))) != 0) {
			fprintf(stderr, "eidctl: %s\n", err);
			return 1;
		}
		audit(c, "keys.rotate", alg != 0 ? tok_alg_name(alg) : "all", kids);
		if (c->json)
			printf("{\"rotated\": %s}\n", kids);
		else
			printf("new active keys: %s\n(old keys stay published in the JWKS; eidd picks this up within a second)\n", kids);
		free(kids);
		return 0;
	}
	if (strcmp(argv[1], "retire") == 0 && argc == 3) {
		if ((r = srv_keys_retire(c->store, argv[2], err, sizeof(err))) != 0) {
			fprintf(stderr, "eidctl: %s\n", err);
			return 1;
		}
		audit(c, "keys.retire", argv[2], NULL);
		if (c->json)
			printf("{\"kid\": \"%s\", \"state\": \"retired\"}\n", argv[2]);
		else
			printf("retired key %s\n", argv[2]);
		return 0;
	}
	return fail_usage("keys: unknown subcommand or arguments '%s'", argv[1]);
}

/* ---- trust (CSCA certificates, master lists, CRLs for chip verification) ---- */

static int
cmd_trust(struct ctl *c, int argc, char **argv)
{
	char err[1024];
	int i, r, rc = 0, changed = 0;

	if (argc < 2)
		return fail_usage("trust needs a subcommand: import, list%s", "");
	if (strcmp(argv[1], "import") == 0) {
		json_t *arr, *o;

		if (argc < 3)
			return fail_usage("usage: trust import FILE...%s", "");
		if ((arr = json_array()) == NULL)
			return 1;
		/* each file on its own: a bad one is reported, the good ones still go in */
		for (i = 2; i < argc; i++) {
			char *sum = NULL;
			json_t *s;

			err[0] = '\0';
			if ((r = srv_trust_import(c->store, c->cfg.data_dir, argv[i], &sum, err,
			    sizeof(err))) != 0) {
				fprintf(stderr, "eidctl: %s\n", err[0] != '\0' ? err : eid_strerror(r));
				if (rc == 0 || r == EID_ERR_FORMAT)
					rc = r == EID_ERR_FORMAT ? EXIT_USAGE : 1;
				continue;
			}
			if ((s = json_loads(sum, 0, NULL)) == NULL) {
				free(sum);
				rc = 1;
				continue;
			}
			if (!json_is_true(json_object_get(s, "already_present"))) {
				audit(c, "trust.import", json_string_value(json_object_get(s, "stored")), sum);
				changed = 1;
			}
			if (!c->json)
				printf("%s: %s %s%s -> trust/%s\n", argv[i],
				    json_string_value(json_object_get(s, "kind")),
				    json_string_value(json_object_get(s, "subject")),
				    json_is_true(json_object_get(s, "already_present")) ? " (already present)" : "",
				    json_string_value(json_object_get(s, "stored")));
			json_array_append_new(arr, s);
			free(sum);
		}
		if (c->json) {
			o = json_pack("{s:o}", "imported", arr);
			print_json(o);
			json_decref(o);
		} else {
			json_decref(arr);
			if (changed)
				printf("(eidd picks up trust changes within a second)\n");
		}
		return rc;
	}
	if (strcmp(argv[1], "list") == 0 && argc == 2) {
		json_t *arr = NULL, *o, *e;
		size_t k;

		if ((r = srv_trust_list(c->cfg.data_dir, &arr, err, sizeof(err))) != 0) {
			fprintf(stderr, "eidctl: %s\n", err);
			return 1;
		}
		if (c->json) {
			o = json_pack("{s:o}", "trust", arr);
			print_json(o);
			json_decref(o);
			return 0;
		}
		json_array_foreach(arr, k, e)
			printf("%-4s %-10s %s  %s  %s\n", json_string_value(json_object_get(e, "kind")),
			    json_string_value(json_object_get(e, "serial")),
			    json_string_value(json_object_get(e, "not_after")),
			    json_string_value(json_object_get(e, "sha256")),
			    json_string_value(json_object_get(e, "subject")));
		json_decref(arr);
		return 0;
	}
	return fail_usage("trust: unknown subcommand or arguments '%s'", argv[1]);
}

/* ---- audit ---- */

static int
cmd_audit(struct ctl *c, int argc, char **argv)
{
	struct srv_audit_event **ev = NULL;
	long long after = 0, limit = 100;
	json_t *arr, *o;
	size_t n = 0, i;
	int k, r;

	if (argc < 2 || strcmp(argv[1], "list") != 0)
		return fail_usage("audit needs the subcommand list%s", "");
	for (k = 2; k + 1 < argc; k += 2) {
		char *end;
		long long v = strtoll(argv[k + 1], &end, 10);

		if (*end != '\0' || v < 0)
			return invalid(argv[k], "needs a whole number");
		if (strcmp(argv[k], "--after") == 0)
			after = v;
		else if (strcmp(argv[k], "--limit") == 0)
			limit = v > 10000 ? 10000 : v;
		else
			return fail_usage("audit list: unknown option '%s'", argv[k]);
	}
	if (k != argc)
		return fail_usage("audit list: option '%s' needs a value", argv[k]);
	if ((r = srv_store_audit_list(c->store, after, (size_t)limit, &ev, &n)) != 0) {
		fprintf(stderr, "eidctl: cannot read the audit log: %s\n", eid_strerror(r));
		return 1;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		if (c->json)
			json_array_append_new(arr, json_pack("{s:I,s:I,s:s,s:s,s:s?,s:s,s:s?}", "id",
			    (json_int_t)ev[i]->id, "at", (json_int_t)ev[i]->at, "actor", ev[i]->actor,
			    "action", ev[i]->action, "subject", ev[i]->subject, "outcome", ev[i]->outcome,
			    "details", ev[i]->details));
		else
			printf("%lld %lld %s %s %s %s\n", (long long)ev[i]->id, (long long)ev[i]->at,
			    ev[i]->actor, ev[i]->action, ev[i]->subject ? ev[i]->subject : "-", ev[i]->outcome);
	}
	if (c->json) {
		o = json_pack("{s:o}", "events", arr);
		print_json(o);
		json_decref(o);
	} else
		json_decref(arr);
	srv_audit_list_free(ev, n);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c;
	const char *config_path = NULL;
	char err[1024], dbpath[4200];
	int ch, rc = 1, have_cfg = 0;

	memset(&c, 0, sizeof(c));
	/* options before the command only; the command parses its own */
	while ((ch = getopt_long(argc, argv, "+c:jhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config_path = optarg; break;
		case 'j': c.json = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("eidctl %s\n", EID_VERSION); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	/* --json may also follow the command */
	{
		int i, j = 0;

		for (i = 0; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0)
				c.json = 1;
			else
				argv[j++] = argv[i];
		}
		argc = j;
		argv[argc] = NULL;
	}
	if (strcmp(argv[0], "client") != 0 && strcmp(argv[0], "citizen") != 0 &&
	    strcmp(argv[0], "keys") != 0 && strcmp(argv[0], "audit") != 0 &&
	    strcmp(argv[0], "trust") != 0)
		return fail_usage("unknown command '%s'", argv[0]);
	if (cx_init() != 0)
		return 1;
	srv_log_init(SRV_LOG_WARN, "eidctl");
	if (srv_config_load(&c.cfg, config_path, environ, err, sizeof(err)) != 0) {
		fprintf(stderr, "eidctl: %s\n", err);
		return 1;
	}
	have_cfg = 1;
	snprintf(dbpath, sizeof(dbpath), "%s/eid.db", c.cfg.data_dir);
	if (srv_secret_open(c.cfg.data_dir, &c.secret, err, sizeof(err)) != 0 ||
	    srv_store_sqlite_open(dbpath, 0, &c.store, err, sizeof(err)) != 0) {
		fprintf(stderr, "eidctl: %s\n", err);
		goto out;
	}
	if (strcmp(argv[0], "client") == 0)
		rc = cmd_client(&c, argc, argv);
	else if (strcmp(argv[0], "citizen") == 0)
		rc = cmd_citizen(&c, argc, argv);
	else if (strcmp(argv[0], "keys") == 0)
		rc = cmd_keys(&c, argc, argv);
	else if (strcmp(argv[0], "trust") == 0)
		rc = cmd_trust(&c, argc, argv);
	else
		rc = cmd_audit(&c, argc, argv);
out:
	if (c.store != NULL)
		srv_store_close(&c.store);
	srv_secret_free(&c.secret);
	if (have_cfg)
		srv_config_free(&c.cfg);
	return rc;
}
