/*
 * card_read.h - one reading session with an eMRTD chip (ICAO 9303-10/11) such as the
 * Vietnamese CCCD, over any card_transport.
 *
 *   1. access control:
 *        PACE when asked for (or AUTO) and EF.CardAccess (read plain from the MF) has a
 *        usable PACEInfo and a CAN or MRZ is given: PACE, then SELECT eMRTD application
 *        under SM;
 *        else (or when PACE fails and an MRZ is given, after a card reset): SELECT eMRTD
 *        application (A0 00 00 02 47 10 01) plain, then BAC with the MRZ.
 *   2. READ BINARY under SM of EF.COM, DG1, DG2, DG13, DG14, DG15, EF.SOD: a file is
 *      read up to the length its outer TLV declares (offsets > 32767 via READ BINARY B1),
 *      capped at EID_DG_MAX_BYTES. A file the chip does not have (6A82) or protects
 *      (6982) is skipped; only DG1 is required (passive authentication later needs
 *      EF.SOD and decides).
 *   3. Active Authentication, only when the caller gives an 8-byte challenge and DG15 was
 *      read: INTERNAL AUTHENTICATE; the signature bytes are returned (verify them with
 *      card_aa_verify against DG15 once DG15 passed passive authentication).
 *   4. Chip Authentication (card_ca.h), only when asked for (CARD_READ_CHIP_AUTH): with the
 *      DG14 key, MSE:Set AT + GENERAL AUTHENTICATE under the current SM, then new AES SM
 *      keys (SSC 0) and DG14 read again under them and compared with the first copy.
 *      It runs last, so a failure (which ends the chip's SM session) loses nothing that
 *      was read. Every earlier read went over the same continuous SM session, which
 *      only the chip that performed CA could have kept up, so CA vouches for all of it.
 *      Result in chip_auth: PASS; FAIL when the chip refuses CA although DG14 offers it,
 *      or its answer does not verify under the new keys (a clone without the DG14
 *      private key); NOT_PERFORMED (with a note) when not asked for, no DG14, or DG14
 *      offers no supported CA (only id-CA-ECDH-AES-CBC-CMAC-128 is).
 *
 * Errors: EID_ERR_ACCESS_DENIED (wrong MRZ / CAN), EID_ERR_CARD_REMOVED,
 * EID_ERR_CARD_UNSUPPORTED (not an eMRTD: SELECT of the application fails; or only a CAN
 * was given and the chip has no PACE), EID_ERR_NO_CARD/NO_READER from the transport,
 * EID_ERR_SM/EID_ERR_APDU/EID_ERR_LDS for protocol failures.
 *
 * Ownership: the result owns every file's bytes; card_read_result_free() wipes and frees
 * them and NULLs the caller's pointer. The MRZ information / CAN strings in the options
 * are borrowed and never copied; every key derived from them is wiped before return.
 */
#ifndef CARD_READ_H
#define CARD_READ_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"
#include "card_pa.h"
#include "card_transport.h"

enum card_file {
	CARD_FILE_CARDACCESS = 0,
	CARD_FILE_COM,
	CARD_FILE_DG1,
	CARD_FILE_DG2,
	CARD_FILE_DG13,
	CARD_FILE_DG14,
	CARD_FILE_DG15,
	CARD_FILE_SOD,
	CARD_FILE_COUNT
};

enum card_access {
	CARD_ACCESS_NONE = 0,
	CARD_ACCESS_BAC,
	CARD_ACCESS_PACE_MRZ,
	CARD_ACCESS_PACE_CAN,
};

enum card_access_pref {
	CARD_PREF_AUTO = 0,     /* PACE when possible, BAC as fallback */
	CARD_PREF_BAC,
	CARD_PREF_PACE,
};

struct card_read_opts {
	const char *mrz_info;           /* MRZ information (card_mrz_bac_seed) or NULL */
	const char *can;                /* CAN digits or NULL */
	enum card_access_pref pref;
	const uint8_t *aa_challenge;    /* 8 bytes, or NULL: no Active Authentication */
	void (*rnd)(void *buf, size_t n);       /* NULL = CSPRNG; tests inject */
};

struct card_read_result {
	uint8_t *file[CARD_FILE_COUNT]; /* owned; NULL when not read */
	size_t file_len[CARD_FILE_COUNT];
	enum card_access access;
	int pace_failed;                /* PACE was tried and failed; BAC was used */
	uint8_t *aa_signature;          /* owned; NULL when AA was not done */
	size_t aa_signature_len;
	enum card_check_result chip_auth;       /* see step 4 */
	const char *chip_auth_note;     /* static: why not performed / failed, or NULL */
};

/* File name for output ("EF_COM", "DG1", ...; "EF_CardAccess"). */
const char *card_file_name(enum card_file f);
/* Short name of an access method ("BAC", "PACE-MRZ", "PACE-CAN", "none"). */
const char *card_access_name(enum card_access a);

int card_read_session(struct card_transport *t, const struct card_read_opts *opts,
    struct card_read_result **out) EID_WARN_UNUSED;

/* card_read_session with flags: CARD_READ_CHIP_AUTH adds step 4. */
#define CARD_READ_CHIP_AUTH 0x1u
int card_read_session_flags(struct card_transport *t, const struct card_read_opts *opts,
    unsigned flags, struct card_read_result **out) EID_WARN_UNUSED;

void card_read_result_free(struct card_read_result **r);

#endif /* CARD_READ_H */
