/*
 * srv_card.h - the pure parts of level 2 with the chip card (srv_handle_card.c): the
 * one-time codes a citizen types into `eid-card bind|login` (or a phone app), the
 * reference under which a bound card is stored, and the decision whether a verified
 * card may bind to an account or sign one in. No I/O, no clock, no logging.
 *
 * Codes: SRV_CARD_CODE_CHARS characters from a 32-symbol alphabet without the look-alikes
 * 0/O and 1/I ("23456789ABCDEFGHJKLMNPQRSTUVWXYZ"), 5 random bits each from the CSPRNG
 * (40 bits; they live 5 minutes, are single use, and failed look-ups are rate-limited).
 * Shown as "ABCD-EFGH"; typed input is accepted in either case, with spaces and '-'
 * anywhere, and normalised to the 8 canonical characters.
 *
 * Card reference: a bound card is stored as a keyed BLAKE2b-256 of its issuing state and
 * document number (never the number itself), so the database alone does not say which
 * card a citizen holds, yet sign-in can check that the card presented is the bound one.
 *
 * THE RULE (srv_card_decide), on the verdict of srv_documents_verify() for the files the
 * tool submitted, in this order:
 *   1. sod_signature, document_signer and data_group_hashes "pass"  else card_not_genuine
 *   2. active_authentication "pass" (a chip that answered this code's fresh challenge;
 *      "not_performed" is not enough)                              else card_not_authenticated
 *   3. verdict "valid" (DG1 parses, not expired), the DG1 ID is 12 digits, and DG13's ID,
 *      when DG13 was presented and has one, is the same             else card_not_valid
 *   4. (binding only) that ID equals the account's citizen ID     else citizen_id_mismatch
 * On success out->citizen_id, out->document_number and out->issuing_state are set.
 */
#ifndef SRV_CARD_H
#define SRV_CARD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "eid_err.h"

#define SRV_CARD_CODE_CHARS   8
#define SRV_CARD_CODE_LEN     (SRV_CARD_CODE_CHARS + 1)        /* canonical + NUL */
#define SRV_CARD_CODE_SHOWN   (SRV_CARD_CODE_CHARS + 2)        /* "ABCD-EFGH" + NUL */
#define SRV_CARD_CODE_INPUT_MAX 32                              /* typed form, with separators */
#define SRV_CARD_REF_BYTES    32

extern const char srv_card_code_alphabet[];                    /* 32 symbols */

/* A new random code (canonical form, NUL-terminated). */
void srv_card_code_new(char out[SRV_CARD_CODE_LEN]);
/* Typed input -> canonical code: 0, or EID_ERR_FORMAT (NULL, too long, a symbol outside
 * the alphabet, not exactly SRV_CARD_CODE_CHARS symbols). out is "" on failure. */
int srv_card_code_normalize(const char *in, char out[SRV_CARD_CODE_LEN]) EID_WARN_UNUSED;
/* Canonical code -> "ABCD-EFGH". */
void srv_card_code_show(const char code[SRV_CARD_CODE_LEN], char out[SRV_CARD_CODE_SHOWN]);

/* The stored reference of a card (see above). key: 32 bytes derived from the server secret. */
void srv_card_ref(const uint8_t key[32], const char *issuing_state, const char *document_number,
    uint8_t out[SRV_CARD_REF_BYTES]);

enum srv_card_outcome {
	SRV_CARD_OK = 0,
	SRV_CARD_NOT_GENUINE,
	SRV_CARD_NOT_AUTHENTICATED,
	SRV_CARD_NOT_VALID,
	SRV_CARD_ID_MISMATCH,
};

struct srv_card_decision {
	enum srv_card_outcome outcome;
	const char *error;                  /* OAuth-style error code, "" when OK (static) */
	const char *description;            /* for the citizen (static) */
	char citizen_id[13];
	char document_number[16];
	char issuing_state[4];
};

/*
 * Decide on a verdict (srv_documents.h). dg13: the submitted DG13 or NULL. account_id_number:
 * the account's 12-digit citizen ID when binding, NULL when signing in. Returns 0 with
 * *out filled whatever the outcome; EID_ERR_INVALID_ARGUMENT for NULL verdict/out.
 */
int srv_card_decide(const json_t *verdict, const uint8_t *dg13, size_t dg13_len,
    const char *account_id_number, struct srv_card_decision *out) EID_WARN_UNUSED;

/* The error code and description of an outcome (static strings). */
const char *srv_card_outcome_error(enum srv_card_outcome o);
const char *srv_card_outcome_description(enum srv_card_outcome o);

#endif /* SRV_CARD_H */
