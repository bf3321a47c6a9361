/*
 * eid-card - read a chip ID card (CCCD / ICAO 9303 eMRTD) through PC/SC, and have a
 * server verify it.
 *
 *   eid-card read [card options] [--challenge HEX16] [--out DIR] [--json]
 *   eid-card verify --server URL --client-id ID [card options] [--json]  (eid_card_verify.c)
 *   eid-card bind|login --server URL --code CODE [card options] [--json]  (eid_card_bind.c)
 *
 * Exit codes: 0 ok, 2 usage, 3 no reader / no card, 4 access denied (wrong MRZ/CAN),
 * 5 card removed, 6 unsupported chip, 7 server unreachable or refused (verify),
 * 8 verdict invalid (verify) or card refused (bind/login), 9 code unknown, expired or
 * used (bind/login), 1 anything else. Each failure prints one line an operator
 * can act on. The MRZ, CAN and keys are never printed; the MRZ information string is
 * wiped after the session.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cx_util.h"
#include "eid_err.h"
#include "card_lds.h"
#include "card_mrz.h"
#include "card_read.h"
#include "card_transport.h"
#include "eid_card.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: eid-card read CARD [--challenge HEX16] [--out DIR] [--json]\n"
	    "       eid-card verify --server URL --client-id ID CARD [--timeout SECONDS] [--json]\n"
	    "       eid-card bind|login --server URL --code CODE CARD [--timeout SECONDS] [--json]\n"
	    "       eid-card --help | --version\n"
	    "CARD:  [--reader NAME] (--mrz MRZ | --doc-number N --birth YYMMDD --expiry YYMMDD\n"
	    "       | --can CAN) [--access auto|bac|pace] [--no-chip-auth]\n"
	    "\n"
	    "read: reads EF.COM, DG1, DG2, DG13, DG14, DG15 and EF.SOD from a chip ID card\n"
	    "(CCCD, ICAO 9303 eMRTD) with PACE (CAN or MRZ) or BAC (MRZ) and secure messaging,\n"
	    "then runs Chip Authentication with the DG14 key.\n"
	    "  --mrz MRZ         the printed MRZ (TD1 3x30 or TD3 2x44, lines joined or with\n"
	    "                    newlines), or the MRZ information (number+check, birth+check,\n"
	    "                    expiry+check)\n"
	    "  --can CAN         card access number (CCCD: last 6 digits of the ID number)\n"
	    "  --access M        auto (PACE if the chip offers it, else BAC), bac, or pace\n"
	    "  --no-chip-auth    skip Chip Authentication (DG14)\n"
	    "  --challenge HEX16 also run Active Authentication with this 8-byte challenge\n"
	    "  --out DIR         write EF_COM.bin, DG1.bin, ..., EF_SOD.bin into DIR\n"
	    "  --json            print the result as JSON\n"
	    "verify: gets an access token (client_credentials, scope document_verify) from\n"
	    "URL/token, a challenge from URL/v1/documents/challenge, reads the card with Active\n"
	    "Authentication over it, posts everything to URL/v1/documents/verify and prints\n"
	    "the verdict (--json: the server's answer as it came).\n"
	    "  --server URL      https://..., or http:// to this machine only (127.0.0.1,\n"
	    "                    localhost, [::1])\n"
	    "  --client-id ID    the terminal's client id; the secret is read from the\n"
	    "                    environment variable EID_CLIENT_SECRET\n"
	    "  --client-secret S the secret on the command line (less safe: other local users\n"
	    "                    can see a command line while it runs)\n"
	    "  --timeout S       per HTTP request (default 15)\n"
	    "bind: binds your card to your account (level 2) with the one-time code shown on\n"
	    "the account page (URL/account/card); login: approves the chip-card sign-in whose\n"
	    "code your browser shows (URL/login/card). Both get a challenge for the code from\n"
	    "URL/v1/card/challenge, read the card with Active and Chip Authentication and post\n"
	    "it to URL/v1/card/bind or URL/v1/card/login.\n"
	    "  --code CODE       the 8-character code as shown (ABCD-EFGH); valid 5 minutes, once\n"
	    "Exit: 0 ok (verify: verdict valid), 2 usage, 3 no reader/no card, 4 access denied,\n"
	    "5 card removed, 6 unsupported chip, 7 server unreachable, timed out or refused\n"
	    "the request, 8 verdict invalid (or Chip Authentication failed; bind/login: the\n"
	    "server refused the card), 9 bind/login: the code is unknown, expired or used,\n"
	    "1 other error.\n");
}

static int
exit_for(int err)
{
	switch (err) {
	case EID_OK:
		return EXIT_OK;
	case EID_ERR_NO_READER:
	case EID_ERR_NO_CARD:
		return EXIT_NO_CARD;
	case EID_ERR_ACCESS_DENIED:
		return EXIT_DENIED;
	case EID_ERR_CARD_REMOVED:
		return EXIT_REMOVED;
	case EID_ERR_CARD_UNSUPPORTED:
		return EXIT_UNSUPPORTED;
	default:
		return EXIT_OTHER;
	}
}

static void
say_error(int err)
{
	switch (err) {
	case EID_ERR_NO_READER:
		fprintf(stderr, "No card reader found. Is pcscd running and the reader plugged in?\n");
		break;
	case EID_ERR_NO_CARD:
		fprintf(stderr, "No card on the reader. Place the ID card on the reader and try again.\n");
		break;
	case EID_ERR_ACCESS_DENIED:
		fprintf(stderr, "Access denied: check the MRZ or CAN (document number, birth and "
		    "expiry dates, or the last 6 digits of the ID number).\n");
		break;
	case EID_ERR_CARD_REMOVED:
		fprintf(stderr, "The card was removed during reading. Keep the card still on the "
		    "reader and try again.\n");
		break;
	case EID_ERR_CARD_UNSUPPORTED:
		fprintf(stderr, "This card is not supported: it has no ICAO eMRTD application "
		    "(or no PACE for a CAN). Use a chip ID card, or give the MRZ.\n");
		break;
	default:
		fprintf(stderr, "Reading the card failed (%s). Try again; if it keeps failing, "
		    "try another reader.\n", eid_strerror(err));
		break;
	}
}

/* MRZ text or MRZ information -> MRZ information. */
static int
mrz_to_info(const char *in, char *out, size_t outsz)
{
	struct card_mrz m;
	size_t n = strlen(in), i;
	int r;

	memset(&m, 0, sizeof(m));
	r = card_mrz_parse(in, n, &m);
	if (r == 0 || r == EID_ERR_CHECK_DIGIT) {
		r = card_mrz_bac_seed(&m, out, outsz);
		cx_wipe(&m, sizeof(m));
		return r;
	}
	/* MRZ information: number (>= 9) + check, YYMMDD + check, YYMMDD + check */
	if (n < 24 || n >= outsz)
		return EID_ERR_MRZ;
	for (i = 0; i < n; i++)
		if (!((in[i] >= '0' && in[i] <= '9') || (in[i] >= 'A' && in[i] <= 'Z') || in[i] == '<'))
			return EID_ERR_MRZ;
	if (card_mrz_check_digit(in, n - 15) != in[n - 15] ||
	    card_mrz_check_digit(in + n - 14, 6) != in[n - 8] ||
	    card_mrz_check_digit(in + n - 7, 6) != in[n - 1])
		return EID_ERR_CHECK_DIGIT;
	memcpy(out, in, n + 1);
	return EID_OK;
}

