/*
 * test_eac_interop.c - our terminal against chip-side code nobody here wrote: OpenPACE
 * (libeac) plays the chip.
 *
 *   PACE  an in-memory card_transport answers MSE:Set AT and the four GENERAL
 *         AUTHENTICATE steps with libeac's PICC steps (PACE_STEP1_enc_nonce,
 *         PACE_STEP3A/3B/3C, PACE_STEP3D), initialised from each CCCD test card's
 *         EF.CardAccess and CAN, or its printed MRZ (tests/vectors/cccd/cards.json);
 *         card_pace_perform must finish and libeac must accept our token. Then the chip
 *         serves SELECT / READ BINARY of EF.COM under libeac's secure messaging
 *         (EAC_verify_authentication, EAC_decrypt, EAC_encrypt, EAC_authenticate) and
 *         our card_sm must read the file; the same command protected under libeac's
 *         keys and ours gives the same bytes. A wrong CAN is refused by libeac (6300 ->
 *         EID_ERR_ACCESS_DENIED), a chip token that does not verify is refused by us, a
 *         tampered protected command is refused by libeac (6988).
 *   CA    libeac reads each card's DG14 (EAC_CTX_init_ef_cardaccess over the
 *         SecurityInfos), takes the DG14 private key (ca_key.pem, CA_set_key) and computes
 *         the shared secret with our ephemeral point (CA_STEP4); it must pick the same
 *         protocol and chip key as card_ca_params_from_dg14 and derive the same KSenc /
 *         KSmac as card_ca_session_keys. A chip holding another key (a clone) ends with
 *         other keys.
 *
 * libeac implements CA version 2 (TR-03110: the chip sends a nonce and a token, and
 * CA_STEP6_derive_keys checks the token). ICAO 9303 CA version 1, which CCCD chips
 * speak, has neither: the keys are KDF(K, 1) and KDF(K, 2) without a nonce. The chip
 * side here therefore calls CA_STEP6_derive_keys(ctx, NULL, NULL): libeac derives the
 * keys without a nonce, then reports that there is no token to check (-1, and two
 * "[ERROR]" lines on stderr per run: expected); the keys it derived stay in the CA
 * context and are the ones compared. Test code only.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/buffer.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <eac/ca.h>
#include <eac/eac.h>
#include <eac/objects.h>
#include <eac/pace.h>

#include "card_apdu.h"
#include "card_ca.h"
#include "card_mrz.h"
#include "card_pace.h"
#include "card_sm.h"
#include "card_tlv.h"
#include "card_transport.h"
#include "cx_util.h"
#include "tdata.h"

#define RUNS            16      /* fresh random keys per card and protocol */
#define MAX_CARDS       32

/* DER content of id-PACE-ECDH-GM-AES-CBC-CMAC-128 */
static const uint8_t pace_oid[] = { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02 };

static const char *vdir;

struct card {
	char id[32];
	char dir[64];
	char can[16];
	char mrz[96];                   /* the printed MRZ, lines joined */
};
static struct card cards[MAX_CARDS];
static size_t ncards;

static uint8_t *
card_file(const struct card *c, const char *name, size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/cccd/%s/%s", vdir, c->dir, name);
	return t_read_file(path, len);
}

/* The cards and their CANs from cards.json. */
static int
load_cards(void)
{
	char path[1024];
	json_t *root, *list, *c;
	size_t i;

	snprintf(path, sizeof(path), "%s/cccd/cards.json", vdir);
	if ((root = json_load_file(path, 0, NULL)) == NULL)
		return -1;
	list = json_object_get(root, "cards");
	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *dir = json_string_value(json_object_get(c, "dir"));
		const char *can = json_string_value(json_object_get(json_object_get(c, "access"),
		    "can"));
		json_t *lines = json_object_get(json_object_get(c, "mrz"), "lines"), *l;
		size_t j;

		if (ncards == MAX_CARDS || id == NULL || dir == NULL || can == NULL) {
			json_decref(root);
			return -1;
		}
		snprintf(cards[ncards].id, sizeof(cards[ncards].id), "%s", id);
		snprintf(cards[ncards].dir, sizeof(cards[ncards].dir), "%s", dir);
		snprintf(cards[ncards].can, sizeof(cards[ncards].can), "%s", can);
		json_array_foreach(lines, j, l) {
			size_t have = strlen(cards[ncards].mrz);

			snprintf(cards[ncards].mrz + have, sizeof(cards[ncards].mrz) - have, "%s",
			    json_string_value(l) != NULL ? json_string_value(l) : "");
		}
		ncards++;
	}
	json_decref(root);
	return ncards > 0 ? 0 : -1;
}

/* ---- the PACE chip: libeac behind a card_transport ---- */

