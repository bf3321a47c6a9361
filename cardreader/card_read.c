/* card_read.c - a reading session: access control, files, active authentication
 * (see card_read.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "eid_limits.h"
#include "card_apdu.h"
#include "card_bac.h"
#include "card_ca.h"
#include "card_pace.h"
#include "card_read.h"
#include "card_sm.h"
#include "card_tlv.h"

#define READ_CHUNK        0xDF  /* plain bytes per READ BINARY; fits a short SM answer */
#define READ_HEADER       8     /* first read: tag (<= 3) + length (<= 4) */
#define READ_MAX_ROUNDS   (EID_DG_MAX_BYTES / 16)

static const uint8_t emrtd_aid[] = { 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };

static const struct {
	const char *name;
	uint16_t fid;
	int required;
} files[CARD_FILE_COUNT] = {
	[CARD_FILE_CARDACCESS] = { "EF_CardAccess", 0x011C, 0 },
	[CARD_FILE_COM] = { "EF_COM", 0x011E, 0 },
	[CARD_FILE_DG1] = { "DG1", 0x0101, 1 },
	[CARD_FILE_DG2] = { "DG2", 0x0102, 0 },
	[CARD_FILE_DG13] = { "DG13", 0x010D, 0 },
	[CARD_FILE_DG14] = { "DG14", 0x010E, 0 },
	[CARD_FILE_DG15] = { "DG15", 0x010F, 0 },
	[CARD_FILE_SOD] = { "EF_SOD", 0x011D, 0 },
};

const char *
card_file_name(enum card_file f)
{
	return (unsigned)f < CARD_FILE_COUNT ? files[f].name : "?";
}

const char *
card_access_name(enum card_access a)
{
	switch (a) {
	case CARD_ACCESS_BAC:
		return "BAC";
	case CARD_ACCESS_PACE_MRZ:
		return "PACE-MRZ";
	case CARD_ACCESS_PACE_CAN:
		return "PACE-CAN";
	default:
		return "none";
	}
}

struct session {
	struct card_transport *t;
	struct card_sm *sm;             /* NULL: plain */
	uint8_t *cmd;                   /* protected command buffer */
	uint8_t *resp;                  /* raw response buffer */
	uint8_t *data;                  /* plain response data */
};

#define SESSION_BUF (EID_APDU_MAX_RESPONSE + CARD_SM_RESP_OVERHEAD + CARD_APDU_OVERHEAD)

/* Send a (plain or protected, per s->sm); plain answer data in s->data[0..*dlen). */
static int
xfer(struct session *s, const struct card_apdu *a, size_t *dlen, uint16_t *sw)
{
	size_t clen, rlen = SESSION_BUF;
	int r;

	*dlen = 0;
	*sw = 0;
	if (s->sm == NULL) {
		struct card_rapdu ra;

		if ((r = card_transport_send(s->t, a, s->resp, SESSION_BUF, &ra)) != 0)
			return r;
		if (ra.len > EID_APDU_MAX_RESPONSE)
			return EID_ERR_TOO_LARGE;
		if (ra.len > 0)
			memcpy(s->data, ra.data, ra.len);
		*dlen = ra.len;
		*sw = ra.sw;
		return EID_OK;
	}
	if ((r = card_sm_protect(s->sm, a, s->cmd, SESSION_BUF, &clen)) != 0)
		return r;
	if ((r = s->t->transmit(s->t->ctx, s->cmd, clen, s->resp, &rlen)) != 0)
		return r;
	return card_sm_unprotect(s->sm, s->resp, rlen, s->data, EID_APDU_MAX_RESPONSE, dlen, sw);
}

