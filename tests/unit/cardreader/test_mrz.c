/* test_mrz.c - card_mrz: ICAO 9303 Part 3 check digits, TD1/TD3, BAC seed, CCCD. */
#include <string.h>

#include "t.h"
#include "card_mrz.h"

/* ICAO 9303 Part 3 Appendix A / VECTORS.md §1.1 */
T_CASE(test_check_digits)
{
	T_EQ_INT(card_mrz_check_digit("520727", 6), '3');
	T_EQ_INT(card_mrz_check_digit("AB2134<<<", 9), '5');
	T_EQ_INT(card_mrz_check_digit("L898902C<", 9), '3');
	T_EQ_INT(card_mrz_check_digit("690806", 6), '1');
	T_EQ_INT(card_mrz_check_digit("940623", 6), '6');
	T_EQ_INT(card_mrz_check_digit("D23145890734", 12), '9');
	T_EQ_INT(card_mrz_check_digit("ab", 2), 0);
}

/* TD3 lower line from VECTORS.md §1.1: composite 8 */
T_CASE(test_td3_composite)
{
	const char *mrz =
	    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
	    "HA672242<6YTO5802254M9601086<<<<<<<<<<<<<<08";
	struct card_mrz m;

	T_EQ_INT(card_mrz_parse(mrz, strlen(mrz), &m), 0);
	T_EQ_INT(m.format, CARD_MRZ_TD3);
	T_EQ_STR(m.document_code, "P");
	T_EQ_STR(m.issuing_state, "UTO");
	T_EQ_STR(m.document_number, "HA672242");
	T_EQ_STR(m.nationality, "YTO");
	T_EQ_STR(m.birth_date, "580225");
	T_EQ_STR(m.expiry_date, "960108");
	T_EQ_INT(m.sex, 'M');
	T_EQ_STR(m.primary_name, "ERIKSSON");
	T_EQ_STR(m.secondary_name, "ANNA MARIA");
	T_EQ_INT(m.check_composite, CARD_MRZ_CHECK_OK);
	T_EQ_INT(m.check_optional, CARD_MRZ_CHECK_OK);
}

/* TD1 example from VECTORS.md §1.1: composite 2 */
T_CASE(test_td1_composite)
{
	const char *mrz =
	    "I<YTOD231458907<<<<<<<<<<<<<<<"
	    "3407127M9507122YTO<<<<<<<<<<<2"
	    "STEVENSON<<PETER<JOHN<<<<<<<<<";
	struct card_mrz m;

	T_EQ_INT(card_mrz_parse(mrz, strlen(mrz), &m), 0);
	T_EQ_INT(m.format, CARD_MRZ_TD1);
	T_EQ_STR(m.document_code, "I");
	T_EQ_STR(m.document_number, "D23145890");
	T_EQ_INT(m.check_composite, CARD_MRZ_CHECK_OK);
	T_EQ_STR(m.primary_name, "STEVENSON");
	T_EQ_STR(m.secondary_name, "PETER JOHN");
	T_ASSERT(!m.is_cccd);
}

/* TD1 long document number (VECTORS.md §1.2, ZeroPass/dmrtd) */
T_CASE(test_td1_long_number)
{
	char line1[31], line2[31], mrz[91], comp[51], seed[40];
	struct card_mrz m;

	memcpy(line1, "I<UTOD23145890<7349<<<<<<<<<<<", 31);
	memcpy(line2, "3407127M9507122UTO<<<<<<<<<<<0", 31);
	/* composite over line1 6-30, line2 1-7, 9-15, 19-29 */
	memcpy(comp, line1 + 5, 25);
	memcpy(comp + 25, line2, 7);
	memcpy(comp + 32, line2 + 8, 7);
	memcpy(comp + 39, line2 + 18, 11);
	line2[29] = card_mrz_check_digit(comp, 50);
	snprintf(mrz, sizeof(mrz), "%s%s%s", line1, line2, "STEVENSON<<PETER<JOHN<<<<<<<<<");
	T_EQ_INT(card_mrz_parse(mrz, 90, &m), 0);
	T_EQ_STR(m.document_number, "D23145890734");
	T_EQ_INT(m.document_number_check, '9');
	T_EQ_INT(m.check_document_number, CARD_MRZ_CHECK_OK);
	T_EQ_INT(card_mrz_bac_seed(&m, seed, sizeof(seed)), 0);
	T_EQ_STR(seed, "D23145890734934071279507122");
}

