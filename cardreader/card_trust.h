/*
 * card_trust.h - the trust store for passive authentication: CSCA certificates,
 * ICAO CSCA master lists and CRLs.
 *
 * Sources, from files or memory buffers:
 *   - CSCA certificates, PEM (one or more) or DER (one);
 *   - CRLs, PEM (one or more) or DER (one); they are handed to OpenSSL's chain check,
 *     which verifies each CRL's signature against its CSCA when it is used;
 *   - ICAO master lists (ICAO 9303-12 §9): CMS SignedData with eContentType
 *     id-icao-cscaMasterList 2.23.136.1.1.2 whose content is
 *     CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }.
 *
 * Master list policy (the choice, documented): the list's CMS signature must verify,
 * and by default (CARD_TRUST_ML_CHAIN) the Master List Signer certificate must chain to
 * a CSCA that is ALREADY in this store; only then are the list's certificates added.
 * CARD_TRUST_ML_SELF_CONSISTENT instead accepts a signer that chains to a CSCA carried
 * in the list itself, which is how ICAO structures a list (the ML signer is issued by
 * the publishing state's CSCA, which is in the list). That proves the list is intact
 * and was signed by that state, NOT that the state's CSCA is genuine: use it only to
 * bootstrap from a list obtained over an authenticated channel (e.g. the ICAO PKD).
 *
 * Certificates with explicit EC domain parameters (required by ICAO 9303-12) are
 * accepted in chains (OpenSSL 3 rejects them by default: X509_V_ERR_EC_KEY_EXPLICIT_PARAMS).
 *
 * Ownership: struct card_trust is opaque; card_trust_new() allocates, card_trust_free()
 * frees and NULLs the pointer. Input buffers are only read (copied as needed).
 * card_trust_store_new() returns a fresh X509_STORE the caller frees.
 */
#ifndef CARD_TRUST_H
#define CARD_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "eid_err.h"

#define CARD_TRUST_MAX_FILE_BYTES (16 * 1024 * 1024)  /* a full master list is ~1 MB */
#define CARD_TRUST_MAX_CERTS      4096
#define CARD_TRUST_MAX_CRLS       1024

struct card_trust;

enum card_trust_ml_mode {
	CARD_TRUST_ML_CHAIN = 0,
	CARD_TRUST_ML_SELF_CONSISTENT = 1,
};

struct card_trust_entry {
	char subject[256];              /* RFC 2253, truncated if longer */
	char serial[80];                /* upper-case hex */
	time_t not_after;
	char not_after_text[32];        /* "YYYY-MM-DDTHH:MM:SSZ" */
	char sha256[65];                /* lower-case hex of the DER certificate */
};

int card_trust_new(struct card_trust **out) EID_WARN_UNUSED;
void card_trust_free(struct card_trust **ct);

/* *added (may be NULL) gets the number of new entries; duplicates are skipped. */
int card_trust_add_cert(struct card_trust *ct, const uint8_t *buf, size_t len,
    size_t *added) EID_WARN_UNUSED;
int card_trust_add_crl(struct card_trust *ct, const uint8_t *buf, size_t len,
    size_t *added) EID_WARN_UNUSED;
/*
 * Master list (DER CMS; PEM "-----BEGIN CMS-----" accepted). at: the time the signer
 * chain is checked at, 0 = no time check. Fails with EID_ERR_TRUST when the signer is
 * not trusted, EID_ERR_BAD_SIGNATURE when the CMS signature is wrong.
 */
int card_trust_add_masterlist(struct card_trust *ct, const uint8_t *buf, size_t len,
    enum card_trust_ml_mode mode, time_t at, size_t *added) EID_WARN_UNUSED;

int card_trust_add_cert_file(struct card_trust *ct, const char *path,
    size_t *added) EID_WARN_UNUSED;
int card_trust_add_crl_file(struct card_trust *ct, const char *path,
    size_t *added) EID_WARN_UNUSED;
int card_trust_add_masterlist_file(struct card_trust *ct, const char *path,
    enum card_trust_ml_mode mode, time_t at, size_t *added) EID_WARN_UNUSED;

size_t card_trust_count(const struct card_trust *ct);
size_t card_trust_crl_count(const struct card_trust *ct);
/* The store's CRL policy: on, passive authentication fails a Document Signer whose CSCA
 * has no CRL in the store ("ds_crl_missing"), as card_pa_opts.require_crl does. */
void card_trust_set_require_crl(struct card_trust *ct, int on);
int card_trust_require_crl(const struct card_trust *ct);
/* Describe CSCA number i (0-based, in load order) for an operator listing. */
int card_trust_entry(const struct card_trust *ct, size_t i,
    struct card_trust_entry *e) EID_WARN_UNUSED;

/* A new X509_STORE with every CSCA as anchor and every CRL; caller X509_STORE_free()s. */
X509_STORE *card_trust_store_new(const struct card_trust *ct);

/*
 * Verify callback used for eMRTD chains (also by card_pa): accepts
 * X509_V_ERR_EC_KEY_EXPLICIT_PARAMS and X509_V_ERR_UNABLE_TO_GET_CRL (a CSCA
 * without a loaded CRL), everything else as OpenSSL decided.
 */
int card_trust_verify_cb(int ok, X509_STORE_CTX *ctx);

#endif /* CARD_TRUST_H */
