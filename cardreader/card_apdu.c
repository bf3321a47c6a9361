/* card_apdu.c - ISO 7816-4 APDU encoding and response splitting (see card_apdu.h). */
#include <string.h>

#include "eid_limits.h"
#include "card_apdu.h"

void
card_apdu_set(struct card_apdu *a, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *data, size_t lc, size_t le)
{
	a->cla = cla;
	a->ins = ins;
	a->p1 = p1;
	a->p2 = p2;
	a->data = lc > 0 ? data : NULL;
	a->lc = lc;
	a->le = le;
}

int
card_apdu_is_extended(const struct card_apdu *a)
{
	return a->lc > 255 || a->le > CARD_APDU_LE_SHORT_MAX;
}

int
card_apdu_build(const struct card_apdu *a, uint8_t *out, size_t outsz, size_t *outlen)
{
	size_t n = 0, need;
	int ext;

	*outlen = 0;
	if (a->lc > CARD_APDU_LC_EXT_MAX || a->le > CARD_APDU_LE_EXT_MAX ||
	    (a->lc > 0 && a->data == NULL))
		return EID_ERR_INVALID_ARGUMENT;
	ext = card_apdu_is_extended(a);
	need = 4 + a->lc;
	if (a->lc > 0)
		need += ext ? 3 : 1;
	if (a->le > 0)
		need += ext ? (a->lc > 0 ? 2 : 3) : 1;
	if (need > outsz)
		return EID_ERR_TOO_LARGE;
	out[n++] = a->cla;
	out[n++] = a->ins;
	out[n++] = a->p1;
	out[n++] = a->p2;
	if (a->lc > 0) {
		if (ext) {
			out[n++] = 0x00;
			out[n++] = (uint8_t)(a->lc >> 8);
		}
		out[n++] = (uint8_t)a->lc;
		memcpy(out + n, a->data, a->lc);
		n += a->lc;
	}
	if (a->le > 0) {
		size_t le = a->le;

		if (ext) {
			if (a->lc == 0)
				out[n++] = 0x00;
			le = le == CARD_APDU_LE_EXT_MAX ? 0 : le;
			out[n++] = (uint8_t)(le >> 8);
			out[n++] = (uint8_t)le;
		} else {
			out[n++] = (uint8_t)(le == CARD_APDU_LE_SHORT_MAX ? 0 : le);
		}
	}
	*outlen = n;
	return EID_OK;
}

int
card_apdu_parse_command(const uint8_t *buf, size_t len, struct card_apdu *out)
{
	size_t body, lc;

	memset(out, 0, sizeof(*out));
	if (len < 4)
		return EID_ERR_APDU;
	out->cla = buf[0];
	out->ins = buf[1];
	out->p1 = buf[2];
	out->p2 = buf[3];
	body = len - 4;
	buf += 4;
	if (body == 0)
		return EID_OK;                                  /* case 1 */
	if (body == 1) {                                        /* case 2 short */
		out->le = buf[0] == 0 ? 256 : buf[0];
		return EID_OK;
	}
	if (buf[0] != 0) {                                      /* short case 3/4 */
		lc = buf[0];
		if (body == 1 + lc) {
			out->lc = lc;
		} else if (body == 2 + lc) {
			out->lc = lc;
			out->le = buf[1 + lc] == 0 ? 256 : buf[1 + lc];
		} else {
			return EID_ERR_APDU;
		}
		out->data = buf + 1;
		return EID_OK;
	}
	/* extended: 00 then two bytes */
	if (body == 3) {                                        /* case 2 extended */
		out->le = ((size_t)buf[1] << 8) | buf[2];
		if (out->le == 0)
			out->le = CARD_APDU_LE_EXT_MAX;
		return EID_OK;
	}
	if (body < 3)
		return EID_ERR_APDU;
	lc = ((size_t)buf[1] << 8) | buf[2];
	if (lc == 0)
		return EID_ERR_APDU;
	if (body == 3 + lc) {
		out->lc = lc;
	} else if (body == 5 + lc) {
		out->lc = lc;
		out->le = ((size_t)buf[3 + lc] << 8) | buf[4 + lc];
		if (out->le == 0)
			out->le = CARD_APDU_LE_EXT_MAX;
	} else {
		return EID_ERR_APDU;
	}
	out->data = buf + 3;
	return EID_OK;
}

int
card_apdu_parse_response(const uint8_t *buf, size_t len, struct card_rapdu *out)
{
	memset(out, 0, sizeof(*out));
	if (buf == NULL || len < 2)
		return EID_ERR_APDU;
	if (len - 2 > EID_APDU_MAX_RESPONSE)
		return EID_ERR_TOO_LARGE;
	out->len = len - 2;
	out->data = out->len > 0 ? buf : NULL;
	out->sw = (uint16_t)((buf[len - 2] << 8) | buf[len - 1]);
	return EID_OK;
}

int
card_sw_ok(uint16_t sw)
{
	return sw == CARD_SW_OK || (sw >> 8) == 0x61;
}
