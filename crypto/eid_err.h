/*
 * eid_err.h - the project's one error vocabulary.
 *
 * Every function that can fail returns int: 0 (EID_OK) on success, or a negative
 * EID_ERR_* code. Codes are grouped in ranges by layer so a log line tells where a
 * failure came from:
 *     -1 .. -99    generic (memory, arguments, limits, I/O)
 *   -100 .. -199   crypto/ (keys, signatures, encodings)
 *   -200 .. -299   tokens/ (JWS, JWK, JWT)
 *   -300 .. -399   cardreader/ (TLV, LDS, PC/SC, secure messaging, passive/active auth)
 *   -400 .. -499   server/ stores (Redis, SQLite)
 *   -500 .. -599   server/ protocol and policy
 * eid_strerror() gives a short English text for logs; it never contains data.
 */
#ifndef EID_ERR_H
#define EID_ERR_H

enum eid_err {
	EID_OK = 0,
	/* generic */
	EID_ERR_NOMEM = -1,
	EID_ERR_INVALID_ARGUMENT = -2,
	EID_ERR_TOO_LARGE = -3,
	EID_ERR_TRUNCATED = -4,
	EID_ERR_TRAILING_DATA = -5,
	EID_ERR_FORMAT = -6,
	EID_ERR_IO = -7,
	EID_ERR_NOT_FOUND = -8,
	EID_ERR_EXISTS = -9,
	EID_ERR_INTERNAL = -10,
	EID_ERR_UNSUPPORTED = -11,
	EID_ERR_TIMEOUT = -12,
	EID_ERR_DEPTH = -13,
	/* crypto/ */
	EID_ERR_CRYPTO = -100,
	EID_ERR_BAD_SIGNATURE = -101,
	EID_ERR_ALG_NOT_ALLOWED = -102,
	EID_ERR_KEY = -103,
	EID_ERR_ENCODING = -104,
	EID_ERR_RANDOM = -105,
	EID_ERR_MAC = -106,
	/* tokens/ */
	EID_ERR_JWS = -200,
	EID_ERR_JWK = -201,
	EID_ERR_JWT_CLAIMS = -202,
	EID_ERR_JWT_EXPIRED = -203,
	EID_ERR_KID_UNKNOWN = -204,
	/* cardreader/ */
	EID_ERR_TLV = -300,
	EID_ERR_LDS = -301,
	EID_ERR_MRZ = -302,
	EID_ERR_CHECK_DIGIT = -303,
	EID_ERR_PCSC = -304,
	EID_ERR_NO_READER = -305,
	EID_ERR_NO_CARD = -306,
	EID_ERR_CARD_REMOVED = -307,
	EID_ERR_APDU = -308,
	EID_ERR_ACCESS_DENIED = -309,
	EID_ERR_SM = -310,
	EID_ERR_PASSIVE_AUTH = -311,
	EID_ERR_ACTIVE_AUTH = -312,
	EID_ERR_CHIP_AUTH = -313,
	EID_ERR_TRUST = -314,
	EID_ERR_HASH_MISMATCH = -315,
	EID_ERR_CARD_UNSUPPORTED = -316,
	/* server/ stores */
	EID_ERR_REDIS = -400,
	EID_ERR_REDIS_DOWN = -401,
	EID_ERR_DB = -402,
	EID_ERR_DB_BUSY = -403,
	EID_ERR_MIGRATION = -404,
	/* server/ protocol and policy */
	EID_ERR_CONFIG = -500,
	EID_ERR_HTTP = -501,
	EID_ERR_DENIED = -502,
	EID_ERR_EXPIRED = -503,
	EID_ERR_REPLAY = -504,
};

/* A short, data-free description of an EID_ERR_* code ("unknown error" otherwise). */
const char *eid_strerror(int err);

#if defined(__GNUC__)
#define EID_WARN_UNUSED __attribute__((warn_unused_result))
#define EID_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define EID_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EID_WARN_UNUSED
#define EID_NONNULL(...)
#define EID_PRINTF(f, a)
#endif

#endif /* EID_ERR_H */