enum chip_state { CHIP_MSE, CHIP_GA1, CHIP_GA2, CHIP_GA3, CHIP_GA4, CHIP_DONE, CHIP_REFUSED };

struct pace_chip {
	EAC_CTX *eac;
	PACE_SEC *pi;
	enum chip_state state;
	BUF_MEM *pk_ifd;                /* the terminal's ephemeral key, for T_IC */
	uint8_t pw_ref;                 /* MSE:Set AT 83: 01 MRZ, 02 CAN */
	int bad_token;                  /* send a T_IC with one bit flipped */
	/* after PACE: EF.COM behind libeac's secure messaging */
	uint8_t *ef_com;
	size_t ef_com_len;
	int selected;                   /* EF.COM selected */
	int sm_commands;                /* protected commands that verified */
};

static int
answer(uint8_t *resp, size_t *resp_len, uint8_t tag, const BUF_MEM *v)
{
	size_t n = 0;

	if (v == NULL || v->length > 120 || *resp_len < v->length + 6)
		return EID_ERR_TOO_LARGE;
	resp[n++] = 0x7C;
	resp[n++] = (uint8_t)(v->length + 2);
	resp[n++] = tag;
	resp[n++] = (uint8_t)v->length;
	memcpy(resp + n, v->data, v->length);
	n += v->length;
	resp[n++] = 0x90;
	resp[n++] = 0x00;
	*resp_len = n;
	return EID_OK;
}

static int
status(uint8_t *resp, size_t *resp_len, uint16_t sw)
{
	if (*resp_len < 2)
		return EID_ERR_TOO_LARGE;
	resp[0] = (uint8_t)(sw >> 8);
	resp[1] = (uint8_t)sw;
	*resp_len = 2;
	return EID_OK;
}

/* A BUF_MEM copy of buf (OpenSSL's API: libeac's own constructor is not in its headers). */
static BUF_MEM *
bufmem(const uint8_t *buf, size_t len)
{
	BUF_MEM *b = BUF_MEM_new();

	if (b == NULL || BUF_MEM_grow(b, len) != len) {
		BUF_MEM_free(b);
		return NULL;
	}
	memcpy(b->data, buf, len);
	return b;
}

/* The one data object inside 7C of a GENERAL AUTHENTICATE command, as a BUF_MEM. */
static BUF_MEM *
ga_object(const struct card_apdu *a, uint32_t tag)
{
	struct card_tlv outer, in;

	if (card_tlv_parse_one(a->data, a->lc, 0x7C, &outer) != 0 ||
	    card_tlv_find(outer.value, outer.len, tag, &in) != 0)
		return NULL;
	return bufmem(in.value, in.len);
}

static int
mse_ok(const struct card_apdu *a, uint8_t pw_ref)
{
	struct card_tlv oid, pw, pid;

	if (a->cla != 0x00 || a->p1 != 0xC1 || a->p2 != 0xA4 ||
	    card_tlv_find(a->data, a->lc, 0x80, &oid) != 0 ||
	    card_tlv_find(a->data, a->lc, 0x83, &pw) != 0 ||
	    card_tlv_find(a->data, a->lc, 0x84, &pid) != 0)
		return 0;
	return oid.len == sizeof(pace_oid) && memcmp(oid.value, pace_oid, sizeof(pace_oid)) == 0 &&
	    pw.len == 1 && pw.value[0] == pw_ref &&
	    pid.len == 1 && pid.value[0] == 0x0D;   /* brainpoolP256r1, as in EF.CardAccess */
}

/* Concatenate a and b into a new BUF_MEM, padded (ISO 9797-1 method 2) by libeac. */
static BUF_MEM *
padded_cat(const EAC_CTX *e, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t tmp[512];
	BUF_MEM *plain, *out;

	if (alen + blen > sizeof(tmp))
		return NULL;
	memcpy(tmp, a, alen);
	if (blen > 0)
		memcpy(tmp + alen, b, blen);
	if ((plain = bufmem(tmp, alen + blen)) == NULL)
		return NULL;
	out = EAC_add_iso_pad(e, plain);
	BUF_MEM_free(plain);
	return out;
}