static int
hex_decode(const char *s, uint8_t *out, size_t want)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * want)
		return -1;
	for (i = 0; i < want; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int
write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	int fd, r = EID_ERR_IO;
	ssize_t w;
	size_t done = 0;

	if (snprintf(path, sizeof(path), "%s/%s.bin", dir, name) >= (int)sizeof(path))
		return EID_ERR_TOO_LARGE;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return EID_ERR_IO;
	while (done < n) {
		w = write(fd, p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		done += (size_t)w;
	}
	r = EID_OK;
out:
	if (close(fd) != 0)
		r = EID_ERR_IO;
	return r;
}

static char *
hex_str(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	if (s != NULL)
		cx_hex_encode(s, p, n);
	return s;
}

static const char *const dg13_names[] = {
	[1] = "citizen_id", [2] = "full_name", [3] = "birth_date", [4] = "sex",
	[5] = "nationality", [6] = "ethnicity", [7] = "religion", [8] = "place_of_origin",
	[9] = "place_of_residence", [10] = "identifying_marks", [11] = "issue_date",
	[12] = "expiry_date", [13] = "parents", [14] = "spouse",
	[15] = "other_document_number", [16] = "old_id_number",
};

static json_t *
dg13_json(const struct card_dg13 *d)
{
	json_t *o = json_object();
	size_t i, k;
	char key[32];

	for (i = 0; o != NULL && i < d->nfields; i++) {
		const struct card_dg13_field *f = &d->fields[i];
		const char *name = NULL;
		json_t *v;

		if (f->number > 0 && f->number <= 16)
			name = dg13_names[f->number];
		if (name == NULL) {
			snprintf(key, sizeof(key), "field_%d", f->number);
			name = key;
		}
		if (f->number == CARD_DG13_PARENTS && f->nvalues == 2) {
			v = json_pack("{s:s, s:s}", "father", f->values[0], "mother", f->values[1]);
		} else if (f->nvalues == 1) {
			v = json_string(f->values[0]);
		} else {
			v = json_array();
			for (k = 0; v != NULL && k < f->nvalues; k++)
				json_array_append_new(v, json_string(f->values[k]));
		}
		json_object_set_new(o, name, v);
	}
	return o;
}

static json_t *
dg1_json(const struct card_mrz *m, int checks_ok)
{
	char name[96];

	snprintf(name, sizeof(name), "%s%s%s", m->primary_name,
	    m->secondary_name[0] != '\0' ? ", " : "", m->secondary_name);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
	    "document_code", m->document_code, "issuing_state", m->issuing_state,
	    "document_number", m->document_number, "citizen_id", m->citizen_id,
	    "name", name, "primary_name", m->primary_name,
	    "secondary_name", m->secondary_name, "birth_date", m->birth_date,
	    "sex", (char[]){ m->sex, '\0' }, "expiry_date", m->expiry_date,
	    "nationality", m->nationality, "check_digits_ok", checks_ok);
}

