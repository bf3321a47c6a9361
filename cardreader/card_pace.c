/* card_pace.c - PACE generic mapping ECDH, AES-128 (see card_pace.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "cx_util.h"
#include "card_apdu.h"
#include "card_lds.h"
#include "card_pace.h"
#include "card_smcrypto.h"
#include "card_tlv.h"

#define PACE_MAX_POINT 133      /* uncompressed point up to P-521; we use 65 */
#define PACE_MAX_FIELD 66

/* DER content of 0.4.0.127.0.7.2.2.4.2.2 */
static const uint8_t pace_oid[] = { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02 };

int
card_pace_parse_card_access(const uint8_t *buf, size_t len, struct card_pace_info *out)
{
	struct card_dg14 infos;
	uint8_t *wrapped = NULL;
	size_t i, n = 0;
	int r = EID_ERR_UNSUPPORTED;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > 4096)
		return EID_ERR_UNSUPPORTED;
	/* EF.CardAccess is the SET that DG14 wraps in tag 6E: reuse the DG14 parser */
	if ((wrapped = malloc(len + 4)) == NULL)
		return EID_ERR_NOMEM;
	wrapped[n++] = 0x6E;
	if (len < 0x80) {
		wrapped[n++] = (uint8_t)len;
	} else if (len < 0x100) {
		wrapped[n++] = 0x81;
		wrapped[n++] = (uint8_t)len;
	} else {
		wrapped[n++] = 0x82;
		wrapped[n++] = (uint8_t)(len >> 8);
		wrapped[n++] = (uint8_t)len;
	}
	memcpy(wrapped + n, buf, len);
	if (card_lds_dg14_parse(wrapped, n + len, &infos) != 0)
		goto out;
	for (i = 0; i < infos.ninfos; i++) {
		const struct card_secinfo *s = &infos.infos[i];

		if (s->kind != CARD_SECINFO_PACE || strcmp(s->protocol, CARD_PACE_OID_GM_AES128) != 0 ||
		    s->version != 2)
			continue;
		if (s->parameter_id == 13) {
			out->curve_nid = NID_brainpoolP256r1;
		} else if (s->parameter_id == 12) {
			out->curve_nid = NID_X9_62_prime256v1;
		} else {
			continue;
		}
		out->parameter_id = s->parameter_id;
		r = EID_OK;
		break;
	}
out:
	free(wrapped);
	return r;
}

int
card_pace_kpi(enum card_pace_pw type, const char *pw, uint8_t kpi[16])
{
	uint8_t f[SHA_DIGEST_LENGTH];
	size_t n;
	int r;

	if (pw == NULL || (n = strlen(pw)) == 0 || n > 64)
		return EID_ERR_INVALID_ARGUMENT;
	if (type == CARD_PACE_MRZ) {
		SHA1((const unsigned char *)pw, n, f);
		r = card_kdf(CARD_SM_AES128, f, sizeof(f), CARD_KDF_PI, kpi);
		sodium_memzero(f, sizeof(f));
		return r;
	}
	if (type == CARD_PACE_CAN)
		return card_kdf(CARD_SM_AES128, (const uint8_t *)pw, n, CARD_KDF_PI, kpi);
	return EID_ERR_INVALID_ARGUMENT;
}

int
card_pace_map_generator(const EC_GROUP *group, const uint8_t *s, size_t s_len,
    const EC_POINT *h, EC_POINT **out)
{
	BN_CTX *bctx = NULL;
	BIGNUM *bs = NULL;
	EC_POINT *g2 = NULL;
	int r = EID_ERR_CRYPTO;

	*out = NULL;
	if ((bctx = BN_CTX_new()) == NULL || (bs = BN_bin2bn(s, (int)s_len, NULL)) == NULL ||
	    (g2 = EC_POINT_new(group)) == NULL)
		goto out;
	/* G' = s*G + 1*H */
	if (EC_POINT_mul(group, g2, bs, h, BN_value_one(), bctx) != 1 ||
	    EC_POINT_is_at_infinity(group, g2))
		goto out;
	*out = g2;
	g2 = NULL;
	r = EID_OK;
out:
	BN_clear_free(bs);
	EC_POINT_free(g2);
	BN_CTX_free(bctx);
	return r;
}

