/*
 * card_tlv.h - the one bounds-checked BER-TLV reader for chip data (ICAO 9303 LDS,
 * ISO 7816-4 and the outer layers of ASN.1 DER).
 *
 * Rules enforced on untrusted bytes:
 *   - tags of 1 to 3 bytes (ISO 7816 / ASN.1 high-tag form); 0x00 and 0xFF as a first
 *     tag byte (EOC / padding) are refused;
 *   - lengths in short form or long form 0x81, 0x82, 0x83; 0x80 (indefinite) and 0x84+
 *     are refused; a length larger than what is left is refused;
 *   - nesting walked by card_tlv_check() / card_tlv_find_path() is capped at
 *     EID_TLV_MAX_DEPTH; nothing here recurses.
 *
 * Ownership: struct card_tlv is a borrowed view into the caller's buffer. Nothing is
 * allocated, nothing is freed; views stay valid as long as the caller's buffer does.
 * Errors: EID_ERR_TLV for malformed encodings, EID_ERR_TRUNCATED when bytes run out,
 * EID_ERR_DEPTH past the depth cap, EID_ERR_NOT_FOUND from the find functions.
 */
#ifndef CARD_TLV_H
#define CARD_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "cx_buf.h"
#include "eid_err.h"

#define CARD_TLV_MAX_TAG_BYTES 3

struct card_tlv {
	uint32_t tag;           /* tag bytes big-endian, e.g. 0x61, 0x5F1F, 0x7F61 */
	int constructed;        /* bit 6 of the first tag byte */
	const uint8_t *value;   /* borrowed: the value bytes */
	size_t len;             /* value length */
	const uint8_t *raw;     /* borrowed: the whole element, tag and length included */
	size_t raw_len;
};

/*
 * Read the next element from rd and advance rd past it. On error rd's sticky error is
 * set (if not already) and *out is zeroed.
 */
int card_tlv_next(struct cx_reader *rd, struct card_tlv *out) EID_WARN_UNUSED;

/*
 * buf must hold exactly one element (no trailing bytes); if want_tag is not 0 its tag
 * must equal want_tag (else EID_ERR_TLV).
 */
int card_tlv_parse_one(const uint8_t *buf, size_t len, uint32_t want_tag,
    struct card_tlv *out) EID_WARN_UNUSED;

/*
 * First direct child of the constructed value (val, len) with the given tag. Every
 * element before the match must be well formed; elements after it are not examined.
 */
int card_tlv_find(const uint8_t *val, size_t len, uint32_t tag,
    struct card_tlv *out) EID_WARN_UNUSED;

/*
 * Follow a path of tags from the top-level elements of (buf, len): path[0] is looked up
 * among the top-level elements, path[1] among its children, and so on. npath must be
 * 1..EID_TLV_MAX_DEPTH.
 */
int card_tlv_find_path(const uint8_t *buf, size_t len, const uint32_t *path,
    size_t npath, struct card_tlv *out) EID_WARN_UNUSED;

/*
 * Validate the whole tree: every element well formed, every constructed value made
 * exactly of whole elements, nesting no deeper than EID_TLV_MAX_DEPTH. Iterative.
 * *nelems (if not NULL) gets the number of elements seen.
 */
int card_tlv_check(const uint8_t *buf, size_t len, size_t *nelems) EID_WARN_UNUSED;

/* Number of bytes the tag occupies (1..3) when encoded. */
size_t card_tlv_tag_size(uint32_t tag);

#endif /* CARD_TLV_H */
