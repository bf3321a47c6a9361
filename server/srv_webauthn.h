/*
 * srv_webauthn.h - server-side WebAuthn (passkey) verification: registration and sign-in.
 *
 * Pure functions: the bytes the browser sent, the relying-party parameters and (for
 * sign-in) the stored credential come in; a verdict, the new credential or the new
 * signature counter come out. No socket, no Redis, no store: the caller issues the
 * challenge (srv_webauthn_challenge_new), keeps it, takes it back exactly once
 * (one-time use is the caller's job), looks the credential up, and stores what
 * registration returns.
 *
 * What is checked (WebAuthn Level 2, sections 7.1 and 7.2):
 *   clientDataJSON  parsed with jansson (duplicate keys refused, at most
 *                   SRV_WEBAUTHN_MAX_CLIENT_DATA bytes); `type` must be "webauthn.create"
 *                   (registration) or "webauthn.get" (sign-in); `challenge` is base64url
 *                   and must equal the expected 32 bytes (constant time); `origin` must
 *                   equal params->origin exactly; `crossOrigin` true is refused. Its
 *                   SHA-256 is what the authenticator signed.
 *   authenticatorData  read with a bounded reader: rpIdHash must be SHA-256(rp_id); UP
 *                   always required; UV required when params->require_uv; BS without BE
 *                   refused; attested credential data required at registration and
 *                   refused at sign-in; extensions, when flagged, must be one CBOR map;
 *                   no trailing bytes.
 *   attestationObject  CBOR (libcbor, after a bounded pre-walk that refuses indefinite
 *                   lengths, tags, depth > SRV_WEBAUTHN_CBOR_MAX_DEPTH and counts larger
 *                   than the input): a map of exactly fmt, attStmt, authData. Formats:
 *                   "none" (empty attStmt) and "packed" (self attestation, or full
 *                   attestation with an x5c chain). Others are refused.
 *   signatures      verified by libfido2 (fido_cred_verify / fido_cred_verify_self at
 *                   registration, fido_assert_verify at sign-in) with UP (and UV when
 *                   required) set explicitly; ES256, EdDSA (Ed25519) and RS256 (RSA
 *                   2048, the only size libfido2 takes) credential keys.
 *   attestation chain  packed x5c: the leaf must meet the packed-format certificate
 *                   rules (v3, OU "Authenticator Attestation", not a CA, AAGUID extension
 *                   non-critical and equal to the authenticator's when present) and chain
 *                   with OpenSSL X509_verify_cert to params->attestation_roots.
 *   sign-in extras  the credential id sent must equal the stored one; a userHandle,
 *                   when sent, must equal the stored one; the backup-eligible flag must
 *                   not have changed; the counter must move forward
 *                   (srv_webauthn_check_counter).
 *
 * Errors: EID_ERR_FORMAT / EID_ERR_TRUNCATED / EID_ERR_TRAILING_DATA / EID_ERR_TOO_LARGE /
 * EID_ERR_DEPTH for malformed input, EID_ERR_DENIED for a policy refusal (type, origin,
 * challenge, rp id, flags, credential or user mismatch), EID_ERR_BAD_SIGNATURE,
 * EID_ERR_TRUST (attestation required, missing or untrusted), EID_ERR_UNSUPPORTED (key
 * algorithm or attestation format), EID_ERR_REPLAY (counter did not move forward),
 * EID_ERR_INVALID_ARGUMENT (caller error), EID_ERR_NOMEM / EID_ERR_INTERNAL.
 * `why`, when not NULL, always receives a static, data-free reason for logs and tests
 * (e.g. "origin mismatch", "type mismatch", "user presence missing", "counter went
 * backwards"); "ok" on success.
 */
#ifndef SRV_WEBAUTHN_H
#define SRV_WEBAUTHN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "eid_err.h"

#define SRV_WEBAUTHN_CHALLENGE_LEN     32
#define SRV_WEBAUTHN_MAX_CLIENT_DATA   4096         /* clientDataJSON bytes */
#define SRV_WEBAUTHN_MAX_ATTESTATION   (32 * 1024)  /* attestationObject bytes */
#define SRV_WEBAUTHN_MAX_AUTHDATA      4096         /* sign-in authenticatorData bytes */
#define SRV_WEBAUTHN_MAX_SIGNATURE     1024
#define SRV_WEBAUTHN_MAX_CRED_ID       1023         /* WebAuthn's own limit */
#define SRV_WEBAUTHN_MAX_COSE_KEY      1024         /* RSA-2048 COSE keys are ~270 bytes */
#define SRV_WEBAUTHN_MAX_USER_HANDLE   64           /* WebAuthn's own limit */
#define SRV_WEBAUTHN_MAX_X5C           5            /* certificates in a packed x5c */
#define SRV_WEBAUTHN_CBOR_MAX_DEPTH    8
#define SRV_WEBAUTHN_AAGUID_LEN        16

/* COSE algorithm identifiers of the credential keys accepted. */
#define SRV_WEBAUTHN_ALG_ES256  (-7)
#define SRV_WEBAUTHN_ALG_EDDSA  (-8)
#define SRV_WEBAUTHN_ALG_RS256  (-257)