int
card_pace_token(const uint8_t kmac[16], const uint8_t *point, size_t point_len, uint8_t out[8])
{
	uint8_t buf[4 + 2 + sizeof(pace_oid) + 3 + PACE_MAX_POINT];
	size_t n = 0, inner = 2 + sizeof(pace_oid) + 2 + point_len;

	if (point_len == 0 || point_len > 127 || inner > 127)
		return EID_ERR_INVALID_ARGUMENT;
	buf[n++] = 0x7F;
	buf[n++] = 0x49;
	buf[n++] = (uint8_t)inner;
	buf[n++] = 0x06;
	buf[n++] = sizeof(pace_oid);
	memcpy(buf + n, pace_oid, sizeof(pace_oid));
	n += sizeof(pace_oid);
	buf[n++] = 0x86;
	buf[n++] = (uint8_t)point_len;
	memcpy(buf + n, point, point_len);
	n += point_len;
	return card_mac(CARD_SM_AES128, kmac, buf, n, out);
}

static void
default_rnd(void *buf, size_t n)
{
	cx_random(buf, n);
}

/* A uniformly random scalar in [1, n-1] by rejection sampling. */
static int
rand_scalar(const EC_GROUP *g, void (*rnd)(void *, size_t), BIGNUM **out)
{
	const BIGNUM *order = EC_GROUP_get0_order(g);
	uint8_t b[PACE_MAX_FIELD];
	size_t nb = (size_t)BN_num_bytes(order);
	BIGNUM *k = NULL;
	int i, r = EID_ERR_RANDOM;

	*out = NULL;
	if (nb > sizeof(b) || (k = BN_new()) == NULL)
		return EID_ERR_CRYPTO;
	for (i = 0; i < 64; i++) {
		rnd(b, nb);
		if (BN_bin2bn(b, (int)nb, k) == NULL) {
			r = EID_ERR_CRYPTO;
			break;
		}
		if (!BN_is_zero(k) && BN_cmp(k, order) < 0) {
			*out = k;
			k = NULL;
			r = EID_OK;
			break;
		}
	}
	sodium_memzero(b, sizeof(b));
	BN_clear_free(k);
	return r;
}

/* One GENERAL AUTHENTICATE: send 7C{tag data} (or 7C 00), get the inner DO rtag. */
static int
ga_step(struct card_transport *t, uint8_t cla, uint8_t tag, const uint8_t *d, size_t dlen,
    uint8_t rtag, uint8_t *buf, size_t bufsz, const uint8_t **val, size_t *vlen, uint16_t *sw)
{
	uint8_t cmd[4 + 2 + PACE_MAX_POINT];
	struct card_apdu a;
	struct card_rapdu ra;
	struct card_tlv outer, in;
	size_t n = 0;
	int r;

	*val = NULL;
	*vlen = 0;
	if (dlen > PACE_MAX_POINT)
		return EID_ERR_INVALID_ARGUMENT;
	cmd[n++] = 0x7C;
	if (tag == 0) {
		cmd[n++] = 0x00;
	} else {
		cmd[n++] = (uint8_t)(2 + dlen);
		cmd[n++] = tag;
		cmd[n++] = (uint8_t)dlen;
		memcpy(cmd + n, d, dlen);
		n += dlen;
	}
	card_apdu_set(&a, cla, 0x86, 0x00, 0x00, cmd, n, CARD_APDU_LE_SHORT_MAX);
	if ((r = card_transport_send(t, &a, buf, bufsz, &ra)) != 0)
		return r;
	*sw = ra.sw;
	if (ra.sw != CARD_SW_OK)
		return EID_ERR_APDU;
	if (card_tlv_parse_one(ra.data, ra.len, 0x7C, &outer) != 0 ||
	    card_tlv_find(outer.value, outer.len, rtag, &in) != 0)
		return EID_ERR_APDU;
	*val = in.value;
	*vlen = in.len;
	return EID_OK;
}

static int
point_encode(const EC_GROUP *g, const EC_POINT *p, uint8_t *out, size_t outsz, size_t *n)
{
	*n = EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, out, outsz, NULL);
	return *n == 0 ? EID_ERR_CRYPTO : EID_OK;
}