static int
select_fid(struct session *s, uint16_t fid)
{
	uint8_t d[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	struct card_apdu a;
	size_t n;
	uint16_t sw;
	int r;

	card_apdu_set(&a, 0x00, 0xA4, 0x02, 0x0C, d, 2, 0);
	if ((r = xfer(s, &a, &n, &sw)) != 0)
		return r;
	if (sw == CARD_SW_OK)
		return EID_OK;
	if (sw == CARD_SW_FILE_NOT_FOUND)
		return EID_ERR_NOT_FOUND;
	if (sw == CARD_SW_SECURITY_NOT_SATISFIED)
		return EID_ERR_ACCESS_DENIED;
	return EID_ERR_APDU;
}

/* READ BINARY of want bytes at off into out; *got = bytes returned. */
static int
read_binary(struct session *s, size_t off, size_t want, uint8_t *out, size_t *got, uint16_t *sw)
{
	struct card_apdu a;
	uint8_t d[5];
	size_t n;
	int r;

	*got = 0;
	if (off <= 0x7FFF) {
		card_apdu_set(&a, 0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0, want);
	} else {
		/* odd INS: offset in DO'54', data comes back in DO'53' */
		d[0] = 0x54;
		d[1] = 3;
		d[2] = (uint8_t)(off >> 16);
		d[3] = (uint8_t)(off >> 8);
		d[4] = (uint8_t)off;
		card_apdu_set(&a, 0x00, 0xB1, 0x00, 0x00, d, sizeof(d), want + 4);
	}
	if ((r = xfer(s, &a, &n, sw)) != 0)
		return r;
	if (*sw != CARD_SW_OK && *sw != CARD_SW_END_OF_FILE)
		return *sw == CARD_SW_SECURITY_NOT_SATISFIED ? EID_ERR_ACCESS_DENIED : EID_ERR_APDU;
	if (a.ins == 0xB1) {
		struct card_tlv t;

		if (card_tlv_parse_one(s->data, n, 0x53, &t) != 0)
			return EID_ERR_APDU;
		n = t.len;
		memmove(s->data, t.value, n);
	}
	if (n > want)
		return EID_ERR_APDU;
	memcpy(out, s->data, n);
	*got = n;
	return EID_OK;
}

/* Total length (header + value) from the first bytes of a BER-TLV file. */
static int
tlv_total(const uint8_t *h, size_t n, size_t *total)
{
	size_t i = 1, len = 0, k, nl;

	if (n < 2 || h[0] == 0x00 || h[0] == 0xFF)
		return EID_ERR_LDS;
	if ((h[0] & 0x1F) == 0x1F) {
		while (i < n && i < 3 && (h[i] & 0x80))
			i++;
		i++;
	}
	if (i >= n)
		return EID_ERR_LDS;
	if (h[i] < 0x80) {
		len = h[i++];
	} else {
		nl = h[i++] & 0x7F;
		if (nl == 0 || nl > 3 || i + nl > n)
			return EID_ERR_LDS;
		for (k = 0; k < nl; k++)
			len = (len << 8) | h[i++];
	}
	*total = i + len;
	return EID_OK;
}

/* Select and read one whole file. */
static int
read_file(struct session *s, uint16_t fid, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL;
	size_t total, have, got, rounds = 0;
	uint16_t sw;
	int r;

	*out = NULL;
	*outlen = 0;
	if ((r = select_fid(s, fid)) != 0)
		return r;
	if ((buf = malloc(READ_HEADER)) == NULL)
		return EID_ERR_NOMEM;
	if ((r = read_binary(s, 0, READ_HEADER, buf, &have, &sw)) != 0)
		goto out;
	if ((r = tlv_total(buf, have, &total)) != 0)
		goto out;
	r = EID_ERR_TOO_LARGE;
	if (total > EID_DG_MAX_BYTES)
		goto out;
	r = EID_ERR_LDS;
	if (have > total || (have < total && sw == CARD_SW_END_OF_FILE))
		goto out;
	{
		uint8_t *nb = realloc(buf, total);

		if (nb == NULL) {
			r = EID_ERR_NOMEM;
			goto out;
		}
		buf = nb;
	}
	while (have < total) {
		size_t want = total - have;

		if (want > READ_CHUNK)
			want = READ_CHUNK;
		r = EID_ERR_LDS;
		if (++rounds > READ_MAX_ROUNDS)
			goto out;
		if ((r = read_binary(s, have, want, buf + have, &got, &sw)) != 0)
			goto out;
		r = EID_ERR_LDS;
		if (got == 0 || (got < want && sw != CARD_SW_END_OF_FILE && got + have < total))
			goto out;
		have += got;
		if (have < total && sw == CARD_SW_END_OF_FILE)
			goto out;
	}
	*out = buf;
	*outlen = total;
	buf = NULL;
	r = EID_OK;
out:
	free(buf);
	return r;
}

static int
select_aid(struct session *s)
{
	struct card_apdu a;
	size_t n;
	uint16_t sw;
	int r;

	card_apdu_set(&a, 0x00, 0xA4, 0x04, 0x0C, emrtd_aid, sizeof(emrtd_aid), 0);
	if ((r = xfer(s, &a, &n, &sw)) != 0)
		return r;
	return sw == CARD_SW_OK ? EID_OK : EID_ERR_CARD_UNSUPPORTED;
}

/* Try PACE: 0 with s->sm set; EID_ERR_UNSUPPORTED when the chip offers no usable PACE. */
static int
try_pace(struct session *s, const struct card_read_opts *o, struct card_read_result *res)
{
	struct card_pace_info info;
	enum card_pace_pw type = o->can != NULL ? CARD_PACE_CAN : CARD_PACE_MRZ;
	const char *pw = o->can != NULL ? o->can : o->mrz_info;
	uint8_t *ca = NULL;
	size_t calen = 0;
	int r;

	r = read_file(s, files[CARD_FILE_CARDACCESS].fid, &ca, &calen);
	if (r == EID_ERR_NOT_FOUND || r == EID_ERR_APDU || r == EID_ERR_LDS ||
	    r == EID_ERR_ACCESS_DENIED)
		return EID_ERR_UNSUPPORTED;
	if (r != 0)
		return r;
	res->file[CARD_FILE_CARDACCESS] = ca;
	res->file_len[CARD_FILE_CARDACCESS] = calen;
	if (card_pace_parse_card_access(ca, calen, &info) != 0)
		return EID_ERR_UNSUPPORTED;
	if ((r = card_pace_perform(s->t, &info, type, pw, o->rnd, &s->sm)) != 0)
		return r;
	res->access = type == CARD_PACE_CAN ? CARD_ACCESS_PACE_CAN : CARD_ACCESS_PACE_MRZ;
	return select_aid(s);
}

static int
access_control(struct session *s, const struct card_read_opts *o, struct card_read_result *res)
{
	int r = EID_ERR_UNSUPPORTED, want_pace;

	want_pace = o->pref != CARD_PREF_BAC && (o->can != NULL || o->mrz_info != NULL);
	if (want_pace) {
		r = try_pace(s, o, res);
		if (r == 0)
			return EID_OK;
		card_sm_free(&s->sm);
		res->access = CARD_ACCESS_NONE;
		if (r == EID_ERR_CARD_REMOVED || r == EID_ERR_NO_CARD || r == EID_ERR_NOMEM)
			return r;
		if (o->pref == CARD_PREF_PACE || o->mrz_info == NULL)
			return r == EID_ERR_UNSUPPORTED ? EID_ERR_CARD_UNSUPPORTED : r;
		if (r != EID_ERR_UNSUPPORTED)
			res->pace_failed = 1;
		/* start over from a fresh card state for BAC */
		if (res->pace_failed && s->t->reconnect != NULL && (r = s->t->reconnect(s->t->ctx)) != 0)
			return r;
	}
	if (o->mrz_info == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = select_aid(s)) != 0)
		return r;
	if ((r = card_bac_perform(s->t, o->mrz_info, o->rnd, &s->sm)) != 0)
		return r;
	res->access = CARD_ACCESS_BAC;
	return EID_OK;
}

