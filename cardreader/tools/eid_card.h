/*
 * eid_card.h - what the eid-card commands share (eid_card.c: read and the card access
 * options; eid_card_verify.c: verify and the JSON of the server's card APIs;
 * eid_card_http.c: the HTTP client and the server; eid_card_bind.c: bind and login).
 *
 * Card access options (every command that reads a card takes them):
 *   --reader NAME, --mrz MRZ | --doc-number N --birth YYMMDD --expiry YYMMDD | --can CAN,
 *   --access auto|bac|pace, --no-chip-auth.
 * struct ec_card_args collects them; ec_card_args_wipe() wipes the MRZ information and
 * the CAN copies (the originals in argv are the caller's).
 */
#ifndef EID_CARD_H
#define EID_CARD_H

#include <getopt.h>
#include <stdint.h>

#include <jansson.h>

#include "card_read.h"
#include "eid_card_http.h"

#define EXIT_OK          0
#define EXIT_OTHER       1
#define EXIT_USAGE       2
#define EXIT_NO_CARD     3
#define EXIT_DENIED      4
#define EXIT_REMOVED     5
#define EXIT_UNSUPPORTED 6
#define EXIT_SERVER      7      /* verify: server unreachable, timed out, or refused */
#define EXIT_INVALID     8      /* verify: the verdict is "invalid"; bind/login: card refused */
#define EXIT_CODE        9      /* bind/login: the code is unknown, expired or already used */

#define EC_MRZ_INFO_MAX 48
#define EC_CAN_MAX      16

/* getopt_long entries for the card access options; their values are >= 0x100 */
#define EC_OPT_READER   0x100
#define EC_OPT_MRZ      0x101
#define EC_OPT_DOC      0x102
#define EC_OPT_BIRTH    0x103
#define EC_OPT_EXPIRY   0x104
#define EC_OPT_CAN      0x105
#define EC_OPT_ACCESS   0x106
#define EC_OPT_NO_CA    0x107
#define EC_CARD_OPTIONS \
	{ "reader", required_argument, NULL, EC_OPT_READER }, \
	{ "mrz", required_argument, NULL, EC_OPT_MRZ }, \
	{ "doc-number", required_argument, NULL, EC_OPT_DOC }, \
	{ "birth", required_argument, NULL, EC_OPT_BIRTH }, \
	{ "expiry", required_argument, NULL, EC_OPT_EXPIRY }, \
	{ "can", required_argument, NULL, EC_OPT_CAN }, \
	{ "access", required_argument, NULL, EC_OPT_ACCESS }, \
	{ "no-chip-auth", no_argument, NULL, EC_OPT_NO_CA }

struct ec_card_args {
	const char *reader, *mrz, *doc, *birth, *expiry, *can;
	char info[EC_MRZ_INFO_MAX];
	char canbuf[EC_CAN_MAX + 1];
	struct card_read_opts o;
	int no_chip_auth;
};

void ec_card_args_init(struct ec_card_args *a);
/* 1: c was a card option and is stored; 0: not a card option; -1: bad value. */
int ec_card_args_option(struct ec_card_args *a, int c, const char *arg);
/*
 * getopt_long over argv with the card options taken into a: the next other option (its
 * value; optarg is set), '?' for a card option with a bad value, -1 at the end.
 */
int ec_next_option(struct ec_card_args *a, int argc, char **argv, const struct option *opts);
/* Check and convert after option parsing: EXIT_OK, or EXIT_USAGE after a message. */
int ec_card_args_finish(struct ec_card_args *a);
void ec_card_args_wipe(struct ec_card_args *a);

/*
 * Open the reader and run one reading session (with Chip Authentication unless
 * --no-chip-auth). challenge: 8 bytes or NULL. Returns an EXIT_* code; on failure the
 * operator message is printed. *chosen gets the reader name (caller frees).
 */
int ec_card_read(struct ec_card_args *a, const uint8_t *challenge,
    struct card_read_result **res, char **chosen);

/* "pass" / "fail" / "not_performed" with the note, for people. */
void ec_print_chip_auth(const struct card_read_result *res);

/*
 * The JSON body {"sod", "data_groups": {...}, "active_authentication": {"challenge",
 * "signature"}} of what was read (eid_card_verify.c); newly allocated, the caller wipes
 * and frees it; NULL when out of memory.
 */
char *ec_request_body(const struct card_read_result *res, const char *challenge_b64);

/* The server's answer (eid_card_verify.c): the JSON object of a successful answer, or
 * NULL after a message naming what was asked ("the challenge request"); caller decrefs. */
json_t *ec_answer_json(const struct ec_http_resp *rs, const char *what);
/* o's string member key, or dflt when there is none. */
const char *ec_json_str(const json_t *o, const char *key, const char *dflt);
/*
 * The challenge step of verify, bind and login: POST path (201 {"challenge": 8 bytes of
 * base64, ...}). EXIT_OK with the bytes in challenge, *b64 their text (caller frees) and,
 * when answer is not NULL, *answer the whole answer (caller decrefs); else an EXIT_*
 * after a message (bad_challenge: the one for an answer without a good challenge).
 */
int ec_server_challenge(struct ec_server *s, const char *path, const char *const *headers,
    const char *body, const char *bad_challenge, uint8_t challenge[8], char **b64,
    json_t **answer);

/* Wipe and free a string, NULL the pointer. */
void ec_free_secret(char **s);

int ec_cmd_verify(int argc, char **argv);
/* eid_card_bind.c: `eid-card bind` and `eid-card login` (what is "bind" or "login") */
int ec_cmd_card_code(const char *what, int argc, char **argv);

#endif /* EID_CARD_H */
