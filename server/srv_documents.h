/*
 * srv_documents.h - the pure core of POST /v1/documents/verify: a bank or an airport
 * posts the files it read from a citizen's chip card (CCCD, ICAO 9303 eMRTD) and learns
 * whether they are genuine.
 *
 *   parse   srv_documents_parse(): request JSON -> struct srv_doc_request (or a
 *           description of what is wrong that an integrator can act on);
 *   verify  srv_documents_verify(): passive authentication against the trust store,
 *   decide  DG1 fields, active authentication, expiry -> the verdict JSON.
 * No I/O, no clock (now is passed in), no logging: the HTTP handler is a thin shell that
 * acquires a trust snapshot (srv_trust.h), takes the AA challenge from the session store,
 * calls these, writes srv_documents_audit_details() to the audit log and responds.
 *
 * Request:
 *   {"sod": "<standard base64 of EF.SOD>",
 *    "data_groups": {"1": "<base64 of the whole EF.DG1>", "2": ..., ..., "16": ...},
 *    "active_authentication": {"challenge": "<base64, 8 bytes>", "signature": "<base64>"}}
 * DG keys are "1".."16" (decimal, no leading zero); DG1 is required; active_authentication
 * is optional; any other member is refused. Caps: the body EID_HTTP_MAX_DOC_BODY_BYTES,
 * EF.SOD EID_SOD_MAX_BYTES, each DG EID_DG_MAX_BYTES, the AA signature
 * SRV_DOC_AA_SIG_MAX_BYTES, JSON depth EID_JSON_MAX_DEPTH; duplicate keys are refused.
 *
 * Verdict (exactly these members):
 *   {"verdict": "valid"|"invalid",
 *    "checks": {"sod_signature", "document_signer", "data_group_hashes",
 *               "active_authentication", "chip_authentication": "pass"|"fail"|"not_performed"},
 *    "reasons": ["<machine-readable code>", ...],
 *    "document": {"document_code", "issuing_state", "document_number", "citizen_id",
 *                 "name", "birth_date", "sex", "expiry_date", "nationality",
 *                 "full_name" (DG13 name in Vietnamese, only when DG13 was presented and
 *                 its hash verified)}}      ("document" is {} when DG1 does not parse)
 *
 * THE RULE for "valid" (everything must hold; otherwise "invalid" with reasons):
 *   1. sod_signature, document_signer and data_group_hashes all "pass" (card_pa.h);
 *   2. DG1 was presented, is covered by the SOD, and its MRZ parses with correct check
 *      digits;
 *   3. active_authentication is "pass", or "not_performed" because the caller submitted
 *      no AA (a submitted AA that fails, or whose challenge is unknown/reused/expired,
 *      makes the document invalid: a cloned chip cannot answer a fresh challenge);
 *   4. the document is not expired: expiry_date >= today (UTC date of now), else
 *      reason "document_expired".
 * chip_authentication is always "not_performed": CA is an interactive key agreement with
 * the chip during reading; the server cannot perform it after the fact (reason
 * "chip_authentication_not_verifiable_by_server" when DG14 was presented). AA counts
 * only when DG15 (and DG14 when it names the AA hash) is covered by a SOD whose signature
 * and signer verified; otherwise it is "fail" with reason "aa_key_not_authenticated".
 *
 * "reasons" explains every check that did not pass and may also carry notes on a valid
 * verdict (e.g. the chip_authentication one); integrators decide on "verdict" alone.
 * Reasons: everything card_pa_verify reports, plus "dg1_missing", "dg1_not_in_sod",
 * "dg1_invalid", "mrz_check_digit", "expiry_date_invalid", "document_expired",
 * "challenge_unknown_or_reused",
 * "dg15_missing", "dg15_invalid", "aa_key_not_authenticated", "aa_algorithm_unsupported",
 * "aa_signature_invalid", "chip_authentication_not_verifiable_by_server".
 *
 * Privacy: the verdict carries personal data and must never be logged. The face (DG2)
 * is only hashed, never decoded or returned; of DG13 only the full name is returned.
 *
 * Ownership: struct srv_doc_request owns its buffers; srv_doc_request_clear() wipes and
 * frees them (safe on a zeroed or already cleared struct). Verdicts and audit details
 * are new JSON objects the caller json_decref()s.
 */
#ifndef SRV_DOCUMENTS_H
#define SRV_DOCUMENTS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "card_aa.h"
#include "card_trust.h"
#include "eid_err.h"

#define SRV_DOC_MAX_DG            16
#define SRV_DOC_AA_SIG_MAX_BYTES  1024      /* RSA-4096 is 512, ECDSA P-521 plain 132 */

/* challenge_status values for srv_documents_verify */
#define SRV_DOC_CHALLENGE_TAKEN     1       /* issued to this caller, consumed now */
#define SRV_DOC_CHALLENGE_BAD       0       /* unknown, reused or expired */
#define SRV_DOC_CHALLENGE_NONE    (-1)      /* no AA submitted */

struct srv_doc_request {
	uint8_t *sod;
	size_t sod_len;
	uint8_t *dg[SRV_DOC_MAX_DG + 1];    /* index = DG number; NULL when not presented */
	size_t dg_len[SRV_DOC_MAX_DG + 1];
	int have_aa;
	uint8_t aa_challenge[CARD_AA_CHALLENGE_LEN];
	uint8_t *aa_signature;
	size_t aa_signature_len;
};

/*
 * Parse a request body. On failure returns EID_ERR_FORMAT or EID_ERR_TOO_LARGE (or
 * EID_ERR_NOMEM), *out is cleared and *error_description points at a static string
 * naming the offending member ("data_groups.13 is not valid base64").
 */
int srv_documents_parse(const char *json, size_t len, struct srv_doc_request *out,
    const char **error_description) EID_WARN_UNUSED;
void srv_doc_request_clear(struct srv_doc_request *req);

/*
 * Verify and decide. trust may be NULL (document_signer fails "no_trust_store").
 * challenge_status: SRV_DOC_CHALLENGE_* (see above); the caller looks the submitted
 * challenge up and consumes it before calling. Returns 0 with *verdict set whatever the
 * verdict is; an error only when no verdict could be built (EID_ERR_NOMEM).
 */
int srv_documents_verify(const struct srv_doc_request *req, const struct card_trust *trust,
    int challenge_status, time_t now, json_t **verdict) EID_WARN_UNUSED;

/*
 * The audit details object for one verification: {"client_id", "citizen_ref",
 * "verdict", "checks": {...}, "reasons": [...]}. The audit log must not hold personal
 * data (srv_store.h), so the citizen ID is recorded as citizen_ref = hex of a keyed
 * BLAKE2b-128 of it under pseudonym_key (32 bytes, derived from the server secret by
 * the caller): the operator can still answer "who verified citizen X" by computing X's
 * ref, a reader of the log alone cannot enumerate citizens (12-digit IDs are easy to
 * brute-force under an unkeyed hash). pseudonym_key NULL: citizen_ref is omitted.
 * Returns a new object or NULL (out of memory).
 */
json_t *srv_documents_audit_details(const char *client_id, const json_t *verdict,
    const uint8_t *pseudonym_key);

#endif /* SRV_DOCUMENTS_H */
