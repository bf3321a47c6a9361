/*
 * card_asn1.h - small OpenSSL-backed decoders for single DER elements that the
 * cardreader modules share (internal to cardreader/).
 *
 * Each takes a borrowed whole element (tag + length + value, e.g. card_tlv.raw) and
 * decodes it with the matching d2i function; the element must be consumed exactly.
 * Nothing is allocated for the caller.
 */
#ifndef CARD_ASN1_H
#define CARD_ASN1_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"

/* OBJECT IDENTIFIER element -> dotted text in out (outsz >= 2). */
int card_asn1_oid_text(const uint8_t *der, size_t len, char *out, size_t outsz) EID_WARN_UNUSED;
/* INTEGER element -> value in [min, max]. */
int card_asn1_int(const uint8_t *der, size_t len, long min, long max, long *out) EID_WARN_UNUSED;
/* 1 if dotted OID text starts with the arc prefix (prefix "1.2" matches "1.2" and "1.2.x"). */
int card_asn1_oid_under(const char *oid, const char *prefix);

#endif /* CARD_ASN1_H */
