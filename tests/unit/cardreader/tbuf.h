/*
 * tbuf.h - build small BER-TLV fixtures in memory (cardreader tests only; no checks:
 * fixtures are sized well below the buffer).
 */
#ifndef CARD_TBUF_H
#define CARD_TBUF_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct tbuf {
	uint8_t b[65536];
	size_t n;
};

/* Append tag (1-3 bytes big-endian in an uint32), a DER length and the value. */
static inline void
tb_tlv(struct tbuf *o, uint32_t tag, const void *v, size_t len)
{
	if (tag > 0xFFFF)
		o->b[o->n++] = (uint8_t)(tag >> 16);
	if (tag > 0xFF)
		o->b[o->n++] = (uint8_t)(tag >> 8);
	o->b[o->n++] = (uint8_t)tag;
	if (len < 0x80) {
		o->b[o->n++] = (uint8_t)len;
	} else if (len < 0x100) {
		o->b[o->n++] = 0x81;
		o->b[o->n++] = (uint8_t)len;
	} else {
		o->b[o->n++] = 0x82;
		o->b[o->n++] = (uint8_t)(len >> 8);
		o->b[o->n++] = (uint8_t)len;
	}
	memcpy(o->b + o->n, v, len);
	o->n += len;
}

static inline void
tb_add(struct tbuf *o, const struct tbuf *in)
{
	memcpy(o->b + o->n, in->b, in->n);
	o->n += in->n;
}

static inline size_t
hex2bin(const char *hex, uint8_t *out, size_t outsz)
{
	size_t n = 0;
	unsigned v;

	while (hex[0] != '\0' && hex[1] != '\0' && n < outsz) {
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

#endif /* CARD_TBUF_H */