/* A protected answer built with libeac: [87 01||E(data)] 99 SW 8E MAC, SW 9000. */
static int
sm_answer(struct pace_chip *c, const uint8_t *data, size_t len, uint16_t sw, uint8_t *resp,
    size_t *resp_len)
{
	uint8_t dos[300];
	BUF_MEM *pad = NULL, *enc = NULL, *mac = NULL;
	size_t n = 0;
	int r = EID_ERR_CRYPTO;

	if (EAC_increment_ssc(c->eac) != 1)
		return r;
	if (len > 0) {
		if ((pad = padded_cat(c->eac, data, len, NULL, 0)) == NULL ||
		    (enc = EAC_encrypt(c->eac, pad)) == NULL || enc->length + 1 > 127)
			goto out;
		dos[n++] = 0x87;
		dos[n++] = (uint8_t)(enc->length + 1);
		dos[n++] = 0x01;
		memcpy(dos + n, enc->data, enc->length);
		n += enc->length;
		BUF_MEM_clear_free(pad);
		pad = NULL;
	}
	dos[n++] = 0x99;
	dos[n++] = 0x02;
	dos[n++] = (uint8_t)(sw >> 8);
	dos[n++] = (uint8_t)sw;
	if ((pad = padded_cat(c->eac, dos, n, NULL, 0)) == NULL ||
	    (mac = EAC_authenticate(c->eac, pad)) == NULL || mac->length != 8 ||
	    *resp_len < n + 10 + 2)
		goto out;
	dos[n++] = 0x8E;
	dos[n++] = 0x08;
	memcpy(dos + n, mac->data, 8);
	n += 8;
	dos[n++] = 0x90;
	dos[n++] = 0x00;
	memcpy(resp, dos, n);
	*resp_len = n;
	r = EID_OK;
out:
	BUF_MEM_clear_free(pad);
	BUF_MEM_clear_free(enc);
	BUF_MEM_free(mac);
	return r;
}

/*
 * A protected command, checked and decrypted with libeac: SELECT EF.COM (00 A4 02 0C
 * {01 1E}) and READ BINARY of it. A MAC that does not verify gets a plain 6988.
 */
static int
sm_command(struct pace_chip *c, const struct card_apdu *a, uint8_t *resp, size_t *resp_len)
{
	uint8_t hdr[4];
	struct card_tlv do87, do97;
	BUF_MEM *macin = NULL, *mac = NULL, *cg = NULL, *pad = NULL, *plain = NULL;
	size_t body, off, want;
	int r = -1;

	hdr[0] = a->cla;
	hdr[1] = a->ins;
	hdr[2] = a->p1;
	hdr[3] = a->p2;
	if (a->cla != 0x0C || a->lc < 10 || a->data[a->lc - 10] != 0x8E ||
	    a->data[a->lc - 9] != 0x08 || EAC_increment_ssc(c->eac) != 1)
		return status(resp, resp_len, 0x6987);
	body = a->lc - 10;
	/* MAC input: pad(header) || DOs, padded; libeac puts the SSC in front */
	{
		BUF_MEM *h = padded_cat(c->eac, hdr, sizeof(hdr), NULL, 0);

		if (h != NULL)
			macin = padded_cat(c->eac, (const uint8_t *)h->data, h->length, a->data,
			    body);
		BUF_MEM_free(h);
	}
	mac = bufmem(a->data + body + 2, 8);
	if (macin == NULL || mac == NULL || EAC_verify_authentication(c->eac, macin, mac) != 1) {
		r = status(resp, resp_len, 0x6988);
		goto out;
	}
	c->sm_commands++;
	if (a->ins == 0xA4) {
		if (card_tlv_find(a->data, body, 0x87, &do87) != 0 || do87.len < 17 ||
		    do87.value[0] != 0x01 ||
		    (cg = bufmem(do87.value + 1, do87.len - 1)) == NULL ||
		    (pad = EAC_decrypt(c->eac, cg)) == NULL ||
		    (plain = EAC_remove_iso_pad(pad)) == NULL)
			goto out;
		c->selected = plain->length == 2 && memcmp(plain->data, "\x01\x1E", 2) == 0;
		r = sm_answer(c, NULL, 0, c->selected ? 0x9000 : 0x6A82, resp, resp_len);
	} else if (a->ins == 0xB0 && c->selected) {
		off = ((size_t)a->p1 << 8) | a->p2;
		if (card_tlv_find(a->data, body, 0x97, &do97) != 0 || do97.len != 1 ||
		    off > c->ef_com_len)
			goto out;
		want = do97.value[0] == 0 ? 256 : do97.value[0];
		if (want > c->ef_com_len - off)
			want = c->ef_com_len - off;
		r = sm_answer(c, c->ef_com + off, want, 0x9000, resp, resp_len);
	}
out:
	BUF_MEM_free(macin);
	BUF_MEM_free(mac);
	BUF_MEM_free(cg);
	BUF_MEM_clear_free(pad);
	BUF_MEM_clear_free(plain);
	return r == 0 ? EID_OK : status(resp, resp_len, 0x6A80);
}