/* ICAO 9303-11 Appendix D.2 MRZ information (VECTORS.md §1.2) */
T_CASE(test_bac_seed_worked_example)
{
	const char *mrz =
	    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
	    "L898902C<3UTO6908061F9406236ZE184226B<<<<<14";
	struct card_mrz m;
	char seed[40];

	T_EQ_INT(card_mrz_parse(mrz, strlen(mrz), &m), 0);
	T_EQ_INT(card_mrz_bac_seed(&m, seed, sizeof(seed)), 0);
	T_EQ_STR(seed, "L898902C<369080619406236");
	T_EQ_INT(card_mrz_bac_seed_fields("L898902C", "690806", "940623", seed, sizeof(seed)), 0);
	T_EQ_STR(seed, "L898902C<369080619406236");
	T_EQ_INT(card_mrz_bac_seed_fields("L898902C", "690806", "940623", seed, 20),
	    EID_ERR_TOO_LARGE);
	T_EQ_INT(card_mrz_bac_seed_fields("L898902C", "6908", "940623", seed, sizeof(seed)),
	    EID_ERR_MRZ);
}

/* VECTORS.md §3.3: synthetic CCCD vector */
T_CASE(test_cccd)
{
	const char *mrz =
	    "IDVNM0990123459001099012345<<0\n"
	    "9905120M3905128VNM<<<<<<<<<<<2\n"
	    "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<\n";
	struct card_mrz m;
	char seed[40];

	T_EQ_INT(card_mrz_parse(mrz, strlen(mrz), &m), 0);
	T_ASSERT(m.is_cccd);
	T_EQ_STR(m.document_code, "ID");
	T_EQ_STR(m.document_number, "099012345");
	T_EQ_STR(m.citizen_id, "001099012345");
	T_EQ_INT(m.check_citizen_id, CARD_MRZ_CHECK_OK);
	T_EQ_INT(m.check_cccd_docnum, CARD_MRZ_CHECK_OK);
	T_EQ_STR(m.primary_name, "NGUYEN");
	T_EQ_STR(m.secondary_name, "VAN A");
	T_EQ_INT(m.sex, 'M');
	T_EQ_INT(card_mrz_bac_seed(&m, seed, sizeof(seed)), 0);
	T_EQ_STR(seed, "099012345999051203905128");
}

T_CASE(test_wrong_check_digits)
{
	char mrz[91];
	struct card_mrz m;

	/* document number check digit 9 -> 8 */
	memcpy(mrz, "IDVNM0990123458001099012345<<0"
	    "9905120M3905128VNM<<<<<<<<<<<2"
	    "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<", 91);
	T_EQ_INT(card_mrz_parse(mrz, 90, &m), EID_ERR_CHECK_DIGIT);
	T_EQ_INT(m.check_document_number, CARD_MRZ_CHECK_BAD);
	T_EQ_INT(m.check_birth_date, CARD_MRZ_CHECK_OK);
	T_EQ_STR(m.citizen_id, "001099012345");   /* still filled in */
	/* birth date digit changed: birth check and composite fail */
	memcpy(mrz, "IDVNM0990123459001099012345<<0"
	    "9905130M3905128VNM<<<<<<<<<<<2"
	    "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<", 91);
	T_EQ_INT(card_mrz_parse(mrz, 90, &m), EID_ERR_CHECK_DIGIT);
	T_EQ_INT(m.check_birth_date, CARD_MRZ_CHECK_BAD);
	T_EQ_INT(m.check_composite, CARD_MRZ_CHECK_BAD);
	/* composite only */
	memcpy(mrz, "IDVNM0990123459001099012345<<0"
	    "9905120M3905128VNM<<<<<<<<<<<3"
	    "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<", 91);
	T_EQ_INT(card_mrz_parse(mrz, 90, &m), EID_ERR_CHECK_DIGIT);
	T_EQ_INT(m.check_composite, CARD_MRZ_CHECK_BAD);
	/* a letter where a check digit belongs */
	memcpy(mrz, "IDVNM0990123459001099012345<<0"
	    "990512AM3905128VNM<<<<<<<<<<<2"
	    "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<", 91);
	T_EQ_INT(card_mrz_parse(mrz, 90, &m), EID_ERR_CHECK_DIGIT);
}

T_CASE(test_malformed)
{
	struct card_mrz m;

	T_EQ_INT(card_mrz_parse("ABC", 3, &m), EID_ERR_MRZ);
	T_EQ_INT(card_mrz_parse("idvnm0990123459001099012345<<0"
	    "9905120M3905128VNM<<<<<<<<<<<2"
	    "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<", 90, &m), EID_ERR_MRZ);
	T_EQ_INT(card_mrz_parse("IDVNM0990123459001099012345<<0"
	    "9905120M3905128VNM<<<<<<<<<<<2"
	    "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<<", 91, &m), EID_ERR_MRZ);
	T_EQ_INT(card_mrz_parse(NULL, 0, &m), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(m.format, CARD_MRZ_UNKNOWN);
}

int
main(void)
{
	T_RUN(test_check_digits);
	T_RUN(test_td3_composite);
	T_RUN(test_td1_composite);
	T_RUN(test_td1_long_number);
	T_RUN(test_bac_seed_worked_example);
	T_RUN(test_cccd);
	T_RUN(test_wrong_check_digits);
	T_RUN(test_malformed);
	return t_done();
}
