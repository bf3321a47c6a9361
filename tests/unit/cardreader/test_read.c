/* test_read.c - cardreader/card_read.c: whole reading sessions over the replay transport,
 * from traces recorded with trace_record against vchip behind a real pcscd (cccd1):
 * BAC + Active Authentication, PACE with the CAN, a wrong MRZ; plus the card removed at
 * every point of a session, and the AA signature checked against DG15. */
#include "card_aa.h"
#include "card_lds.h"
#include "card_read.h"
#include "card_transport.h"
#include "tdata.h"
#include "trnd.h"

static const char *vdir, *tdir;
static const uint8_t challenge[8] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };

static const char *const spec_names[CARD_FILE_COUNT] = {
	"EF.CardAccess", "EF.COM", "DG1", "DG2", "DG13", "DG14", "DG15", "EF.SOD",
};

static int
same_as_specimen(const struct card_read_result *res, int with_cardaccess)
{
	char path[1024];
	int f;

	for (f = with_cardaccess ? 0 : 1; f < CARD_FILE_COUNT; f++) {
		unsigned char *b;
		size_t n;
		int same;

		snprintf(path, sizeof(path), "%s/cccd/cards/cccd1/%s.bin", vdir, spec_names[f]);
		b = t_read_file(path, &n);
		same = res->file[f] != NULL && res->file_len[f] == n && memcmp(b, res->file[f], n) == 0;
		free(b);
		if (!same) {
			printf("# %s differs\n", spec_names[f]);
			return 0;
		}
	}
	return 1;
}

static struct card_transport *
load(const char *name)
{
	char path[1024];
	struct card_transport *t = NULL;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	if (card_transport_replay_load(path, &t) != 0)
		return NULL;
	trnd_reset();
	return t;
}

T_CASE(bac_session_with_aa)
{
	struct card_read_opts o = { "090012345090031523003150", NULL, CARD_PREF_BAC, challenge, trnd };
	struct card_transport *t = load("cccd1_bac_aa.trace");
	struct card_read_result *res = NULL;
	EVP_PKEY *pk = NULL;
	int v;

	T_ASSERT(t != NULL);
	T_EQ_INT(card_read_session(t, &o, &res), 0);
	T_EQ_INT(card_transport_replay_left(t), 0);
	card_transport_free(&t);
	T_EQ_INT(res->access, CARD_ACCESS_BAC);
	T_ASSERT(res->file[CARD_FILE_CARDACCESS] == NULL);
	v = same_as_specimen(res, 0);
	if (v && res->aa_signature != NULL &&
	    card_lds_dg15_parse(res->file[CARD_FILE_DG15], res->file_len[CARD_FILE_DG15], &pk) == 0)
		v = card_aa_verify(pk, challenge, 8, res->aa_signature, res->aa_signature_len,
		    NULL) == 0;
	else
		v = 0;
	EVP_PKEY_free(pk);
	card_read_result_free(&res);
	T_ASSERT(res == NULL);
	T_ASSERT(v);
}

T_CASE(pace_can_session)
{
	struct card_read_opts o = { NULL, "012345", CARD_PREF_AUTO, NULL, trnd };
	struct card_transport *t = load("cccd1_pace_can.trace");
	struct card_read_result *res = NULL;
	int v;

	T_ASSERT(t != NULL);
	T_EQ_INT(card_read_session(t, &o, &res), 0);
	T_EQ_INT(card_transport_replay_left(t), 0);
	card_transport_free(&t);
	T_EQ_INT(res->access, CARD_ACCESS_PACE_CAN);
	T_EQ_STR(card_access_name(res->access), "PACE-CAN");
	v = same_as_specimen(res, 1);
	card_read_result_free(&res);
	T_ASSERT(v);
}

T_CASE(wrong_mrz_session)
{
	struct card_read_opts o = { "090012346090031523003150", NULL, CARD_PREF_BAC, NULL, trnd };
	struct card_transport *t = load("cccd1_bac_wrong_mrz.trace");
	struct card_read_result *res = NULL;

	T_ASSERT(t != NULL);
	T_EQ_INT(card_read_session(t, &o, &res), EID_ERR_ACCESS_DENIED);
	card_transport_free(&t);
	T_ASSERT(res == NULL);
}

/* Cut the BAC trace after k pairs: the session must end with CARD_REMOVED every time. */
T_CASE(card_removed_everywhere)
{
	char path[1024], line[4096];
	static uint8_t cmd[512][300], resp[512][300];
	struct card_replay_pair p[512];
	struct card_read_opts o = { "090012345090031523003150", NULL, CARD_PREF_BAC, challenge, trnd };
	size_t np = 0, k;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cccd1_bac_aa.trace", tdir);
	T_ASSERT((f = fopen(path, "r")) != NULL);
	while (np < 512 && fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '>') {
			p[np].cmd = cmd[np];
			p[np].cmd_len = hex2bin(line + 2, cmd[np], sizeof(cmd[np]));
		} else if (line[0] == '<') {
			p[np].resp = resp[np];
			p[np].resp_len = hex2bin(line + 2, resp[np], sizeof(resp[np]));
			np++;
		}
	}
	fclose(f);
	T_ASSERT(np > 10);
	for (k = 0; k < np; k++) {
		struct card_transport *t = NULL;
		struct card_read_result *res = NULL;
		int r;

		T_EQ_INT(card_transport_replay_new(p, k, &t), 0);
		trnd_reset();
		r = card_read_session(t, &o, &res);
		card_transport_free(&t);
		if (r != EID_ERR_CARD_REMOVED || res != NULL) {
			card_read_result_free(&res);
			T_FAIL("cut after %zu pairs: %d", k, r);
		}
	}
}

T_CASE(names_and_arguments)
{
	struct card_read_opts o = { 0 };
	struct card_read_result *res = NULL;
	struct card_transport *t = NULL;

	T_EQ_STR(card_file_name(CARD_FILE_SOD), "EF_SOD");
	T_EQ_STR(card_file_name(CARD_FILE_DG13), "DG13");
	T_EQ_STR(card_access_name(CARD_ACCESS_NONE), "none");
	T_EQ_INT(card_transport_replay_new(NULL, 0, &t), 0);
	T_EQ_INT(card_read_session(t, &o, &res), EID_ERR_INVALID_ARGUMENT);
	/* an empty record is a card that is not there */
	o.can = "012345";
	T_EQ_INT(card_read_session(t, &o, &res), EID_ERR_CARD_REMOVED);
	card_transport_free(&t);
	card_read_result_free(&res);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_read VECTORS_DIR TRACES_DIR\n");
		return 2;
	}
	vdir = argv[1];
	tdir = argv[2];
	T_RUN(bac_session_with_aa);
	T_RUN(pace_can_session);
	T_RUN(wrong_mrz_session);
	T_RUN(card_removed_everywhere);
	T_RUN(names_and_arguments);
	return t_done();
}