static int
pace_chip_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
    size_t *resp_len)
{
	struct pace_chip *c = ctx;
	struct card_apdu a;
	BUF_MEM *in = NULL, *out = NULL;
	int r = EID_ERR_APDU;

	if (card_apdu_parse_command(cmd, cmd_len, &a) != 0)
		return status(resp, resp_len, 0x6700);
	if (c->state == CHIP_DONE)
		return sm_command(c, &a, resp, resp_len);
	if (a.ins == 0x22) {
		if (c->state != CHIP_MSE || !mse_ok(&a, c->pw_ref))
			return status(resp, resp_len, 0x6A80);
		c->state = CHIP_GA1;
		return status(resp, resp_len, 0x9000);
	}
	if (a.ins != 0x86 || a.p1 != 0 || a.p2 != 0 ||
	    a.cla != (c->state == CHIP_GA4 ? 0x00 : 0x10))
		return status(resp, resp_len, 0x6985);
	switch (c->state) {
	case CHIP_GA1:
		/* 7C 00 -> 7C{80 encrypted nonce} */
		if (a.lc != 2 || a.data[0] != 0x7C || a.data[1] != 0x00)
			break;
		out = PACE_STEP1_enc_nonce(c->eac, c->pi);
		r = answer(resp, resp_len, 0x80, out);
		break;
	case CHIP_GA2:
		/* 7C{81 PK_map,IFD} -> 7C{82 PK_map,IC}; G' from both */
		if ((in = ga_object(&a, 0x81)) == NULL ||
		    (out = PACE_STEP3A_generate_mapping_data(c->eac)) == NULL ||
		    PACE_STEP3A_map_generator(c->eac, in) != 1)
			break;
		r = answer(resp, resp_len, 0x82, out);
		break;
	case CHIP_GA3:
		/* 7C{83 PK_IFD} -> 7C{84 PK_IC}; K and the session keys */
		if ((in = ga_object(&a, 0x83)) == NULL ||
		    (out = PACE_STEP3B_generate_ephemeral_key(c->eac)) == NULL ||
		    PACE_STEP3B_compute_shared_secret(c->eac, in) != 1 ||
		    PACE_STEP3C_derive_keys(c->eac) != 1)
			break;
		c->pk_ifd = in;
		in = NULL;
		r = answer(resp, resp_len, 0x84, out);
		break;
	case CHIP_GA4:
		/* 7C{85 T_IFD} -> 7C{86 T_IC}, or 6300 when T_IFD does not verify */
		if ((in = ga_object(&a, 0x85)) == NULL)
			break;
		if (PACE_STEP3D_verify_authentication_token(c->eac, in) != 1) {
			c->state = CHIP_REFUSED;
			BUF_MEM_free(in);
			return status(resp, resp_len, 0x6300);
		}
		if ((out = PACE_STEP3D_compute_authentication_token(c->eac, c->pk_ifd)) == NULL)
			break;
		if (c->bad_token)
			out->data[0] ^= 0x01;
		/* from here on libeac's PACE keys protect the session, SSC 0 */
		if (EAC_CTX_set_encryption_ctx(c->eac, EAC_ID_PACE) != 1)
			break;
		r = answer(resp, resp_len, 0x86, out);
		break;
	default:
		break;
	}
	BUF_MEM_free(in);
	BUF_MEM_clear_free(out);
	if (r != 0)
		return status(resp, resp_len, 0x6A80);
	c->state++;
	return EID_OK;
}

static void
pace_chip_close(void *ctx)
{
	struct pace_chip *c = ctx;

	EAC_CTX_clear_free(c->eac);
	PACE_SEC_clear_free(c->pi);
	BUF_MEM_free(c->pk_ifd);
	free(c->ef_com);
	free(c);
}

/* A libeac chip for the card's EF.CardAccess and password (PACE_CAN: the CAN; PACE_MRZ:
 * the whole printed MRZ, which libeac reduces itself) behind a new transport. */
static struct card_transport *
pace_chip_new(const struct card *cd, enum s_type type, const char *pw,
    struct pace_chip **chip)
{
	struct card_transport *t = calloc(1, sizeof(*t));
	struct pace_chip *c = calloc(1, sizeof(*c));
	uint8_t *ca;
	size_t len;

	*chip = NULL;
	if (t == NULL || c == NULL) {
		free(t);
		free(c);
		return NULL;
	}
	ca = card_file(cd, "EF.CardAccess.bin", &len);
	c->eac = EAC_CTX_new();
	c->pi = PACE_SEC_new(pw, strlen(pw), type);
	c->pw_ref = type == PACE_MRZ ? 0x01 : 0x02;
	if (c->eac == NULL || c->pi == NULL || EAC_CTX_init_ef_cardaccess(ca, len, c->eac) != 1 ||
	    c->eac->pace_ctx == NULL) {
		free(ca);
		pace_chip_close(c);
		free(t);
		return NULL;
	}
	free(ca);
	c->ef_com = card_file(cd, "EF.COM.bin", &c->ef_com_len);
	t->ctx = c;
	t->transmit = pace_chip_transmit;
	t->close = pace_chip_close;
	*chip = c;
	return t;
}