static int
active_auth(struct session *s, const uint8_t challenge[8], struct card_read_result *res)
{
	struct card_apdu a;
	size_t n;
	uint16_t sw;
	int r;

	card_apdu_set(&a, 0x00, 0x88, 0x00, 0x00, challenge, 8, CARD_APDU_LE_EXT_MAX);
	if ((r = xfer(s, &a, &n, &sw)) != 0)
		return r;
	if (sw != CARD_SW_OK || n == 0)
		return EID_ERR_ACTIVE_AUTH;
	if ((res->aa_signature = malloc(n)) == NULL)
		return EID_ERR_NOMEM;
	memcpy(res->aa_signature, s->data, n);
	res->aa_signature_len = n;
	return EID_OK;
}

/* The transport failed (card gone, reader gone): the session cannot go on. */
static int
transport_error(int r)
{
	return r == EID_ERR_CARD_REMOVED || r == EID_ERR_NO_CARD || r == EID_ERR_NO_READER ||
	    r == EID_ERR_PCSC || r == EID_ERR_NOMEM;
}

/* Chip Authentication with the DG14 key (card_read.h step 4). Returns an error only
 * for transport failures; the outcome goes to res->chip_auth. */
static int
chip_auth(struct session *s, struct card_read_result *res)
{
	static const uint8_t zero_ssc[16];
	struct card_ca_params p;
	EVP_PKEY *eph = NULL;
	struct card_apdu a;
	uint8_t mse[32], ga[4 + CARD_CA_MAX_POINT], kenc[CARD_SM_KEY_LEN], kmac[CARD_SM_KEY_LEN];
	uint8_t *again = NULL;
	size_t n, mlen, plen, alen = 0;
	uint16_t sw;
	int r;

	memset(&p, 0, sizeof(p));
	res->chip_auth = CARD_CHECK_NOT_PERFORMED;
	if (res->file[CARD_FILE_DG14] == NULL) {
		res->chip_auth_note = "dg14_missing";
		return EID_OK;
	}
	if (s->sm == NULL) {
		res->chip_auth_note = "no_secure_messaging";
		return EID_OK;
	}
	r = card_ca_params_from_dg14(res->file[CARD_FILE_DG14], res->file_len[CARD_FILE_DG14], &p);
	if (r == EID_ERR_NOMEM)
		return r;
	if (r != 0) {
		res->chip_auth_note = r == EID_ERR_UNSUPPORTED ? "ca_unsupported" : "dg14_invalid";
		return EID_OK;
	}
	if ((r = card_ca_mse_data(&p, mse, sizeof(mse), &mlen)) != 0 ||
	    (r = card_ca_ephemeral(&p, &eph)) != 0 ||
	    (r = card_ca_public_point(eph, ga + 4, sizeof(ga) - 4, &plen)) != 0 || plen > 125) {
		res->chip_auth_note = "ca_unsupported";
		r = EID_OK;
		goto out;
	}
	/* from here on the chip has been asked: anything but success is a failure */
	res->chip_auth = CARD_CHECK_FAIL;
	res->chip_auth_note = "ca_refused";
	card_apdu_set(&a, 0x00, 0x22, 0x41, 0xA4, mse, mlen, 0);
	if ((r = xfer(s, &a, &n, &sw)) != 0 || sw != CARD_SW_OK)
		goto fail;
	ga[0] = 0x7C;
	ga[1] = (uint8_t)(2 + plen);
	ga[2] = 0x80;
	ga[3] = (uint8_t)plen;
	card_apdu_set(&a, 0x00, 0x86, 0x00, 0x00, ga, 4 + plen, CARD_APDU_LE_SHORT_MAX);
	if ((r = xfer(s, &a, &n, &sw)) != 0 || sw != CARD_SW_OK)
		goto fail;
	/* new keys; the GA answer above still came under the old ones */
	if ((r = card_ca_session_keys(eph, p.chip_key, kenc, kmac)) != 0)
		goto fail;
	card_sm_free(&s->sm);
	if ((r = card_sm_new(CARD_SM_AES128, kenc, kmac, zero_ssc, sizeof(zero_ssc), &s->sm)) != 0)
		goto fail;
	res->chip_auth_note = "ca_keys_rejected";
	if ((r = read_file(s, files[CARD_FILE_DG14].fid, &again, &alen)) != 0)
		goto fail;
	if (alen != res->file_len[CARD_FILE_DG14] ||
	    memcmp(again, res->file[CARD_FILE_DG14], alen) != 0) {
		res->chip_auth_note = "dg14_changed";
		r = EID_OK;
		goto out;
	}
	res->chip_auth = CARD_CHECK_PASS;
	res->chip_auth_note = NULL;
	r = EID_OK;
	goto out;
fail:
	/* a failed CA ends the chip's SM session: nothing more is read */
	card_sm_free(&s->sm);
	if (!transport_error(r))
		r = EID_OK;
out:
	if (again != NULL) {
		sodium_memzero(again, alen);
		free(again);
	}
	sodium_memzero(kenc, sizeof(kenc));
	sodium_memzero(kmac, sizeof(kmac));
	EVP_PKEY_free(eph);
	card_ca_params_clear(&p);
	return r;
}

