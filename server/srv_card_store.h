/*
 * srv_card_store.h - the durable side of a chip-card binding: the 'card' row in the
 * credentials table (credential_id = the card reference of srv_card_ref(), never the
 * document number) and the account's assurance level.
 *
 * INTERIM: these two operations belong in struct srv_store_ops (srv_store.h) next to the
 * credential operations passkeys need; until they are there, this module opens its own
 * short-lived connection to the same database (data_dir/eid.db: WAL, foreign keys, busy
 * timeout, as srv_store_sqlite.c sets them) for each call. Bindings and chip sign-ins
 * are rare, so the cost of a connection per call does not matter.
 *
 * srv_card_store_bind: in one transaction, add the card credential (or, for a card
 * already bound to this citizen, refresh last_used_at) and set citizens.level = 2.
 *   0; EID_ERR_EXISTS when this card is bound to another citizen; EID_ERR_NOT_FOUND when
 *   the citizen row is gone; EID_ERR_DB / EID_ERR_DB_BUSY.
 * srv_card_store_check: 0 when the citizen has this card bound (last_used_at is set to
 *   now), EID_ERR_NOT_FOUND when not; EID_ERR_DB / EID_ERR_DB_BUSY.
 */
#ifndef SRV_CARD_STORE_H
#define SRV_CARD_STORE_H

#include <stdint.h>

#include "srv_app.h"
#include "srv_card.h"

int srv_card_store_bind(struct srv_app *app, int64_t citizen, const uint8_t ref[SRV_CARD_REF_BYTES],
    const char *metadata, int64_t now) EID_WARN_UNUSED;
int srv_card_store_check(struct srv_app *app, int64_t citizen, const uint8_t ref[SRV_CARD_REF_BYTES],
    int64_t now) EID_WARN_UNUSED;

#endif /* SRV_CARD_STORE_H */
