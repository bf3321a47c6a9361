/*
 * card_transport.h - how APDUs reach a card: a small function-pointer struct with two
 * backends (STYLE "What to absorb" 9):
 *
 *   PC/SC   (card_transport_pcsc.c) libpcsclite: reader by name (exact, else first
 *           whose name contains it) or the first reader with a card; T=1 or T=0; 61xx is
 *           followed by GET RESPONSE and 6Cxx by a resend with the right Le.
 *   replay  (card_transport_replay.c) a recorded list of command -> response pairs,
 *           answered in order; a command that differs from the record fails with
 *           EID_ERR_APDU; running past the end reports EID_ERR_CARD_REMOVED. For unit
 *           tests without pcscd.
 *
 * transmit(): cmd[0..cmd_len) out, response (data + SW1SW2) into resp; *resp_len is the
 * capacity on entry and the length on return.
 * Errors: EID_ERR_NO_READER (no PC/SC service or no reader), EID_ERR_NO_CARD (no card
 * when connecting), EID_ERR_CARD_REMOVED (card gone mid-session), EID_ERR_PCSC (anything
 * else from PC/SC), EID_ERR_TOO_LARGE (response bigger than the buffer).
 *
 * Ownership: card_transport_free() calls close() and frees the struct; it NULLs the
 * caller's pointer. Replay pairs are copied.
 */
#ifndef CARD_TRANSPORT_H
#define CARD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"
#include "card_apdu.h"

struct card_transport {
	void *ctx;
	int (*transmit)(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
	    size_t *resp_len);
	int (*reconnect)(void *ctx);    /* reset the card (power cycle); may be NULL */
	void (*close)(void *ctx);       /* release ctx */
};

void card_transport_free(struct card_transport **t);

/* Build a, transmit it and split the answer into out (data borrowed from buf). */
int card_transport_send(struct card_transport *t, const struct card_apdu *a, uint8_t *buf,
    size_t bufsz, struct card_rapdu *out) EID_WARN_UNUSED;

/* PC/SC. reader: NULL = first reader with a card. *name_out (may be NULL) gets a copy of
 * the chosen reader's name (caller frees). */
int card_transport_pcsc_open(const char *reader, struct card_transport **out,
    char **name_out) EID_WARN_UNUSED;

/* Replay. */
struct card_replay_pair {
	const uint8_t *cmd;
	size_t cmd_len;
	const uint8_t *resp;
	size_t resp_len;
};
int card_transport_replay_new(const struct card_replay_pair *pairs, size_t npairs,
    struct card_transport **out) EID_WARN_UNUSED;
/*
 * Read pairs from a text trace: one line per APDU, "> HEX" for a command and "< HEX" for
 * its response; '#' lines and blank lines are ignored. At most 4096 pairs.
 */
int card_transport_replay_load(const char *path, struct card_transport **out) EID_WARN_UNUSED;
/* Pairs not yet used (tests check a session consumed the whole record). */
size_t card_transport_replay_left(const struct card_transport *t);

#endif /* CARD_TRANSPORT_H */