/* Protect the same SELECT (data: encrypted under KSenc, MAC under KSmac) under our
 * session and under libeac's keys from our current SSC: equal bytes mean equal KSenc and
 * KSmac. (It moves our SSC on: the last thing done with a session.) */
static int
same_sm(struct card_sm *ours, const KA_CTX *theirs)
{
	static const uint8_t ef_com[] = { 0x01, 0x1E };
	struct card_sm *ref = NULL;
	struct card_apdu a;
	uint8_t o1[64], o2[64], ssc[16];
	size_t n1 = 0, n2 = 0;
	int ok = 0;

	if (theirs == NULL || theirs->k_enc == NULL || theirs->k_mac == NULL ||
	    theirs->k_enc->length != CARD_SM_KEY_LEN || theirs->k_mac->length != CARD_SM_KEY_LEN ||
	    card_sm_ssc(ours, ssc, sizeof(ssc)) != sizeof(ssc))
		return 0;
	card_apdu_set(&a, 0x00, 0xA4, 0x02, 0x0C, ef_com, sizeof(ef_com), 0);
	if (card_sm_new(CARD_SM_AES128, (const uint8_t *)theirs->k_enc->data,
	    (const uint8_t *)theirs->k_mac->data, ssc, sizeof(ssc), &ref) == 0 &&
	    card_sm_protect(ours, &a, o1, sizeof(o1), &n1) == 0 &&
	    card_sm_protect(ref, &a, o2, sizeof(o2), &n2) == 0)
		ok = n1 == n2 && n1 > 4 + 2 + 16 && memcmp(o1, o2, n1) == 0;
	card_sm_free(&ref);
	return ok;
}

/*
 * SELECT EF.COM and READ BINARY it through our secure messaging; libeac's chip checks,
 * decrypts and answers. tamper flips a cryptogram byte of the SELECT after protection.
 */
static int
read_ef_com(struct card_transport *t, struct card_sm *sm, int tamper, uint8_t *out,
    size_t outsz, size_t *outlen, uint16_t *sw)
{
	static const uint8_t fid[] = { 0x01, 0x1E };
	struct card_apdu a;
	uint8_t cmd[300], resp[300];
	size_t n, rn;
	int r;

	*outlen = 0;
	card_apdu_set(&a, 0x00, 0xA4, 0x02, 0x0C, fid, sizeof(fid), 0);
	if ((r = card_sm_protect(sm, &a, cmd, sizeof(cmd), &n)) != 0)
		return r;
	if (tamper)
		cmd[8] ^= 0x01;         /* CLA INS P1 P2 Lc 87 L 01 | cryptogram */
	rn = sizeof(resp);
	if ((r = t->transmit(t->ctx, cmd, n, resp, &rn)) != 0 ||
	    (r = card_sm_unprotect(sm, resp, rn, out, outsz, outlen, sw)) != 0)
		return r;
	if (*sw != CARD_SW_OK)
		return EID_ERR_APDU;
	card_apdu_set(&a, 0x00, 0xB0, 0x00, 0x00, NULL, 0, CARD_APDU_LE_SHORT_MAX);
	if ((r = card_sm_protect(sm, &a, cmd, sizeof(cmd), &n)) != 0)
		return r;
	rn = sizeof(resp);
	if ((r = t->transmit(t->ctx, cmd, n, resp, &rn)) != 0)
		return r;
	return card_sm_unprotect(sm, resp, rn, out, outsz, outlen, sw);
}

static int
pace_info(const struct card *cd, struct card_pace_info *info)
{
	uint8_t *ca;
	size_t len;
	int r;

	ca = card_file(cd, "EF.CardAccess.bin", &len);
	r = card_pace_parse_card_access(ca, len, info);
	free(ca);
	return r;
}