int
card_read_session(struct card_transport *t, const struct card_read_opts *o,
    struct card_read_result **out)
{
	return card_read_session_flags(t, o, 0, out);
}

int
card_read_session_flags(struct card_transport *t, const struct card_read_opts *o,
    unsigned flags, struct card_read_result **out)
{
	struct session s = { 0 };
	struct card_read_result *res = NULL;
	int r = EID_ERR_NOMEM, f;

	*out = NULL;
	if (t == NULL || o == NULL || (o->mrz_info == NULL && o->can == NULL))
		return EID_ERR_INVALID_ARGUMENT;
	s.t = t;
	if ((res = calloc(1, sizeof(*res))) == NULL || (s.cmd = malloc(SESSION_BUF)) == NULL ||
	    (s.resp = malloc(SESSION_BUF)) == NULL || (s.data = malloc(SESSION_BUF)) == NULL)
		goto out;
	if ((r = access_control(&s, o, res)) != 0)
		goto out;
	for (f = CARD_FILE_COM; f < CARD_FILE_COUNT; f++) {
		r = read_file(&s, files[f].fid, &res->file[f], &res->file_len[f]);
		if ((r == EID_ERR_NOT_FOUND || r == EID_ERR_ACCESS_DENIED) && !files[f].required)
			continue;
		if (r == EID_ERR_NOT_FOUND || r == EID_ERR_ACCESS_DENIED)
			r = EID_ERR_LDS;
		if (r != 0)
			goto out;
	}
	if (o->aa_challenge != NULL && res->file[CARD_FILE_DG15] != NULL &&
	    (r = active_auth(&s, o->aa_challenge, res)) != 0)
		goto out;
	res->chip_auth = CARD_CHECK_NOT_PERFORMED;
	res->chip_auth_note = "not_requested";
	if ((flags & CARD_READ_CHIP_AUTH) && (r = chip_auth(&s, res)) != 0)
		goto out;
	*out = res;
	res = NULL;
	r = EID_OK;
out:
	card_sm_free(&s.sm);
	if (s.data != NULL)
		sodium_memzero(s.data, SESSION_BUF);
	free(s.cmd);
	free(s.resp);
	free(s.data);
	card_read_result_free(&res);
	return r;
}

void
card_read_result_free(struct card_read_result **rp)
{
	struct card_read_result *r;
	int f;

	if (rp == NULL || (r = *rp) == NULL)
		return;
	for (f = 0; f < CARD_FILE_COUNT; f++) {
		if (r->file[f] != NULL)
			sodium_memzero(r->file[f], r->file_len[f]);
		free(r->file[f]);
	}
	free(r->aa_signature);
	sodium_memzero(r, sizeof(*r));
	free(r);
	*rp = NULL;
}
