/*
 * card_pa.h - passive authentication of chip data (ICAO 9303-11 §5.1).
 *
 * Given EF.SOD, the data groups read from the chip, a trust store and a verification
 * time, three checks run and each is reported separately:
 *   sod_signature      the CMS SignedData signature (and its signed attributes) verifies
 *                      with the Document Signer certificate carried in the SOD;
 *                      RSA PKCS#1 v1.5, RSASSA-PSS and ECDSA (NIST and brainpool curves,
 *                      named or explicit parameters) are accepted, as OpenSSL verifies them;
 *   document_signer    the DS certificate chains to a trusted CSCA (OpenSSL
 *                      X509_verify_cert, explicit EC parameters accepted), is valid at
 *                      the given time (or time checks are off), is not revoked by a loaded
 *                      CRL, and has digitalSignature key usage when key usage is present;
 *   data_group_hashes  every DG presented hashes (whole file, tag and length included)
 *                      to the value in the LDSSecurityObject.
 * Every check runs even when an earlier one failed ("check everything, then decide"),
 * except that document_signer needs the DS certificate from the SOD.
 *
 * Reasons are short machine-readable strings for JSON: "sod_malformed",
 * "sod_signature_invalid", "sod_signed_attrs_invalid", "sod_multiple_signers", "ds_cert_missing", "ds_untrusted",
 * "ds_revoked", "ds_expired", "ds_not_yet_valid", "csca_expired", "ds_key_usage",
 * "ds_signature_invalid", "crl_invalid", "ds_crl_missing", "ds_chain_error:<n>",
 * "no_trust_store", "hash_alg_unsupported", "dg_hash_mismatch:<n>", "dg_not_in_sod:<n>",
 * "dg_tag_mismatch:<n>", "dg_duplicate:<n>", "dg_invalid:<n>", "no_data_groups".
 *
 * Ownership: inputs are borrowed; struct card_pa_result is a plain value.
 * Return: 0 only when all three checks PASS; otherwise EID_ERR_PASSIVE_AUTH (signature),
 * EID_ERR_TRUST (document signer) or EID_ERR_HASH_MISMATCH (DG hashes) for the first
 * check that did not pass, EID_ERR_LDS/EID_ERR_TLV when EF.SOD does not parse. The
 * result is filled in every case.
 */
#ifndef CARD_PA_H
#define CARD_PA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "eid_err.h"
#include "card_trust.h"

enum card_check_result {
	CARD_CHECK_NOT_PERFORMED = 0,
	CARD_CHECK_PASS = 1,
	CARD_CHECK_FAIL = 2,
};

#define CARD_PA_MAX_REASONS 16
#define CARD_PA_REASON_LEN  32

struct card_pa_dg {
	int dg;                         /* 1..16 */
	const uint8_t *data;            /* borrowed: the whole EF (e.g. starts with 0x61) */
	size_t len;
};

struct card_pa_opts {
	time_t at;                      /* verification time (the caller's clock) */
	int no_time_check;              /* 1: X509_V_FLAG_NO_CHECK_TIME (old test documents) */
	int require_crl;                /* 1: fail when no CRL of the DS's CSCA is loaded */
};

struct card_pa_result {
	enum card_check_result sod_signature;
	enum card_check_result document_signer;
	enum card_check_result data_group_hashes;
	uint32_t dg_verified;           /* bit n set: DG n was presented and its hash matched */
	int crl_checked;                /* 1 if a CRL from the DS's issuer was in the store */
	char hash_alg[16];              /* "SHA256", ... ("" when unknown) */
	char ds_subject[256];           /* RFC 2253 */
	size_t nreasons;
	char reasons[CARD_PA_MAX_REASONS][CARD_PA_REASON_LEN];
};

/* trust may be NULL (document_signer then FAILs with "no_trust_store"). */
int card_pa_verify(const uint8_t *sod, size_t sodlen, const struct card_pa_dg *dgs,
    size_t ndgs, const struct card_trust *trust, const struct card_pa_opts *opts,
    struct card_pa_result *res) EID_WARN_UNUSED;

/* "pass", "fail" or "not_performed". */
const char *card_check_result_str(enum card_check_result r);

#endif /* CARD_PA_H */