T_CASE(pace_can_every_card)
{
	size_t i, run;

	for (i = 0; i < ncards; i++) {
		struct card_pace_info info;

		T_EQ_INT(pace_info(&cards[i], &info), 0);
		T_EQ_INT(info.parameter_id, 13);
		for (run = 0; run < RUNS; run++) {
			struct pace_chip *chip;
			struct card_transport *t;
			struct card_sm *sm = NULL;
			uint8_t com[300];
			size_t comlen = 0;
			uint16_t sw = 0;
			int r, same, rr = -1, ncmd, read_ok;
			enum chip_state st;

			t = pace_chip_new(&cards[i], PACE_CAN, cards[i].can, &chip);
			T_ASSERT(t != NULL);
			r = card_pace_perform(t, &info, CARD_PACE_CAN, cards[i].can, NULL, &sm);
			st = chip->state;
			if (r == 0)
				rr = read_ef_com(t, sm, 0, com, sizeof(com), &comlen, &sw);
			ncmd = chip->sm_commands;
			same = r == 0 ? same_sm(sm, chip->eac->pace_ctx->ka_ctx) : 0;
			read_ok = rr == 0 && sw == CARD_SW_OK && comlen == chip->ef_com_len &&
			    memcmp(com, chip->ef_com, comlen) == 0;
			card_sm_free(&sm);
			card_transport_free(&t);
			if (r != 0 || st != CHIP_DONE || !same || !read_ok || ncmd != 2)
				T_FAIL("%s run %zu: r=%d chip state %d same keys %d, EF.COM "
				    "read %d sw %04X, %d commands verified", cards[i].id, run, r,
				    (int)st, same, rr, sw, ncmd);
		}
	}
}

/* The MRZ as password: libeac reduces the printed MRZ itself; we go through card_mrz. */
T_CASE(pace_mrz_every_card)
{
	size_t i;

	for (i = 0; i < ncards; i++) {
		struct card_pace_info info;
		struct card_mrz m;
		struct pace_chip *chip;
		struct card_transport *t;
		struct card_sm *sm = NULL;
		uint8_t com[300];
		size_t comlen = 0;
		uint16_t sw = 0;
		char seed[64];
		int r, rr = -1;
		enum chip_state st;

		T_EQ_INT(pace_info(&cards[i], &info), 0);
		r = card_mrz_parse(cards[i].mrz, strlen(cards[i].mrz), &m);
		if (r == 0)
			r = card_mrz_bac_seed(&m, seed, sizeof(seed));
		cx_wipe(&m, sizeof(m));
		if (r != 0)
			T_FAIL("%s: MRZ %d", cards[i].id, r);
		T_ASSERT((t = pace_chip_new(&cards[i], PACE_MRZ, cards[i].mrz, &chip)) != NULL);
		r = card_pace_perform(t, &info, CARD_PACE_MRZ, seed, NULL, &sm);
		st = chip->state;
		if (r == 0)
			rr = read_ef_com(t, sm, 0, com, sizeof(com), &comlen, &sw);
		card_sm_free(&sm);
		card_transport_free(&t);
		if (r != 0 || st != CHIP_DONE || rr != 0 || sw != CARD_SW_OK || comlen == 0)
			T_FAIL("%s: r=%d chip state %d, EF.COM read %d sw %04X", cards[i].id, r,
			    (int)st, rr, sw);
	}
}

T_CASE(pace_wrong_can_refused_by_libeac)
{
	struct card_pace_info info;
	struct pace_chip *chip;
	struct card_transport *t;
	struct card_sm *sm = NULL;
	int r;
	enum chip_state st;

	T_EQ_INT(pace_info(&cards[0], &info), 0);
	T_ASSERT((t = pace_chip_new(&cards[0], PACE_CAN, cards[0].can, &chip)) != NULL);
	T_ASSERT(strcmp(cards[0].can, "999999") != 0);
	r = card_pace_perform(t, &info, CARD_PACE_CAN, "999999", NULL, &sm);
	st = chip->state;
	card_transport_free(&t);
	T_EQ_INT(r, EID_ERR_ACCESS_DENIED);
	T_ASSERT(sm == NULL);
	/* it got as far as the tokens: libeac refused ours */
	T_EQ_INT(st, CHIP_REFUSED);
}

T_CASE(pace_bad_chip_token_refused_by_us)
{
	struct card_pace_info info;
	struct pace_chip *chip;
	struct card_transport *t;
	struct card_sm *sm = NULL;
	int r;
	enum chip_state st;

	T_EQ_INT(pace_info(&cards[0], &info), 0);
	T_ASSERT((t = pace_chip_new(&cards[0], PACE_CAN, cards[0].can, &chip)) != NULL);
	chip->bad_token = 1;
	r = card_pace_perform(t, &info, CARD_PACE_CAN, cards[0].can, NULL, &sm);
	st = chip->state;
	card_transport_free(&t);
	T_EQ_INT(r, EID_ERR_ACCESS_DENIED);
	T_ASSERT(sm == NULL);
	T_EQ_INT(st, CHIP_DONE);        /* libeac accepted our token; we refused its */
}

