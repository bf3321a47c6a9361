/*
 * card_mrz.h - machine readable zone (ICAO 9303 Part 3, 4, 5): parsing, check digits,
 * the BAC/PACE "MRZ information" string, and the Vietnamese CCCD layout.
 *
 * Formats: TD1 (3 lines of 30, ID cards incl. CCCD) and TD3 (2 lines of 44, passports).
 * Input is the MRZ text as DG1 carries it (88 or 90 characters, no separators) or as
 * printed (lines separated by "\n" or "\r\n"). Only A-Z, 0-9 and '<' are accepted.
 *
 * Ownership: struct card_mrz is a plain value (fixed arrays, all NUL-terminated); no
 * heap memory, nothing to free. It holds personal data: wipe it (cx_wipe) when done.
 *
 * Errors: EID_ERR_MRZ for bad length/characters/layout; EID_ERR_CHECK_DIGIT when the
 * MRZ parsed but one of the check digits is wrong (the struct is still filled in, and
 * the per-check flags say which one failed).
 */
#ifndef CARD_MRZ_H
#define CARD_MRZ_H

#include <stddef.h>

#include "eid_err.h"

enum card_mrz_format {
	CARD_MRZ_UNKNOWN = 0,
	CARD_MRZ_TD1,           /* 3 x 30 */
	CARD_MRZ_TD3,           /* 2 x 44 */
};

#define CARD_MRZ_TD1_LEN 90
#define CARD_MRZ_TD3_LEN 88

/* per-check state: not present in this format, good, or wrong */
enum card_mrz_check {
	CARD_MRZ_CHECK_NA = 0,
	CARD_MRZ_CHECK_OK = 1,
	CARD_MRZ_CHECK_BAD = 2,
};

struct card_mrz {
	enum card_mrz_format format;
	char document_code[3];          /* "ID", "P<" -> "P" ('<' fillers removed) */
	char issuing_state[4];
	char document_number[25];       /* full number (TD1 long-number rule applied), no fillers */
	char document_number_check;     /* the check digit character */
	char birth_date[7];             /* YYMMDD as printed ('<' possible when unknown) */
	char sex;                       /* 'M', 'F' or '<' */
	char expiry_date[7];
	char nationality[4];
	char primary_name[45];          /* '<' turned into spaces, trailing fillers dropped */
	char secondary_name[45];
	char optional1[16];             /* TD1 line 1 optional data / TD3 personal number, raw with '<' */
	char optional2[12];             /* TD1 line 2 optional data, raw */
	/* check results */
	enum card_mrz_check check_document_number;
	enum card_mrz_check check_birth_date;
	enum card_mrz_check check_expiry_date;
	enum card_mrz_check check_optional;     /* TD3 personal number */
	enum card_mrz_check check_composite;
	/* Vietnamese CCCD (TD1, issuing state VNM, document code "ID"): */
	int is_cccd;
	char citizen_id[13];            /* the 12-digit ID from optional data 1, or "" */
	/* informational, not counted as a failure: the position-30 digit equals the check
	 * digit of the 12-digit ID (NA when absent), and the document number equals the
	 * last 9 digits of the ID */
	enum card_mrz_check check_citizen_id;
	enum card_mrz_check check_cccd_docnum;
};

/* ICAO check digit of s[0..n) (weights 7,3,1; '<' = 0; A-Z = 10..35) as '0'..'9'.
 * Returns 0 (not a digit) if s holds a character outside [0-9A-Z<]. */
char card_mrz_check_digit(const char *s, size_t n);

/* Parse an MRZ (see above). */
int card_mrz_parse(const char *text, size_t len, struct card_mrz *out) EID_WARN_UNUSED;

/*
 * MRZ information for BAC / PACE (ICAO 9303-11 §9.7.1): document number (full number,
 * padded with '<' to 9 characters) + check digit + birth date + check + expiry + check.
 * out gets a NUL-terminated string; outsz must be > its length (at most 40 needed).
 */
int card_mrz_bac_seed(const struct card_mrz *m, char *out, size_t outsz) EID_WARN_UNUSED;
/* The same from the three fields (check digits computed here). */
int card_mrz_bac_seed_fields(const char *document_number, const char *birth_date,
    const char *expiry_date, char *out, size_t outsz) EID_WARN_UNUSED;

#endif /* CARD_MRZ_H */