static int
report(const struct card_read_result *res, const char *reader, const uint8_t *challenge,
    int as_json)
{
	struct card_mrz m;
	struct card_dg13 d13;
	json_t *root = NULL, *files = NULL;
	char *txt = NULL, *hex = NULL;
	int f, dg1_r = EID_ERR_NOT_FOUND, dg13_r = EID_ERR_NOT_FOUND, r = EID_ERR_NOMEM;

	memset(&m, 0, sizeof(m));
	memset(&d13, 0, sizeof(d13));
	if (res->file[CARD_FILE_DG1] != NULL)
		dg1_r = card_lds_dg1_parse(res->file[CARD_FILE_DG1], res->file_len[CARD_FILE_DG1], &m);
	if (res->file[CARD_FILE_DG13] != NULL)
		dg13_r = card_lds_dg13_parse(res->file[CARD_FILE_DG13],
		    res->file_len[CARD_FILE_DG13], &d13);
	if ((root = json_object()) == NULL || (files = json_array()) == NULL)
		goto out;
	for (f = 0; f < CARD_FILE_COUNT; f++)
		if (res->file[f] != NULL)
			json_array_append_new(files, json_string(card_file_name((enum card_file)f)));
	json_object_set_new(root, "reader", json_string(reader != NULL ? reader : ""));
	json_object_set_new(root, "access_control",
	    json_string(card_access_name(res->access)));
	json_object_set_new(root, "pace_failed_fell_back_to_bac", json_boolean(res->pace_failed));
	json_object_set(root, "files_read", files);
	if (dg1_r == 0 || dg1_r == EID_ERR_CHECK_DIGIT)
		json_object_set_new(root, "dg1", dg1_json(&m, dg1_r == 0));
	else
		json_object_set_new(root, "dg1", json_null());
	json_object_set_new(root, "dg13", dg13_r == 0 ? dg13_json(&d13) : json_null());
	json_object_set_new(root, "checks", json_pack("{s:s}", "chip_authentication",
	    card_check_result_str(res->chip_auth)));
	if (res->chip_auth_note != NULL)
		json_object_set_new(root, "chip_authentication_note",
		    json_string(res->chip_auth_note));
	if (res->aa_signature != NULL && challenge != NULL) {
		char *ch = hex_str(challenge, 8);

		hex = hex_str(res->aa_signature, res->aa_signature_len);
		if (ch == NULL || hex == NULL) {
			free(ch);
			goto out;
		}
		json_object_set_new(root, "active_authentication",
		    json_pack("{s:s, s:s}", "challenge", ch, "signature", hex));
		free(ch);
	}
	if (as_json) {
		if ((txt = json_dumps(root, JSON_INDENT(2))) == NULL)
			goto out;
		printf("%s\n", txt);
	} else {
		size_t i;

		printf("access control: %s%s\n", card_access_name(res->access),
		    res->pace_failed ? " (PACE failed, BAC used)" : "");
		printf("files read:");
		for (i = 0; i < json_array_size(files); i++)
			printf(" %s", json_string_value(json_array_get(files, i)));
		printf("\n");
		if (dg1_r == 0 || dg1_r == EID_ERR_CHECK_DIGIT) {
			printf("document number: %s\n", m.document_number);
			if (m.citizen_id[0] != '\0')
				printf("citizen id: %s\n", m.citizen_id);
			printf("name: %s, %s\nbirth date: %s\nsex: %c\nexpiry date: %s\n"
			    "nationality: %s\n", m.primary_name, m.secondary_name, m.birth_date,
			    m.sex, m.expiry_date, m.nationality);
		}
		if (dg13_r == 0) {
			const struct card_dg13_field *fn = card_dg13_get(&d13, CARD_DG13_FULL_NAME);

			if (fn != NULL && fn->nvalues > 0)
				printf("full name (DG13): %s\n", fn->values[0]);
		}
		if (res->aa_signature != NULL)
			printf("active authentication: %zu-byte signature\n", res->aa_signature_len);
		ec_print_chip_auth(res);
	}
	r = EID_OK;
out:
	if (txt != NULL) {
		cx_wipe(txt, strlen(txt));
		free(txt);
	}
	free(hex);
	json_decref(files);
	json_decref(root);
	cx_wipe(&m, sizeof(m));
	card_dg13_clear(&d13);
	return r;
}

