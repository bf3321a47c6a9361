/* eid_err.c - texts for the EID_ERR_* codes. */
#include <stddef.h>

#include "eid_err.h"

static const struct {
	int code;
	const char *text;
} eid_err_texts[] = {
	{ EID_OK, "success" },
	{ EID_ERR_NOMEM, "out of memory" },
	{ EID_ERR_INVALID_ARGUMENT, "invalid argument" },
	{ EID_ERR_TOO_LARGE, "input exceeds a size limit" },
	{ EID_ERR_TRUNCATED, "input is truncated" },
	{ EID_ERR_TRAILING_DATA, "unexpected bytes after the end of the input" },
	{ EID_ERR_FORMAT, "malformed input" },
	{ EID_ERR_IO, "input/output error" },
	{ EID_ERR_NOT_FOUND, "not found" },
	{ EID_ERR_EXISTS, "already exists" },
	{ EID_ERR_INTERNAL, "internal error" },
	{ EID_ERR_UNSUPPORTED, "unsupported" },
	{ EID_ERR_TIMEOUT, "timed out" },
	{ EID_ERR_DEPTH, "nesting too deep" },
	{ EID_ERR_CRYPTO, "cryptographic library error" },
	{ EID_ERR_BAD_SIGNATURE, "signature does not verify" },
	{ EID_ERR_ALG_NOT_ALLOWED, "algorithm not allowed" },
	{ EID_ERR_KEY, "unusable key" },
	{ EID_ERR_ENCODING, "bad encoding" },
	{ EID_ERR_RANDOM, "random number generator failed" },
	{ EID_ERR_MAC, "message authentication failed" },
	{ EID_ERR_JWS, "malformed JWS" },
	{ EID_ERR_JWK, "malformed or unusable JWK" },
	{ EID_ERR_JWT_CLAIMS, "JWT claims invalid" },
	{ EID_ERR_JWT_EXPIRED, "JWT expired or not yet valid" },
	{ EID_ERR_KID_UNKNOWN, "unknown key id" },
	{ EID_ERR_TLV, "malformed TLV" },
	{ EID_ERR_LDS, "malformed LDS data group" },
	{ EID_ERR_MRZ, "malformed MRZ" },
	{ EID_ERR_CHECK_DIGIT, "MRZ check digit mismatch" },
	{ EID_ERR_PCSC, "PC/SC error" },
	{ EID_ERR_NO_READER, "no card reader" },
	{ EID_ERR_NO_CARD, "no card in the reader" },
	{ EID_ERR_CARD_REMOVED, "card removed" },
	{ EID_ERR_APDU, "card returned an error status" },
	{ EID_ERR_ACCESS_DENIED, "card refused access (wrong MRZ or CAN?)" },
	{ EID_ERR_SM, "secure messaging failed" },
	{ EID_ERR_PASSIVE_AUTH, "passive authentication failed" },
	{ EID_ERR_ACTIVE_AUTH, "active authentication failed" },
	{ EID_ERR_CHIP_AUTH, "chip authentication failed" },
	{ EID_ERR_TRUST, "not trusted" },
	{ EID_ERR_HASH_MISMATCH, "data group hash mismatch" },
	{ EID_ERR_CARD_UNSUPPORTED, "unsupported chip" },
	{ EID_ERR_REDIS, "Redis error" },
	{ EID_ERR_REDIS_DOWN, "Redis unavailable" },
	{ EID_ERR_DB, "database error" },
	{ EID_ERR_DB_BUSY, "database busy" },
	{ EID_ERR_MIGRATION, "schema migration failed" },
	{ EID_ERR_CONFIG, "configuration error" },
	{ EID_ERR_HTTP, "HTTP error" },
	{ EID_ERR_DENIED, "denied" },
	{ EID_ERR_EXPIRED, "expired" },
	{ EID_ERR_REPLAY, "replayed" },
};

const char *
eid_strerror(int err)
{
	size_t i;

	for (i = 0; i < sizeof(eid_err_texts) / sizeof(eid_err_texts[0]); i++)
		if (eid_err_texts[i].code == err)
			return eid_err_texts[i].text;
	return "unknown error";
}
