/*
 * test_card.c - the pure parts of level 2 with the chip card (srv_card.c): one-time code
 * format and normalisation, card references, and THE RULE of srv_card_decide on
 * verdicts shaped like srv_documents_verify()'s, with the real DG13 of the cccd1 test card.
 * argv[1]: tests/vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../t.h"
#include "cx_util.h"
#include "srv_card.h"

static const char *vectors;

T_CASE(code_new_uses_the_alphabet_only)
{
	char c[SRV_CARD_CODE_LEN], n[SRV_CARD_CODE_LEN], prev[SRV_CARD_CODE_LEN] = "";
	int i, j, seen[32] = { 0 }, same = 0;

	for (i = 0; i < 1000; i++) {
		srv_card_code_new(c);
		T_EQ_INT(strlen(c), SRV_CARD_CODE_CHARS);
		for (j = 0; j < SRV_CARD_CODE_CHARS; j++) {
			const char *p = strchr(srv_card_code_alphabet, c[j]);

			T_ASSERT(p != NULL && c[j] != '\0');
			T_ASSERT(c[j] != '0' && c[j] != '1' && c[j] != 'O' && c[j] != 'I');
			seen[p - srv_card_code_alphabet]++;
		}
		T_ASSERT(srv_card_code_normalize(c, n) == 0);
		T_EQ_STR(n, c);
		same += strcmp(c, prev) == 0;
		memcpy(prev, c, sizeof(c));
	}
	T_EQ_INT(same, 0);
	/* 8000 draws over 32 symbols: each about 250 times */
	for (j = 0; j < 32; j++)
		T_ASSERT(seen[j] > 150 && seen[j] < 370);
}

T_CASE(code_normalize_accepts_what_people_type)
{
	char n[SRV_CARD_CODE_LEN];

	T_ASSERT(srv_card_code_normalize("ABCD-EFGH", n) == 0);
	T_EQ_STR(n, "ABCDEFGH");
	T_ASSERT(srv_card_code_normalize("abcd-efgh", n) == 0);
	T_EQ_STR(n, "ABCDEFGH");
	T_ASSERT(srv_card_code_normalize("  k7m2 x9pq ", n) == 0);
	T_EQ_STR(n, "K7M2X9PQ");
	T_ASSERT(srv_card_code_normalize("K-7-M-2-X-9-P-Q", n) == 0);
	T_EQ_STR(n, "K7M2X9PQ");
}

T_CASE(code_normalize_refuses_the_rest)
{
	static const char *const bad[] = {
		"", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFG1", "ABCD-EFGO", "ABCD-EFGI",
		"ABCD_EFGH", "ABCD.EFGH", "ABCD\tEFGH", "ABCD\303\251EFG" /* ABCDéEFG */, "ABCDEFGH\n",
		"A-B-C-D-E-F-G-H-------------------", "ABCD-EFGH%00",
	};
	char n[SRV_CARD_CODE_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(n, "XXXXXXXX", 9);
		if (srv_card_code_normalize(bad[i], n) != EID_ERR_FORMAT)
			T_FAIL("accepted bad code #%zu", i);
		T_EQ_STR(n, "");
	}
	T_ASSERT(srv_card_code_normalize(NULL, n) == EID_ERR_FORMAT);
}

T_CASE(code_show_groups_by_four)
{
	char s[SRV_CARD_CODE_SHOWN];

	srv_card_code_show("K7M2X9PQ", s);
	T_EQ_STR(s, "K7M2-X9PQ");
}

T_CASE(card_ref_is_keyed_and_separates_fields)
{
	uint8_t k1[32], k2[32], a[32], b[32];

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	srv_card_ref(k1, "VNM", "012345678", a);
	srv_card_ref(k1, "VNM", "012345678", b);
	T_EQ_MEM(a, 32, b, 32);
	srv_card_ref(k2, "VNM", "012345678", b);
	T_ASSERT(memcmp(a, b, 32) != 0);
	srv_card_ref(k1, "VNM", "012345679", b);
	T_ASSERT(memcmp(a, b, 32) != 0);
	srv_card_ref(k1, "VN", "M012345678", b);
	T_ASSERT(memcmp(a, b, 32) != 0);
}

/* A verdict as srv_documents_verify() builds it for a genuine cccd1 read with AA. */
static json_t *
verdict(const char *v, const char *sod, const char *hashes, const char *aa, const char *id)
{
	return json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s},s:[],s:{s:s,s:s,s:s,s:s?,s:s}}",
	    "verdict", v,
	    "checks", "sod_signature", sod, "document_signer", "pass", "data_group_hashes", hashes,
	    "active_authentication", aa, "chip_authentication", "not_performed",
	    "reasons",
	    "document", "document_code", "I", "issuing_state", "VNM", "document_number", "012345678",
	    "citizen_id", id, "expiry_date", "2036-05-16");
}