static int
point_decode(const EC_GROUP *g, const uint8_t *in, size_t len, EC_POINT **out)
{
	EC_POINT *p = NULL;

	*out = NULL;
	if (len == 0 || in[0] != 0x04 || (p = EC_POINT_new(g)) == NULL)
		return EID_ERR_APDU;
	if (EC_POINT_oct2point(g, p, in, len, NULL) != 1 || EC_POINT_is_at_infinity(g, p) ||
	    EC_POINT_is_on_curve(g, p, NULL) != 1) {
		EC_POINT_free(p);
		return EID_ERR_APDU;
	}
	*out = p;
	return EID_OK;
}

int
card_pace_perform(struct card_transport *t, const struct card_pace_info *info,
    enum card_pace_pw type, const char *pw, void (*rnd)(void *buf, size_t n),
    struct card_sm **out)
{
	static const uint8_t zero_ssc[16];
	EC_GROUP *g = NULL;
	BN_CTX *bctx = NULL;
	BIGNUM *sk_map = NULL, *sk = NULL, *x = NULL;
	EC_POINT *pk_map = NULL, *pk_map_ic = NULL, *h = NULL, *g2 = NULL, *pk = NULL,
	    *pk_ic = NULL, *shared = NULL;
	uint8_t kpi[16], s[16], kk[PACE_MAX_FIELD], ksenc[16], ksmac[16], tok[8];
	uint8_t pt[PACE_MAX_POINT], pt_ic[PACE_MAX_POINT], mse[32], buf[512];
	const uint8_t *v;
	size_t vlen, ptlen, pticlen, fl, n = 0;
	struct card_apdu a;
	struct card_rapdu ra;
	uint16_t sw = 0;
	int r;

