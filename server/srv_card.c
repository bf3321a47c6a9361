/* srv_card.c - one-time card codes, card references and the bind/sign-in rule (see srv_card.h). */
#include <string.h>

#include <sodium.h>

#include "card_lds.h"
#include "cx_util.h"
#include "srv_card.h"

const char srv_card_code_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

_Static_assert(sizeof(srv_card_code_alphabet) == 33, "32 symbols: 5 bits each, no modulo bias");

void
srv_card_code_new(char out[SRV_CARD_CODE_LEN])
{
	uint8_t rnd[SRV_CARD_CODE_CHARS];
	size_t i;

	cx_random(rnd, sizeof(rnd));
	for (i = 0; i < SRV_CARD_CODE_CHARS; i++)
		out[i] = srv_card_code_alphabet[rnd[i] & 31];
	out[SRV_CARD_CODE_CHARS] = '\0';
	cx_wipe(rnd, sizeof(rnd));
}

int
srv_card_code_normalize(const char *in, char out[SRV_CARD_CODE_LEN])
{
	size_t i, n = 0;

	out[0] = '\0';
	if (in == NULL || strlen(in) > SRV_CARD_CODE_INPUT_MAX)
		return EID_ERR_FORMAT;
	for (i = 0; in[i] != '\0'; i++) {
		char c = in[i];

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == '\0' || strchr(srv_card_code_alphabet, c) == NULL || n >= SRV_CARD_CODE_CHARS) {
			out[0] = '\0';
			return EID_ERR_FORMAT;
		}
		out[n++] = c;
	}
	if (n != SRV_CARD_CODE_CHARS) {
		out[0] = '\0';
		return EID_ERR_FORMAT;
	}
	out[n] = '\0';
	return 0;
}

void
srv_card_code_show(const char code[SRV_CARD_CODE_LEN], char out[SRV_CARD_CODE_SHOWN])
{
	memcpy(out, code, 4);
	out[4] = '-';
	memcpy(out + 5, code + 4, SRV_CARD_CODE_CHARS - 4);
	out[SRV_CARD_CODE_SHOWN - 1] = '\0';
}

void
srv_card_ref(const uint8_t key[32], const char *issuing_state, const char *document_number,
    uint8_t out[SRV_CARD_REF_BYTES])
{
	static const char domain[] = "eid-server card reference v1";
	crypto_generichash_state st;

	/* domain, then two NUL-terminated fields: no two (state, number) pairs collide */
	crypto_generichash_init(&st, key, 32, SRV_CARD_REF_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)domain, sizeof(domain));
	crypto_generichash_update(&st, (const unsigned char *)issuing_state, strlen(issuing_state) + 1);
	crypto_generichash_update(&st, (const unsigned char *)document_number, strlen(document_number) + 1);
	crypto_generichash_final(&st, out, SRV_CARD_REF_BYTES);
	cx_wipe(&st, sizeof(st));
}

const char *
srv_card_outcome_error(enum srv_card_outcome o)
{
	switch (o) {
	case SRV_CARD_OK: return "";
	case SRV_CARD_NOT_GENUINE: return "card_not_genuine";
	case SRV_CARD_NOT_AUTHENTICATED: return "card_not_authenticated";
	case SRV_CARD_NOT_VALID: return "card_not_valid";
	case SRV_CARD_ID_MISMATCH: return "citizen_id_mismatch";
	}
	return "card_not_valid";
}

const char *
srv_card_outcome_description(enum srv_card_outcome o)
{
	switch (o) {
	case SRV_CARD_OK:
		return "";
	case SRV_CARD_NOT_GENUINE:
		return "The card's data is not signed by a trusted issuer or was altered (passive "
		    "authentication failed).";
	case SRV_CARD_NOT_AUTHENTICATED:
		return "The chip did not prove that it is the original card (active authentication "
		    "failed or was not performed over this code's challenge).";
	case SRV_CARD_NOT_VALID:
		return "The card is expired or its data is incomplete or inconsistent.";
	case SRV_CARD_ID_MISMATCH:
		return "The card belongs to another citizen: its ID number is not the one of this "
		    "account.";
	}
	return "The card cannot be used.";
}

static const char *
str_at(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static int
is_pass(const json_t *verdict, const char *check)
{
	const char *v = str_at(verdict, "checks", check);

	return v != NULL && strcmp(v, "pass") == 0;
}

static int
twelve_digits(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[12] == '\0';
}

/* 1 when DG13 carries no citizen ID or the same one as DG1; 0 when it differs or DG13 does not parse. */
static int
dg13_consistent(const uint8_t *dg13, size_t len, const char *id)
{
	struct card_dg13 d;
	const struct card_dg13_field *f;
	int ok;

	if (dg13 == NULL)
		return 1;
	memset(&d, 0, sizeof(d));
	if (card_lds_dg13_parse(dg13, len, &d) != 0) {
		card_dg13_clear(&d);
		return 0;
	}
	f = card_dg13_get(&d, CARD_DG13_CITIZEN_ID);
	ok = f == NULL || f->nvalues == 0 || f->values[0] == NULL || strcmp(f->values[0], id) == 0;
	card_dg13_clear(&d);
	return ok;
}

static void
set_outcome(struct srv_card_decision *out, enum srv_card_outcome o)
{
	out->outcome = o;
	out->error = srv_card_outcome_error(o);
	out->description = srv_card_outcome_description(o);
}

int
srv_card_decide(const json_t *verdict, const uint8_t *dg13, size_t dg13_len,
    const char *account_id_number, struct srv_card_decision *out)
{
	const char *id, *num, *state, *vd;

	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	memset(out, 0, sizeof(*out));
	set_outcome(out, SRV_CARD_NOT_GENUINE);
	if (verdict == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	/* 1. passive authentication */
	if (!is_pass(verdict, "sod_signature") || !is_pass(verdict, "document_signer") ||
	    !is_pass(verdict, "data_group_hashes"))
		return 0;
	/* 2. active authentication over the fresh challenge */
	if (!is_pass(verdict, "active_authentication")) {
		set_outcome(out, SRV_CARD_NOT_AUTHENTICATED);
		return 0;
	}
	/* 3. a valid document with one consistent 12-digit ID */
	set_outcome(out, SRV_CARD_NOT_VALID);
	vd = json_string_value(json_object_get(verdict, "verdict"));
	id = str_at(verdict, "document", "citizen_id");
	num = str_at(verdict, "document", "document_number");
	state = str_at(verdict, "document", "issuing_state");
	if (vd == NULL || strcmp(vd, "valid") != 0 || !twelve_digits(id) || num == NULL ||
	    num[0] == '\0' || strlen(num) >= sizeof(out->document_number) || state == NULL ||
	    strlen(state) >= sizeof(out->issuing_state) || !dg13_consistent(dg13, dg13_len, id))
		return 0;
	/* 4. the account's citizen */
	if (account_id_number != NULL && !cx_ct_streq(id, account_id_number)) {
		set_outcome(out, SRV_CARD_ID_MISMATCH);
		return 0;
	}
	memcpy(out->citizen_id, id, 13);
	memcpy(out->document_number, num, strlen(num) + 1);
	memcpy(out->issuing_state, state, strlen(state) + 1);
	set_outcome(out, SRV_CARD_OK);
	return 0;
}