/* Relying-party parameters of one ceremony. All pointers are borrowed. */
struct srv_webauthn_params {
	const char *rp_id;              /* e.g. "eid.example" (the issuer's host) */
	const char *origin;             /* e.g. "https://eid.example" (exact match) */
	const uint8_t *challenge;       /* the SRV_WEBAUTHN_CHALLENGE_LEN bytes issued */
	int require_uv;                 /* 1: the UV flag must be set (level 2) */
	int require_attestation;        /* registration: only packed full attestation
	                                   chaining to attestation_roots is accepted */
	X509_STORE *attestation_roots;  /* operator's roots; required with
	                                   require_attestation, optional otherwise (then a
	                                   chain is checked when present, see below) */
};

enum srv_webauthn_attestation {
	SRV_WEBAUTHN_ATT_NONE = 0,      /* fmt "none" */
	SRV_WEBAUTHN_ATT_SELF,          /* packed, signed by the credential key itself */
	SRV_WEBAUTHN_ATT_UNVERIFIED,    /* packed x5c, signature good, chain not checked
	                                   (no roots) or not trusted (only when not required) */
	SRV_WEBAUTHN_ATT_TRUSTED,       /* packed x5c chaining to attestation_roots */
};

/* What registration yields; the caller stores cred_id, cose_key, alg, sign_count, be. */
struct srv_webauthn_credential {
	uint8_t cred_id[SRV_WEBAUTHN_MAX_CRED_ID];
	size_t cred_id_len;
	uint8_t cose_key[SRV_WEBAUTHN_MAX_COSE_KEY];    /* the COSE_Key bytes as sent */
	size_t cose_key_len;
	int alg;                                        /* SRV_WEBAUTHN_ALG_* */
	uint32_t sign_count;
	uint8_t aaguid[SRV_WEBAUTHN_AAGUID_LEN];
	int uv, be, bs;                                 /* flags, 0 or 1 */
	enum srv_webauthn_attestation attestation;
};

/* A stored credential, as the caller looked it up. All pointers are borrowed. */
struct srv_webauthn_stored {
	const uint8_t *cred_id;
	size_t cred_id_len;
	const uint8_t *cose_key;
	size_t cose_key_len;
	int alg;
	uint32_t sign_count;
	int be;                         /* backup eligibility recorded at registration */
	const uint8_t *user_handle;     /* the account's WebAuthn user.id */
	size_t user_handle_len;
};

/* The browser's assertion response, decoded from base64url by the caller. Borrowed. */
struct srv_webauthn_assertion {
	const uint8_t *cred_id;         /* rawId */
	size_t cred_id_len;
	const uint8_t *client_data_json;
	size_t client_data_len;
	const uint8_t *authenticator_data;
	size_t authenticator_data_len;
	const uint8_t *signature;
	size_t signature_len;
	const uint8_t *user_handle;     /* NULL / 0 when the browser sent none */
	size_t user_handle_len;
};

struct srv_webauthn_assertion_result {
	uint32_t sign_count;            /* store this as the credential's new counter */
	int uv, be, bs;
};

/* Fill out with SRV_WEBAUTHN_CHALLENGE_LEN bytes from the CSPRNG. */
void srv_webauthn_challenge_new(uint8_t out[SRV_WEBAUTHN_CHALLENGE_LEN]);

/*
 * Verify a registration (navigator.credentials.create() response). On success returns
 * 0 and fills *out; on failure *out is zeroed. With require_attestation 0, fmt "none"
 * and packed self attestation are accepted; a packed x5c must carry a valid signature,
 * and its chain is checked when attestation_roots is given (result TRUSTED, else
 * UNVERIFIED).
 */
int srv_webauthn_verify_registration(const struct srv_webauthn_params *p,
    const uint8_t *client_data_json, size_t cdlen,
    const uint8_t *attestation_object, size_t aolen,
    struct srv_webauthn_credential *out, const char **why) EID_WARN_UNUSED;

/*
 * Verify a sign-in (navigator.credentials.get() response) against the stored credential.
 * On success returns 0 and fills *out (the caller then stores out->sign_count).
 */
int srv_webauthn_verify_assertion(const struct srv_webauthn_params *p,
    const struct srv_webauthn_stored *cred, const struct srv_webauthn_assertion *a,
    struct srv_webauthn_assertion_result *out, const char **why) EID_WARN_UNUSED;

/*
 * The signature-counter rule: received > stored is fine; both 0 is fine (authenticators
 * without a counter); anything else means a possibly cloned authenticator:
 * EID_ERR_REPLAY ("counter went backwards" / "counter did not increase").
 */
int srv_webauthn_check_counter(uint32_t stored, uint32_t received, const char **why)
    EID_WARN_UNUSED;

/*
 * Load the operator's attestation root certificates from a PEM file (one or more
 * certificates) into a new store. Caller frees with X509_STORE_free().
 */
int srv_webauthn_roots_load(const char *pem_path, X509_STORE **out) EID_WARN_UNUSED;

/*
 * Split a configured issuer URL "scheme://host[:port][/path]" into the WebAuthn origin
 * ("scheme://host[:port]", lower-cased scheme and host) and rp id ("host").
 * EID_ERR_FORMAT for anything else (no scheme, userinfo, IPv6 literals, empty host),
 * EID_ERR_TOO_LARGE if a buffer is short.
 */
int srv_webauthn_origin_from_url(const char *url, char *origin, size_t origin_sz,
    char *rp_id, size_t rp_id_sz) EID_WARN_UNUSED;

#endif /* SRV_WEBAUTHN_H */
