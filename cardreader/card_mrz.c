/* card_mrz.c - MRZ parsing and check digits (see card_mrz.h). */
#include <string.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "card_mrz.h"

static int
mrz_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c == '<')
		return 0;
	return -1;
}

char
card_mrz_check_digit(const char *s, size_t n)
{
	static const int weights[3] = { 7, 3, 1 };
	unsigned sum = 0;
	size_t i;
	int v;

	for (i = 0; i < n; i++) {
		if ((v = mrz_value(s[i])) < 0)
			return 0;
		sum += (unsigned)v * (unsigned)weights[i % 3];
	}
	return (char)('0' + sum % 10);
}

static int
all_filler(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '<')
			return 0;
	return 1;
}

/* Compare the check character c against the digit computed over s[0..n). */
static enum card_mrz_check
check_field(const char *s, size_t n, char c)
{
	char want = card_mrz_check_digit(s, n);

	if (c == '<')   /* allowed only for an all-filler (empty) field */
		return all_filler(s, n) ? CARD_MRZ_CHECK_OK : CARD_MRZ_CHECK_BAD;
	if (want == 0 || c < '0' || c > '9')
		return CARD_MRZ_CHECK_BAD;
	return c == want ? CARD_MRZ_CHECK_OK : CARD_MRZ_CHECK_BAD;
}

/* Copy n chars, dropping '<' fillers at the end, NUL-terminate (dst has > n bytes). */
static void
copy_trim(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i;

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	for (i = n; i > 0 && dst[i - 1] == '<'; i--)
		dst[i - 1] = '\0';
}

static void
copy_raw(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Name field: primary before the first "<<", secondary after; '<' -> ' '. */
static void
parse_names(struct card_mrz *m, const char *s, size_t n)
{
	size_t split = n, i, j;
	char *dst;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '<' && s[i + 1] == '<') {
			split = i;
			break;
		}
	copy_trim(m->primary_name, sizeof(m->primary_name), s, split);
	if (split + 2 < n)
		copy_trim(m->secondary_name, sizeof(m->secondary_name), s + split + 2,
		    n - split - 2);
	for (j = 0; j < 2; j++) {
		dst = j == 0 ? m->primary_name : m->secondary_name;
		for (i = 0; dst[i] != '\0'; i++)
			if (dst[i] == '<')
				dst[i] = ' ';
	}
}

static int
parse_td1(const char *s, struct card_mrz *m)
{
	const char *l1 = s, *l2 = s + 30, *l3 = s + 60;
	char comp[30 + 7 + 7 + 11];
	size_t ext = 0, i;

	m->format = CARD_MRZ_TD1;
	copy_trim(m->document_code, sizeof(m->document_code), l1, 2);
	copy_trim(m->issuing_state, sizeof(m->issuing_state), l1 + 2, 3);

	if (l1[14] == '<' && l1[15] != '<') {
		/* long document number: rest of the number + check digit open optional data */
		while (15 + ext < 30 && l1[15 + ext] != '<')
			ext++;
		if (ext < 2)
			return EID_ERR_MRZ;
		memcpy(m->document_number, l1 + 5, 9);
		memcpy(m->document_number + 9, l1 + 15, ext - 1);
		m->document_number[9 + ext - 1] = '\0';
		m->document_number_check = l1[15 + ext - 1];
		m->check_document_number = check_field(m->document_number, 9 + ext - 1,
		    m->document_number_check);
	} else {
		copy_trim(m->document_number, sizeof(m->document_number), l1 + 5, 9);
		m->document_number_check = l1[14];
		m->check_document_number = check_field(l1 + 5, 9, l1[14]);
	}
	copy_raw(m->optional1, sizeof(m->optional1), l1 + 15, 15);

	copy_raw(m->birth_date, sizeof(m->birth_date), l2, 6);
	m->check_birth_date = check_field(l2, 6, l2[6]);
	m->sex = l2[7];
	copy_raw(m->expiry_date, sizeof(m->expiry_date), l2 + 8, 6);
	m->check_expiry_date = check_field(l2 + 8, 6, l2[14]);
	copy_trim(m->nationality, sizeof(m->nationality), l2 + 15, 3);
	copy_raw(m->optional2, sizeof(m->optional2), l2 + 18, 11);

	/* composite: upper line 6-30, middle line 1-7, 9-15, 19-29 */
	memcpy(comp, l1 + 5, 25);
	memcpy(comp + 25, l2, 7);
	memcpy(comp + 32, l2 + 8, 7);
	memcpy(comp + 39, l2 + 18, 11);
	m->check_composite = check_field(comp, 50, l2[29]);
	m->check_optional = CARD_MRZ_CHECK_NA;
	parse_names(m, l3, 30);

	/* Vietnamese CCCD: the 12-digit citizen ID opens optional data 1 */
	if (strcmp(m->issuing_state, "VNM") == 0 && strcmp(m->document_code, "ID") == 0) {
		m->is_cccd = 1;
		for (i = 0; i < EID_CITIZEN_ID_DIGITS; i++)
			if (l1[15 + i] < '0' || l1[15 + i] > '9')
				break;
		if (i == EID_CITIZEN_ID_DIGITS) {
			memcpy(m->citizen_id, l1 + 15, EID_CITIZEN_ID_DIGITS);
			m->citizen_id[EID_CITIZEN_ID_DIGITS] = '\0';
			m->check_citizen_id = l1[29] == '<' ? CARD_MRZ_CHECK_NA :
			    check_field(m->citizen_id, EID_CITIZEN_ID_DIGITS, l1[29]);
			m->check_cccd_docnum = strcmp(m->document_number,
			    m->citizen_id + EID_CITIZEN_ID_DIGITS - 9) == 0 ?
			    CARD_MRZ_CHECK_OK : CARD_MRZ_CHECK_BAD;
		}
	}
	cx_wipe(comp, sizeof(comp));
	return 0;
}