T_CASE(pace_sm_tampered_refused_by_libeac)
{
	struct card_pace_info info;
	struct pace_chip *chip;
	struct card_transport *t;
	struct card_sm *sm = NULL;
	uint8_t buf[300];
	size_t n = 0;
	uint16_t sw = 0;
	int r1, r2, ncmd;

	T_EQ_INT(pace_info(&cards[0], &info), 0);
	T_ASSERT((t = pace_chip_new(&cards[0], PACE_CAN, cards[0].can, &chip)) != NULL);
	r1 = card_pace_perform(t, &info, CARD_PACE_CAN, cards[0].can, NULL, &sm);
	r2 = r1 == 0 ? read_ef_com(t, sm, 1, buf, sizeof(buf), &n, &sw) : 0;
	ncmd = chip->sm_commands;
	card_sm_free(&sm);
	card_transport_free(&t);
	T_EQ_INT(r1, 0);
	/* libeac's MAC check failed: a plain 6988, which our SM reports as EID_ERR_SM */
	T_EQ_INT(r2, EID_ERR_SM);
	T_EQ_INT(sw, CARD_SW_SM_INCORRECT);
	T_EQ_INT(ncmd, 0);
}

/* ---- Chip Authentication ---- */

static EVP_PKEY *
ca_private(const struct card *cd)
{
	char path[1024];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/cccd/%s/ca_key.pem", vdir, cd->dir);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

/* libeac's CA context from a card's DG14 (the SecurityInfos inside tag 6E). */
static EAC_CTX *
ca_chip_new(const struct card *dg14_card)
{
	EAC_CTX *e = EAC_CTX_new();
	struct card_tlv outer;
	uint8_t *dg14;
	size_t len;
	int ok;

	dg14 = card_file(dg14_card, "DG14.bin", &len);
	ok = e != NULL && card_tlv_parse_one(dg14, len, 0x6E, &outer) == 0 &&
	    EAC_CTX_init_ef_cardaccess(outer.value, outer.len, e) == 1 && e->ca_ctx != NULL;
	free(dg14);
	if (!ok) {
		EAC_CTX_clear_free(e);
		return NULL;
	}
	return e;
}

/* Give the chip context a private key (PKCS#8 DER through CA_set_key). */
static int
ca_chip_key(EAC_CTX *e, EVP_PKEY *priv)
{
	unsigned char *der = NULL;
	int n, r;

	if ((n = i2d_PrivateKey(priv, &der)) <= 0)
		return 0;
	r = CA_set_key(e, der, (size_t)n, NULL, 0);
	OPENSSL_clear_free(der, (size_t)n);
	return r;
}

/* The chip's half: K from its key and our point, then the CA v1 keys (see the top). */
static int
ca_chip_keys(EAC_CTX *e, const uint8_t *pt, size_t ptlen)
{
	BUF_MEM *pk = bufmem(pt, ptlen);
	int r = 0;

	if (pk != NULL && CA_STEP4_compute_shared_secret(e, pk) == 1 &&
	    CA_STEP6_derive_keys(e, NULL, NULL) == -1)
		r = e->ca_ctx->ka_ctx->k_enc != NULL && e->ca_ctx->ka_ctx->k_mac != NULL &&
		    e->ca_ctx->ka_ctx->k_enc->length == CARD_SM_KEY_LEN &&
		    e->ca_ctx->ka_ctx->k_mac->length == CARD_SM_KEY_LEN;
	BUF_MEM_free(pk);
	return r;
}

T_CASE(ca_dg14_read_alike)
{
	size_t i;

	for (i = 0; i < ncards; i++) {
		struct card_ca_params p;
		EAC_CTX *e = ca_chip_new(&cards[i]);
		BUF_MEM *theirs = e != NULL ? CA_STEP2_get_eph_pubkey(e) : NULL;
		uint8_t *dg14, pt[CARD_CA_MAX_POINT];
		size_t len, n = 0;
		int r, proto = e != NULL ? e->ca_ctx->protocol : 0;
		int ver = e != NULL ? e->ca_ctx->version : 0;

		dg14 = card_file(&cards[i], "DG14.bin", &len);
		r = card_ca_params_from_dg14(dg14, len, &p);
		free(dg14);
		if (r == 0)
			r = card_ca_public_point(p.chip_key, pt, sizeof(pt), &n);
		card_ca_params_clear(&p);
		EAC_CTX_clear_free(e);
		if (theirs == NULL || r != 0) {
			BUF_MEM_free(theirs);
			T_FAIL("%s: libeac %s, ours %d", cards[i].id, theirs ? "ok" : "failed", r);
		}
		/* CA_STEP2_get_eph_pubkey gives the key the CA context holds: before an
		 * ephemeral key is generated into it, the DG14 key */
		r = theirs->length == n && memcmp(theirs->data, pt, n) == 0;
		BUF_MEM_free(theirs);
		T_ASSERT(r);
		T_EQ_INT(proto, NID_id_CA_ECDH_AES_CBC_CMAC_128);
		T_EQ_INT(ver, 1);
	}
}

T_CASE(ca_keys_every_card)
{
	size_t i, run;

	for (i = 0; i < ncards; i++) {
		EVP_PKEY *priv = ca_private(&cards[i]);
		struct card_ca_params p;
		uint8_t *dg14;
		size_t len;
		int r;

		T_ASSERT(priv != NULL);
		dg14 = card_file(&cards[i], "DG14.bin", &len);
		r = card_ca_params_from_dg14(dg14, len, &p);
		free(dg14);
		if (r != 0) {
			EVP_PKEY_free(priv);
			T_FAIL("%s: DG14 %d", cards[i].id, r);
		}
		for (run = 0; run < RUNS; run++) {
			EAC_CTX *e = ca_chip_new(&cards[i]);
			EVP_PKEY *eph = NULL;
			uint8_t pt[CARD_CA_MAX_POINT], kenc[CARD_SM_KEY_LEN], kmac[CARD_SM_KEY_LEN];
			size_t n = 0;
			int ok;

			ok = e != NULL && ca_chip_key(e, priv) == 1 &&
			    card_ca_ephemeral(&p, &eph) == 0 &&
			    card_ca_public_point(eph, pt, sizeof(pt), &n) == 0 &&
			    card_ca_session_keys(eph, p.chip_key, kenc, kmac) == 0 &&
			    ca_chip_keys(e, pt, n) &&
			    memcmp(kenc, e->ca_ctx->ka_ctx->k_enc->data, CARD_SM_KEY_LEN) == 0 &&
			    memcmp(kmac, e->ca_ctx->ka_ctx->k_mac->data, CARD_SM_KEY_LEN) == 0;
			cx_wipe(kenc, sizeof(kenc));
			cx_wipe(kmac, sizeof(kmac));
			EVP_PKEY_free(eph);
			EAC_CTX_clear_free(e);
			if (!ok) {
				card_ca_params_clear(&p);
				EVP_PKEY_free(priv);
				T_FAIL("%s run %zu: keys differ or a step failed", cards[i].id,
				    run);
			}
		}
		card_ca_params_clear(&p);
		EVP_PKEY_free(priv);
	}
}

T_CASE(ca_clone_with_other_key)
{
	EVP_PKEY *other, *eph = NULL;
	struct card_ca_params p;
	EAC_CTX *e;
	uint8_t *dg14, pt[CARD_CA_MAX_POINT], kenc[CARD_SM_KEY_LEN], kmac[CARD_SM_KEY_LEN];
	size_t len, n = 0;
	int r1, r2, r3, differ;

	T_ASSERT(ncards >= 2);
	/* cards[0]'s DG14, but the chip holds cards[1]'s private key */
	T_ASSERT((other = ca_private(&cards[1])) != NULL);
	dg14 = card_file(&cards[0], "DG14.bin", &len);
	r1 = card_ca_params_from_dg14(dg14, len, &p);
	free(dg14);
	e = ca_chip_new(&cards[0]);
	r2 = r1 == 0 && e != NULL && ca_chip_key(e, other) == 1 &&
	    card_ca_ephemeral(&p, &eph) == 0 && card_ca_public_point(eph, pt, sizeof(pt), &n) == 0;
	r3 = r2 ? card_ca_session_keys(eph, p.chip_key, kenc, kmac) : -1;
	differ = r3 == 0 && ca_chip_keys(e, pt, n) &&
	    memcmp(kenc, e->ca_ctx->ka_ctx->k_enc->data, CARD_SM_KEY_LEN) != 0 &&
	    memcmp(kmac, e->ca_ctx->ka_ctx->k_mac->data, CARD_SM_KEY_LEN) != 0;
	cx_wipe(kenc, sizeof(kenc));
	cx_wipe(kmac, sizeof(kmac));
	EVP_PKEY_free(eph);
	EVP_PKEY_free(other);
	EAC_CTX_clear_free(e);
	card_ca_params_clear(&p);
	T_EQ_INT(r1, 0);
	T_ASSERT(r2);
	T_EQ_INT(r3, 0);
	T_ASSERT(differ);
}

int
main(int argc, char **argv)
{
	vdir = argc > 1 ? argv[1] : "tests/vectors";
	EAC_init();
	if (load_cards() != 0) {
		printf("Bail out! cannot read %s/cccd/cards.json\n", vdir);
		return 1;
	}
	T_RUN(pace_can_every_card);
	T_RUN(pace_mrz_every_card);
	T_RUN(pace_wrong_can_refused_by_libeac);
	T_RUN(pace_bad_chip_token_refused_by_us);
	T_RUN(pace_sm_tampered_refused_by_libeac);
	T_RUN(ca_dg14_read_alike);
	T_RUN(ca_keys_every_card);
	T_RUN(ca_clone_with_other_key);
	EAC_cleanup();
	return t_done();
}