	*out = NULL;
	if (rnd == NULL)
		rnd = default_rnd;
	if ((r = card_pace_kpi(type, pw, kpi)) != 0)
		goto out;
	r = EID_ERR_CRYPTO;
	if ((g = EC_GROUP_new_by_curve_name(info->curve_nid)) == NULL ||
	    (bctx = BN_CTX_new()) == NULL || (x = BN_new()) == NULL)
		goto out;
	fl = (size_t)(EC_GROUP_get_degree(g) + 7) / 8;
	/* MSE:Set AT */
	mse[n++] = 0x80;
	mse[n++] = sizeof(pace_oid);
	memcpy(mse + n, pace_oid, sizeof(pace_oid));
	n += sizeof(pace_oid);
	mse[n++] = 0x83;
	mse[n++] = 0x01;
	mse[n++] = type == CARD_PACE_CAN ? 0x02 : 0x01;
	mse[n++] = 0x84;
	mse[n++] = 0x01;
	mse[n++] = (uint8_t)info->parameter_id;
	card_apdu_set(&a, 0x00, 0x22, 0xC1, 0xA4, mse, n, 0);
	if ((r = card_transport_send(t, &a, buf, sizeof(buf), &ra)) != 0)
		goto out;
	if (ra.sw != CARD_SW_OK) {
		r = ra.sw == CARD_SW_SECURITY_NOT_SATISFIED || ra.sw == CARD_SW_AUTH_BLOCKED ?
		    EID_ERR_ACCESS_DENIED : EID_ERR_APDU;
		goto out;
	}
	/* GA1: encrypted nonce */
	if ((r = ga_step(t, 0x10, 0, NULL, 0, 0x80, buf, sizeof(buf), &v, &vlen, &sw)) != 0)
		goto out;
	r = EID_ERR_APDU;
	if (vlen != 16)
		goto out;
	if ((r = card_cbc(CARD_SM_AES128, 0, kpi, NULL, v, 16, s)) != 0)
		goto out;
	/* GA2: mapping */
	if ((r = rand_scalar(g, rnd, &sk_map)) != 0)
		goto out;
	r = EID_ERR_CRYPTO;
	if ((pk_map = EC_POINT_new(g)) == NULL ||
	    EC_POINT_mul(g, pk_map, sk_map, NULL, NULL, bctx) != 1 ||
	    (r = point_encode(g, pk_map, pt, sizeof(pt), &ptlen)) != 0)
		goto out;
	if ((r = ga_step(t, 0x10, 0x81, pt, ptlen, 0x82, buf, sizeof(buf), &v, &vlen, &sw)) != 0 ||
	    (r = point_decode(g, v, vlen, &pk_map_ic)) != 0)
		goto out;
	r = EID_ERR_CRYPTO;
	if ((h = EC_POINT_new(g)) == NULL ||
	    EC_POINT_mul(g, h, NULL, pk_map_ic, sk_map, bctx) != 1 ||
	    EC_POINT_is_at_infinity(g, h) ||
	    (r = card_pace_map_generator(g, s, sizeof(s), h, &g2)) != 0)
		goto out;
	/* GA3: key agreement on G' */
	if ((r = rand_scalar(g, rnd, &sk)) != 0)
		goto out;
	r = EID_ERR_CRYPTO;
	if ((pk = EC_POINT_new(g)) == NULL || EC_POINT_mul(g, pk, NULL, g2, sk, bctx) != 1 ||
	    (r = point_encode(g, pk, pt, sizeof(pt), &ptlen)) != 0)
		goto out;
	if ((r = ga_step(t, 0x10, 0x83, pt, ptlen, 0x84, buf, sizeof(buf), &v, &vlen, &sw)) != 0 ||
	    (r = point_decode(g, v, vlen, &pk_ic)) != 0)
		goto out;
	r = EID_ERR_APDU;
	if (EC_POINT_cmp(g, pk, pk_ic, bctx) == 0)
		goto out;
	r = EID_ERR_CRYPTO;
	if ((shared = EC_POINT_new(g)) == NULL ||
	    EC_POINT_mul(g, shared, NULL, pk_ic, sk, bctx) != 1 ||
	    EC_POINT_is_at_infinity(g, shared) ||
	    EC_POINT_get_affine_coordinates(g, shared, x, NULL, bctx) != 1 ||
	    BN_bn2binpad(x, kk, (int)fl) != (int)fl)
		goto out;
	if ((r = card_kdf(CARD_SM_AES128, kk, fl, CARD_KDF_ENC, ksenc)) != 0 ||
	    (r = card_kdf(CARD_SM_AES128, kk, fl, CARD_KDF_MAC, ksmac)) != 0 ||
	    (r = point_encode(g, pk_ic, pt_ic, sizeof(pt_ic), &pticlen)) != 0)
		goto out;
	/* GA4: tokens */
	if ((r = card_pace_token(ksmac, pt_ic, pticlen, tok)) != 0)
		goto out;
	r = ga_step(t, 0x00, 0x85, tok, sizeof(tok), 0x86, buf, sizeof(buf), &v, &vlen, &sw);
	if (r == EID_ERR_APDU && (sw == CARD_SW_VERIFY_FAILED ||
	    sw == CARD_SW_SECURITY_NOT_SATISFIED || sw == CARD_SW_SM_INCORRECT ||
	    (sw & 0xFFF0) == 0x63C0)) {
		r = EID_ERR_ACCESS_DENIED;
		goto out;
	}
	if (r != 0)
		goto out;
	if ((r = card_pace_token(ksmac, pt, ptlen, tok)) != 0)
		goto out;
	r = EID_ERR_ACCESS_DENIED;
	if (!cx_ct_equal(tok, sizeof(tok), v, vlen))
		goto out;
	r = card_sm_new(CARD_SM_AES128, ksenc, ksmac, zero_ssc, 16, out);
out:
	sodium_memzero(kpi, sizeof(kpi));
	sodium_memzero(s, sizeof(s));
	sodium_memzero(kk, sizeof(kk));
	sodium_memzero(ksenc, sizeof(ksenc));
	sodium_memzero(ksmac, sizeof(ksmac));
	sodium_memzero(buf, sizeof(buf));
	BN_clear_free(sk_map);
	BN_clear_free(sk);
	BN_clear_free(x);
	EC_POINT_free(pk_map);
	EC_POINT_free(pk_map_ic);
	EC_POINT_clear_free(h);
	EC_POINT_free(g2);
	EC_POINT_free(pk);
	EC_POINT_free(pk_ic);
	EC_POINT_clear_free(shared);
	BN_CTX_free(bctx);
	EC_GROUP_free(g);
	return r;
}