T_CASE(decide_binding_needs_everything)
{
	struct srv_card_decision d;
	json_t *v = verdict("valid", "pass", "pass", "pass", "001090012345");

	T_ASSERT(v != NULL);
	T_ASSERT(srv_card_decide(v, NULL, 0, "001090012345", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_OK);
	T_EQ_STR(d.error, "");
	T_EQ_STR(d.citizen_id, "001090012345");
	T_EQ_STR(d.document_number, "012345678");
	T_EQ_STR(d.issuing_state, "VNM");
	/* sign-in: no account to compare with */
	T_ASSERT(srv_card_decide(v, NULL, 0, NULL, &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_OK);
	/* another citizen's card */
	T_ASSERT(srv_card_decide(v, NULL, 0, "079305004567", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_ID_MISMATCH);
	T_EQ_STR(d.error, "citizen_id_mismatch");
	T_EQ_STR(d.citizen_id, "");
	T_ASSERT(srv_card_decide(v, NULL, 0, "00109001234", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_ID_MISMATCH);
	json_decref(v);
}

T_CASE(decide_passive_authentication_first)
{
	struct srv_card_decision d;
	json_t *v;

	/* a tampered card of another citizen: "not genuine", not "mismatch" */
	v = verdict("invalid", "pass", "fail", "pass", "079305004567");
	T_ASSERT(srv_card_decide(v, NULL, 0, "001090012345", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_GENUINE);
	T_EQ_STR(d.error, "card_not_genuine");
	json_decref(v);
	v = verdict("invalid", "fail", "pass", "pass", "001090012345");
	T_ASSERT(srv_card_decide(v, NULL, 0, "001090012345", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_GENUINE);
	json_decref(v);
	/* document_signer missing altogether */
	v = verdict("valid", "pass", "pass", "pass", "001090012345");
	json_object_del(json_object_get(v, "checks"), "document_signer");
	T_ASSERT(srv_card_decide(v, NULL, 0, "001090012345", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_GENUINE);
	json_decref(v);
}

T_CASE(decide_active_authentication_required)
{
	struct srv_card_decision d;
	json_t *v;

	/* a clone: genuine files, AA fails */
	v = verdict("invalid", "pass", "pass", "fail", "001090012345");
	T_ASSERT(srv_card_decide(v, NULL, 0, "001090012345", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_AUTHENTICATED);
	T_EQ_STR(d.error, "card_not_authenticated");
	json_decref(v);
	/* files without AA are a valid document for a bank, not enough for level 2 */
	v = verdict("valid", "pass", "pass", "not_performed", "001090012345");
	T_ASSERT(srv_card_decide(v, NULL, 0, "001090012345", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_AUTHENTICATED);
	json_decref(v);
}

T_CASE(decide_document_must_be_valid)
{
	struct srv_card_decision d;
	json_t *v;

	v = verdict("invalid", "pass", "pass", "pass", "001090012345");     /* e.g. expired */
	T_ASSERT(srv_card_decide(v, NULL, 0, "001090012345", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_VALID);
	T_EQ_STR(d.error, "card_not_valid");
	json_decref(v);
	v = verdict("valid", "pass", "pass", "pass", "00109001234");        /* 11 digits */
	T_ASSERT(srv_card_decide(v, NULL, 0, NULL, &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_VALID);
	json_decref(v);
	v = verdict("valid", "pass", "pass", "pass", "00109001234X");
	T_ASSERT(srv_card_decide(v, NULL, 0, NULL, &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_VALID);
	json_decref(v);
	v = verdict("valid", "pass", "pass", "pass", NULL);                  /* no ID in DG1 */
	T_ASSERT(srv_card_decide(v, NULL, 0, NULL, &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_VALID);
	json_decref(v);
	T_ASSERT(srv_card_decide(NULL, NULL, 0, NULL, &d) == EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_GENUINE);
}

T_CASE(decide_dg13_id_must_agree)
{
	struct srv_card_decision d;
	char path[1024];
	uint8_t *dg13, junk[] = { 0x6d, 0x03, 0x01, 0x02 };
	size_t len;
	json_t *v;

	snprintf(path, sizeof(path), "%s/cccd/cards/cccd1/DG13.bin", vectors);
	dg13 = t_read_file(path, &len);
	v = verdict("valid", "pass", "pass", "pass", "001090012345");
	T_ASSERT(srv_card_decide(v, dg13, len, "001090012345", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_OK);
	json_decref(v);
	/* DG1 says one citizen, DG13 another: refused even when DG1 matches the account */
	v = verdict("valid", "pass", "pass", "pass", "079305004567");
	T_ASSERT(srv_card_decide(v, dg13, len, "079305004567", &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_VALID);
	/* a DG13 that does not parse */
	T_ASSERT(srv_card_decide(v, junk, sizeof(junk), NULL, &d) == 0);
	T_EQ_INT(d.outcome, SRV_CARD_NOT_VALID);
	json_decref(v);
	free(dg13);
}

T_CASE(outcome_texts)
{
	T_EQ_STR(srv_card_outcome_error(SRV_CARD_ID_MISMATCH), "citizen_id_mismatch");
	T_EQ_STR(srv_card_outcome_error(SRV_CARD_NOT_VALID), "card_not_valid");
	T_ASSERT(strstr(srv_card_outcome_description(SRV_CARD_NOT_AUTHENTICATED), "active authentication") != NULL);
	T_ASSERT(strstr(srv_card_outcome_description(SRV_CARD_NOT_GENUINE), "passive authentication") != NULL);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_card VECTORS_DIR\n");
		return 2;
	}
	vectors = argv[1];
	if (cx_init() != 0)
		return 1;
	T_RUN(code_new_uses_the_alphabet_only);
	T_RUN(code_normalize_accepts_what_people_type);
	T_RUN(code_normalize_refuses_the_rest);
	T_RUN(code_show_groups_by_four);
	T_RUN(card_ref_is_keyed_and_separates_fields);
	T_RUN(decide_binding_needs_everything);
	T_RUN(decide_passive_authentication_first);
	T_RUN(decide_active_authentication_required);
	T_RUN(decide_document_must_be_valid);
	T_RUN(decide_dg13_id_must_agree);
	T_RUN(outcome_texts);
	return t_done();
}