void
ec_card_args_init(struct ec_card_args *a)
{
	memset(a, 0, sizeof(*a));
	a->o.pref = CARD_PREF_AUTO;
}

void
ec_card_args_wipe(struct ec_card_args *a)
{
	cx_wipe(a->info, sizeof(a->info));
	cx_wipe(a->canbuf, sizeof(a->canbuf));
	a->o.mrz_info = NULL;
	a->o.can = NULL;
}

int
ec_card_args_option(struct ec_card_args *a, int c, const char *arg)
{
	switch (c) {
	case EC_OPT_READER: a->reader = arg; return 1;
	case EC_OPT_MRZ: a->mrz = arg; return 1;
	case EC_OPT_DOC: a->doc = arg; return 1;
	case EC_OPT_BIRTH: a->birth = arg; return 1;
	case EC_OPT_EXPIRY: a->expiry = arg; return 1;
	case EC_OPT_CAN: a->can = arg; return 1;
	case EC_OPT_NO_CA: a->no_chip_auth = 1; return 1;
	case EC_OPT_ACCESS:
		if (strcmp(arg, "auto") == 0)
			a->o.pref = CARD_PREF_AUTO;
		else if (strcmp(arg, "bac") == 0)
			a->o.pref = CARD_PREF_BAC;
		else if (strcmp(arg, "pace") == 0)
			a->o.pref = CARD_PREF_PACE;
		else
			return -1;
		return 1;
	default:
		return 0;
	}
}

int
ec_next_option(struct ec_card_args *a, int argc, char **argv, const struct option *opts)
{
	int c, k;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((k = ec_card_args_option(a, c, optarg)) < 0)
			return '?';
		if (k == 0)
			return c;
	}
	return -1;
}

void
ec_free_secret(char **s)
{
	cx_free_str(*s);
	*s = NULL;
}

int
ec_card_args_finish(struct ec_card_args *a)
{
	if ((a->mrz != NULL) + (a->doc != NULL || a->birth != NULL || a->expiry != NULL) > 1 ||
	    (a->mrz == NULL && a->doc == NULL && a->can == NULL)) {
		fprintf(stderr, "eid-card: give --mrz, or --doc-number/--birth/--expiry, or --can\n");
		return EXIT_USAGE;
	}
	if (a->mrz != NULL && mrz_to_info(a->mrz, a->info, sizeof(a->info)) != 0) {
		fprintf(stderr, "eid-card: the MRZ is not valid (check the characters and "
		    "check digits)\n");
		return EXIT_USAGE;
	}
	if (a->doc != NULL && (a->birth == NULL || a->expiry == NULL ||
	    card_mrz_bac_seed_fields(a->doc, a->birth, a->expiry, a->info, sizeof(a->info)) != 0)) {
		fprintf(stderr, "eid-card: --doc-number, --birth YYMMDD and --expiry YYMMDD "
		    "are needed together and must be valid\n");
		return EXIT_USAGE;
	}
	if (a->can != NULL) {
		size_t i, n = strlen(a->can);
		int bad = n == 0 || n > EC_CAN_MAX;

		for (i = 0; !bad && i < n; i++)
			if (a->can[i] < '0' || a->can[i] > '9')
				bad = 1;
		if (bad) {
			fprintf(stderr, "eid-card: the CAN must be digits (CCCD: last 6 digits of "
			    "the ID)\n");
			return EXIT_USAGE;
		}
		memcpy(a->canbuf, a->can, n);
		a->o.can = a->canbuf;
	}
	if (a->info[0] != '\0')
		a->o.mrz_info = a->info;
	return EXIT_OK;
}

