/* card_tlv.c - bounded BER-TLV reader (see card_tlv.h). */
#include <string.h>

#include "eid_limits.h"
#include "card_tlv.h"

static int
tlv_fail(struct cx_reader *rd, struct card_tlv *out, int err)
{
	if (rd->err == 0)
		rd->err = err;
	memset(out, 0, sizeof(*out));
	return rd->err;
}

int
card_tlv_next(struct cx_reader *rd, struct card_tlv *out)
{
	const uint8_t *start = rd->ptr;
	size_t avail = rd->len;
	uint32_t tag;
	uint8_t b;
	size_t len = 0, nlen, i;

	memset(out, 0, sizeof(*out));
	if (rd->err != 0)
		return rd->err;
	if (rd->len == 0)
		return tlv_fail(rd, out, EID_ERR_TRUNCATED);

	/* tag */
	b = cx_rd_u8(rd);
	if (b == 0x00 || b == 0xFF)
		return tlv_fail(rd, out, EID_ERR_TLV);
	tag = b;
	out->constructed = (b & 0x20) != 0;
	if ((b & 0x1F) == 0x1F) {
		for (i = 1;; i++) {
			if (i >= CARD_TLV_MAX_TAG_BYTES)
				return tlv_fail(rd, out, EID_ERR_TLV);
			b = cx_rd_u8(rd);
			if (rd->err != 0)
				return tlv_fail(rd, out, rd->err);
			/* a leading 0x80 would be a non-minimal tag number */
			if (i == 1 && b == 0x80)
				return tlv_fail(rd, out, EID_ERR_TLV);
			tag = (tag << 8) | b;
			if ((b & 0x80) == 0)
				break;
		}
	}

	/* length */
	b = cx_rd_u8(rd);
	if (rd->err != 0)
		return tlv_fail(rd, out, rd->err);
	if (b < 0x80) {
		len = b;
	} else {
		nlen = b & 0x7F;
		if (nlen == 0 || nlen > 3)      /* indefinite, or longer than 0x83 */
			return tlv_fail(rd, out, EID_ERR_TLV);
		for (i = 0; i < nlen; i++)
			len = (len << 8) | cx_rd_u8(rd);
		if (rd->err != 0)
			return tlv_fail(rd, out, rd->err);
	}
	if (len > rd->len)
		return tlv_fail(rd, out, EID_ERR_TRUNCATED);
	out->tag = tag;
	out->value = cx_rd_bytes(rd, len);
	out->len = len;
	out->raw = start;
	out->raw_len = avail - rd->len;
	if (out->value == NULL && len == 0)
		out->value = rd->ptr;   /* empty value: point just past the header */
	return rd->err;
}

int
card_tlv_parse_one(const uint8_t *buf, size_t len, uint32_t want_tag,
    struct card_tlv *out)
{
	struct cx_reader rd;
	int r;

	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	cx_rd_init(&rd, buf, len);
	if ((r = card_tlv_next(&rd, out)) != 0)
		return r;
	if ((r = cx_rd_end(&rd)) != 0)
		goto fail;
	if (want_tag != 0 && out->tag != want_tag) {
		r = EID_ERR_TLV;
		goto fail;
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return r;
}

int
card_tlv_find(const uint8_t *val, size_t len, uint32_t tag, struct card_tlv *out)
{
	struct cx_reader rd;
	int r;

	memset(out, 0, sizeof(*out));
	if (val == NULL && len != 0)
		return EID_ERR_INVALID_ARGUMENT;
	cx_rd_init(&rd, val, len);
	while (rd.len > 0) {
		if ((r = card_tlv_next(&rd, out)) != 0)
			return r;
		if (out->tag == tag)
			return 0;
	}
	memset(out, 0, sizeof(*out));
	return EID_ERR_NOT_FOUND;
}

int
card_tlv_find_path(const uint8_t *buf, size_t len, const uint32_t *path, size_t npath,
    struct card_tlv *out)
{
	const uint8_t *p = buf;
	size_t n = len, i;
	int r;

	memset(out, 0, sizeof(*out));
	if (path == NULL || npath == 0)
		return EID_ERR_INVALID_ARGUMENT;
	if (npath > EID_TLV_MAX_DEPTH)
		return EID_ERR_DEPTH;
	for (i = 0; i < npath; i++) {
		if ((r = card_tlv_find(p, n, path[i], out)) != 0)
			return r;
		if (i + 1 < npath && !out->constructed) {
			memset(out, 0, sizeof(*out));
			return EID_ERR_TLV;
		}
		p = out->value;
		n = out->len;
	}
	return 0;
}

int
card_tlv_check(const uint8_t *buf, size_t len, size_t *nelems)
{
	struct cx_reader stack[EID_TLV_MAX_DEPTH + 1];
	struct card_tlv t;
	size_t depth = 0, count = 0;
	int r;

	if (nelems != NULL)
		*nelems = 0;
	if (buf == NULL && len != 0)
		return EID_ERR_INVALID_ARGUMENT;
	cx_rd_init(&stack[0], buf, len);
	for (;;) {
		if (stack[depth].len == 0) {
			if (depth == 0)
				break;
			depth--;
			continue;
		}
		if ((r = card_tlv_next(&stack[depth], &t)) != 0)
			return r;
		count++;
		if (t.constructed && t.len > 0) {
			if (depth + 1 >= EID_TLV_MAX_DEPTH)
				return EID_ERR_DEPTH;
			depth++;
			cx_rd_init(&stack[depth], t.value, t.len);
		}
	}
	if (nelems != NULL)
		*nelems = count;
	return 0;
}

size_t
card_tlv_tag_size(uint32_t tag)
{
	if (tag > 0xFFFF)
		return 3;
	return tag > 0xFF ? 2 : 1;
}