static int
parse_td3(const char *s, struct card_mrz *m)
{
	const char *l1 = s, *l2 = s + 44;
	char comp[10 + 7 + 22];

	m->format = CARD_MRZ_TD3;
	copy_trim(m->document_code, sizeof(m->document_code), l1, 2);
	copy_trim(m->issuing_state, sizeof(m->issuing_state), l1 + 2, 3);
	parse_names(m, l1 + 5, 39);

	copy_trim(m->document_number, sizeof(m->document_number), l2, 9);
	m->document_number_check = l2[9];
	m->check_document_number = check_field(l2, 9, l2[9]);
	copy_trim(m->nationality, sizeof(m->nationality), l2 + 10, 3);
	copy_raw(m->birth_date, sizeof(m->birth_date), l2 + 13, 6);
	m->check_birth_date = check_field(l2 + 13, 6, l2[19]);
	m->sex = l2[20];
	copy_raw(m->expiry_date, sizeof(m->expiry_date), l2 + 21, 6);
	m->check_expiry_date = check_field(l2 + 21, 6, l2[27]);
	copy_raw(m->optional1, sizeof(m->optional1), l2 + 28, 14);
	m->check_optional = check_field(l2 + 28, 14, l2[42]);

	/* composite: lower line 1-10, 14-20, 22-43 */
	memcpy(comp, l2, 10);
	memcpy(comp + 10, l2 + 13, 7);
	memcpy(comp + 17, l2 + 21, 22);
	m->check_composite = check_field(comp, 39, l2[43]);
	cx_wipe(comp, sizeof(comp));
	return 0;
}

int
card_mrz_parse(const char *text, size_t len, struct card_mrz *out)
{
	char buf[CARD_MRZ_TD1_LEN];
	size_t n = 0, i;
	int r = EID_ERR_MRZ;

	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	for (i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\n' || c == '\r')
			continue;
		if (mrz_value(c) < 0 || n >= sizeof(buf))
			goto out;
		buf[n++] = c;
	}
	if (n == CARD_MRZ_TD1_LEN)
		r = parse_td1(buf, out);
	else if (n == CARD_MRZ_TD3_LEN)
		r = parse_td3(buf, out);
	else
		goto out;
	if (r != 0)
		goto out;
	if (out->check_document_number == CARD_MRZ_CHECK_BAD ||
	    out->check_birth_date == CARD_MRZ_CHECK_BAD ||
	    out->check_expiry_date == CARD_MRZ_CHECK_BAD ||
	    out->check_optional == CARD_MRZ_CHECK_BAD ||
	    out->check_composite == CARD_MRZ_CHECK_BAD)
		r = EID_ERR_CHECK_DIGIT;
out:
	if (r != 0 && r != EID_ERR_CHECK_DIGIT)
		memset(out, 0, sizeof(*out));
	cx_wipe(buf, sizeof(buf));
	return r;
}

int
card_mrz_bac_seed_fields(const char *docnum, const char *birth, const char *expiry,
    char *out, size_t outsz)
{
	char num[25];
	size_t nlen, i, need;

	if (docnum == NULL || birth == NULL || expiry == NULL || out == NULL || outsz == 0)
		return EID_ERR_INVALID_ARGUMENT;
	out[0] = '\0';
	nlen = strlen(docnum);
	if (nlen == 0 || nlen >= sizeof(num) || strlen(birth) != 6 || strlen(expiry) != 6)
		return EID_ERR_MRZ;
	memcpy(num, docnum, nlen);
	for (; nlen < 9; nlen++)
		num[nlen] = '<';
	num[nlen] = '\0';
	need = nlen + 1 + 7 + 7;
	if (outsz <= need)
		return EID_ERR_TOO_LARGE;
	for (i = 0; i < 6; i++)
		if (birth[i] < '0' || birth[i] > '9' || expiry[i] < '0' || expiry[i] > '9')
			return EID_ERR_MRZ;
	if (card_mrz_check_digit(num, nlen) == 0)
		return EID_ERR_MRZ;
	memcpy(out, num, nlen);
	out[nlen] = card_mrz_check_digit(num, nlen);
	memcpy(out + nlen + 1, birth, 6);
	out[nlen + 7] = card_mrz_check_digit(birth, 6);
	memcpy(out + nlen + 8, expiry, 6);
	out[nlen + 14] = card_mrz_check_digit(expiry, 6);
	out[nlen + 15] = '\0';
	cx_wipe(num, sizeof(num));
	return 0;
}

int
card_mrz_bac_seed(const struct card_mrz *m, char *out, size_t outsz)
{
	if (m == NULL || m->format == CARD_MRZ_UNKNOWN)
		return EID_ERR_INVALID_ARGUMENT;
	return card_mrz_bac_seed_fields(m->document_number, m->birth_date, m->expiry_date,
	    out, outsz);
}