int
ec_card_read(struct ec_card_args *a, const uint8_t *challenge, struct card_read_result **res,
    char **chosen)
{
	struct card_transport *t = NULL;
	int r;

	*res = NULL;
	*chosen = NULL;
	a->o.aa_challenge = challenge;
	if ((r = card_transport_pcsc_open(a->reader, &t, chosen)) != 0 ||
	    (r = card_read_session_flags(t, &a->o, a->no_chip_auth ? 0 : CARD_READ_CHIP_AUTH,
	    res)) != 0)
		say_error(r);
	card_transport_free(&t);
	return exit_for(r);
}

void
ec_print_chip_auth(const struct card_read_result *res)
{
	printf("chip authentication: %s", card_check_result_str(res->chip_auth));
	if (res->chip_auth_note != NULL)
		printf(" (%s)", res->chip_auth_note);
	printf("\n");
}

static int
cmd_read(int argc, char **argv)
{
	static const struct option opts[] = {
		EC_CARD_OPTIONS,
		{ "challenge", required_argument, NULL, 'x' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ec_card_args args;
	const char *outdir = NULL;
	char *chosen = NULL;
	uint8_t challenge[8];
	int have_challenge = 0, as_json = 0, c, f, ex = EXIT_OTHER;
	struct card_read_result *res = NULL;

	ec_card_args_init(&args);
	optind = 1;
	while ((c = ec_next_option(&args, argc, argv, opts)) != -1) {
		switch (c) {
		case 'o': outdir = optarg; break;
		case 'j': as_json = 1; break;
		case 'x':
			if (hex_decode(optarg, challenge, sizeof(challenge)) != 0) {
				fprintf(stderr, "eid-card: --challenge needs 16 hex digits\n");
				goto usage_quiet;
			}
			have_challenge = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (ec_card_args_finish(&args) != EXIT_OK)
		goto usage_quiet;
	if (outdir != NULL && mkdir(outdir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "eid-card: cannot create %s: %s\n", outdir, strerror(errno));
		goto out;
	}
	if ((ex = ec_card_read(&args, have_challenge ? challenge : NULL, &res, &chosen)) != EXIT_OK)
		goto out;
	ex = EXIT_OTHER;
	if (outdir != NULL) {
		for (f = 0; f < CARD_FILE_COUNT; f++) {
			if (res->file[f] == NULL)
				continue;
			if (write_file(outdir, card_file_name((enum card_file)f), res->file[f],
			    res->file_len[f]) != 0) {
				fprintf(stderr, "eid-card: cannot write the files into %s\n", outdir);
				goto out;
			}
		}
		if (res->aa_signature != NULL && write_file(outdir, "AA_signature",
		    res->aa_signature, res->aa_signature_len) != 0) {
			fprintf(stderr, "eid-card: cannot write the files into %s\n", outdir);
			goto out;
		}
	}
	if (report(res, chosen, have_challenge ? challenge : NULL, as_json) != 0) {
		fprintf(stderr, "eid-card: out of memory\n");
		goto out;
	}
	ex = EXIT_OK;
	goto out;
usage:
	usage(stderr);
usage_quiet:
	ex = EXIT_USAGE;
out:
	ec_card_args_wipe(&args);
	card_read_result_free(&res);
	free(chosen);
	return ex;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("eid-card %s\n", EID_VERSION);
		return EXIT_OK;
	}
	if (cx_init() != 0) {
		fprintf(stderr, "eid-card: cannot initialise libsodium\n");
		return EXIT_OTHER;
	}
	if (strcmp(argv[1], "read") == 0)
		return cmd_read(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return ec_cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "bind") == 0 || strcmp(argv[1], "login") == 0)
		return ec_cmd_card_code(argv[1], argc - 1, argv + 1);
	fprintf(stderr, "eid-card: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
