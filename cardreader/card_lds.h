/*
 * card_lds.h - ICAO 9303-10 Logical Data Structure: the data groups a chip holds.
 *
 *   EF.COM (tag 60)  LDS/Unicode version, list of present DGs
 *   DG1    (tag 61)  MRZ (5F1F), parsed with card_mrz
 *   DG2    (tag 75)  face: biometric template 7F61/7F60/(5F2E | 7F2E); the image is
 *                    cut out of the ISO/IEC 19794-5 facial record, JPEG or JPEG 2000
 *   DG13   (tag 6D)  Vietnamese CCCD optional details: numbered UTF-8 fields
 *   DG14   (tag 6E)  SecurityInfos (chip authentication keys, PACE, TA, AA infos)
 *   DG15   (tag 6F)  Active Authentication public key (SubjectPublicKeyInfo)
 *   EF.SOD (tag 77)  see card_sod.h
 *
 * The outer LDS TLV layer is read with card_tlv; the ASN.1 inside (OIDs, integers,
 * public keys) is decoded with OpenSSL d2i functions.
 *
 * Ownership: every result struct here is filled in place. Pointers marked "borrowed"
 * point into the caller's input buffer and live as long as it. card_dg13 owns its
 * strings: release with card_dg13_clear() (wipes them). DG15 returns a new EVP_PKEY the
 * caller frees with EVP_PKEY_free. Nothing else allocates.
 */
#ifndef CARD_LDS_H
#define CARD_LDS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "eid_err.h"
#include "card_mrz.h"

#define CARD_LDS_MAX_DG 16

/* DG number (1..16) of an LDS file tag (0x61 -> 1, 0x75 -> 2, ... 0x70 -> 16), or 0. */
int card_lds_dg_from_tag(uint32_t tag);
/* The LDS file tag of DG n (1..16), or 0. */
uint32_t card_lds_tag_from_dg(int dg);

/* ---- EF.COM ---- */
struct card_lds_com {
	char lds_version[5];            /* "0107" */
	char unicode_version[7];        /* "040000" */
	size_t ndg;
	int dg[CARD_LDS_MAX_DG];        /* DG numbers in the order listed */
};
int card_lds_com_parse(const uint8_t *buf, size_t len, struct card_lds_com *out) EID_WARN_UNUSED;

/* ---- DG1 ---- returns card_mrz_parse's result (EID_ERR_CHECK_DIGIT keeps *out filled) */
int card_lds_dg1_parse(const uint8_t *buf, size_t len, struct card_mrz *out) EID_WARN_UNUSED;

/* ---- DG2 ---- */
enum card_image_type {
	CARD_IMAGE_UNKNOWN = 0,
	CARD_IMAGE_JPEG,
	CARD_IMAGE_JPEG2000,            /* JP2 file or raw J2K codestream */
};
struct card_face {
	size_t ninstances;              /* biometric templates in the group (7F61/02) */
	enum card_image_type type;      /* from the image's magic bytes */
	unsigned width, height;         /* from the ISO 19794-5 image information */
	unsigned image_data_type;       /* 19794-5 field: 0 JPEG, 1 JPEG 2000 */
	const uint8_t *image;           /* borrowed: the first face image */
	size_t image_len;
};
int card_lds_dg2_parse(const uint8_t *buf, size_t len, struct card_face *out) EID_WARN_UNUSED;

/* ---- DG13 (CCCD) ---- */
#define CARD_DG13_MAX_FIELDS    32
#define CARD_DG13_MAX_VALUES    4       /* strings in a nested field (13: father, mother) */
#define CARD_DG13_MAX_TEXT      1024    /* bytes in one string */

enum card_dg13_field_id {
	CARD_DG13_CITIZEN_ID = 1, CARD_DG13_FULL_NAME = 2, CARD_DG13_BIRTH_DATE = 3,
	CARD_DG13_SEX = 4, CARD_DG13_NATIONALITY = 5, CARD_DG13_ETHNICITY = 6,
	CARD_DG13_RELIGION = 7, CARD_DG13_HOMETOWN = 8, CARD_DG13_RESIDENCE = 9,
	CARD_DG13_MARKS = 10, CARD_DG13_ISSUE_DATE = 11, CARD_DG13_EXPIRY_DATE = 12,
	CARD_DG13_PARENTS = 13, CARD_DG13_SPOUSE = 14, CARD_DG13_OTHER_DOC = 15,
	CARD_DG13_OLD_ID = 16,
};

struct card_dg13_field {
	int number;
	size_t nvalues;                          /* 1 for a plain string, more when nested */
	char *values[CARD_DG13_MAX_VALUES];      /* owned, NUL-terminated, valid UTF-8 */
};
struct card_dg13 {
	long version;                   /* -1 when absent */
	char oid[64];                   /* "" when absent */
	size_t nfields;
	struct card_dg13_field fields[CARD_DG13_MAX_FIELDS];
};
/* Fields are stored in the order found; a field number seen twice is an error. */
int card_lds_dg13_parse(const uint8_t *buf, size_t len, struct card_dg13 *out) EID_WARN_UNUSED;
/* The field with this number, or NULL when absent. */
const struct card_dg13_field *card_dg13_get(const struct card_dg13 *d, int number);
/* Wipe and free the strings; *d is reset (safe to call twice). */
void card_dg13_clear(struct card_dg13 *d);
/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF, no NUL). */
int card_utf8_valid(const uint8_t *s, size_t n);

/* ---- DG14 ---- */
#define CARD_DG14_MAX_INFOS 16
enum card_secinfo_kind {
	CARD_SECINFO_OTHER = 0,
	CARD_SECINFO_CA_PUBKEY,         /* ChipAuthenticationPublicKeyInfo 0.4.0.127.0.7.2.2.1.x */
	CARD_SECINFO_CA,                /* ChipAuthenticationInfo 0.4.0.127.0.7.2.2.3.x.y */
	CARD_SECINFO_PACE,              /* PACEInfo 0.4.0.127.0.7.2.2.4.x.y */
	CARD_SECINFO_TA,                /* TerminalAuthenticationInfo 0.4.0.127.0.7.2.2.2 */
	CARD_SECINFO_AA,                /* ActiveAuthenticationInfo 2.23.136.1.1.5 */
};
struct card_secinfo {
	enum card_secinfo_kind kind;
	char protocol[64];              /* dotted OID */
	long version;                   /* requiredData INTEGER, or -1 */
	long key_id;                    /* optional INTEGER keyId, or -1 */
	char aa_sig_alg[64];            /* AA: signatureAlgorithm OID */
	long parameter_id;              /* PACE: parameterId, or -1 */
	const uint8_t *der;             /* borrowed: the whole SecurityInfo */
	size_t der_len;
	const uint8_t *spki;            /* borrowed: CA_PUBKEY SubjectPublicKeyInfo */
	size_t spki_len;
};
struct card_dg14 {
	size_t ninfos;
	struct card_secinfo infos[CARD_DG14_MAX_INFOS];
};
int card_lds_dg14_parse(const uint8_t *buf, size_t len, struct card_dg14 *out) EID_WARN_UNUSED;

/* ---- DG15 ---- *out is a new key (RSA or EC); caller frees with EVP_PKEY_free. */
int card_lds_dg15_parse(const uint8_t *buf, size_t len, EVP_PKEY **out) EID_WARN_UNUSED;

#endif /* CARD_LDS_H */
