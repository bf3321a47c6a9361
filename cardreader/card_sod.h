/*
 * card_sod.h - EF.SOD (tag 77): the Document Security Object (ICAO 9303-10 §4.6.2).
 *
 * EF.SOD wraps a CMS ContentInfo / SignedData whose eContent is an LDSSecurityObject:
 *   LDSSecurityObject ::= SEQUENCE { version INTEGER (0 | 1), hashAlgorithm
 *       AlgorithmIdentifier, dataGroupHashValues SEQUENCE OF DataGroupHash,
 *       ldsVersionInfo LDSVersionInfo OPTIONAL }
 * Parsing uses OpenSSL (d2i_CMS_ContentInfo and an ASN.1 template for the security
 * object); only the outer tag 77 is read with card_tlv. Parsing does not verify
 * anything: see card_pa.h for passive authentication.
 *
 * Ownership: card_sod_parse() returns a new struct card_sod the caller releases with
 * card_sod_free() (which NULLs the pointer). The CMS object inside is owned by the
 * struct; card_sod_cms() lends it.
 */
#ifndef CARD_SOD_H
#define CARD_SOD_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>

#include "eid_err.h"

#define CARD_SOD_MAX_HASHES 16
#define CARD_SOD_MAX_HASH_LEN 64

struct card_sod_hash {
	int dg;                                  /* 1..16 */
	size_t len;
	uint8_t hash[CARD_SOD_MAX_HASH_LEN];
};

struct card_sod {
	CMS_ContentInfo *cms;                    /* owned */
	char econtent_type[64];                  /* dotted OID */
	long version;                            /* LDSSecurityObject version */
	char hash_oid[64];                       /* dotted OID of hashAlgorithm */
	const EVP_MD *md;                        /* NULL when the hash is not known to OpenSSL */
	char lds_version[16];                    /* ldsVersionInfo, "" when absent */
	char unicode_version[16];
	size_t nhashes;
	struct card_sod_hash hashes[CARD_SOD_MAX_HASHES];
};

/* Parse EF.SOD (<= EID_SOD_MAX_BYTES). EID_ERR_TLV / EID_ERR_LDS on malformed input. */
int card_sod_parse(const uint8_t *buf, size_t len, struct card_sod **out) EID_WARN_UNUSED;
void card_sod_free(struct card_sod **sod);
/* The hash recorded for DG n, or NULL. */
const struct card_sod_hash *card_sod_find(const struct card_sod *sod, int dg);

#endif /* CARD_SOD_H */
