/*
 * srv_subject.h - the `sub` a relying party sees for a citizen (OpenID Connect Core 8).
 *
 * Pairwise (the default): base64url(BLAKE2b-256 keyed with SRV_SUBKEY_PAIRWISE over
 * sector || 0x00 || account_id), so two portals of different sectors cannot correlate a
 * citizen by `sub`, while every client of one sector sees the same value. The sector is
 * the client's registered "sector_identifier" metadata when present, else the host of its
 * first redirect URI (OIDC Core 8.1), else the client id.
 * Public (client metadata subject_type "public"): the stable account id.
 */
#ifndef SRV_SUBJECT_H
#define SRV_SUBJECT_H

#include "eid_err.h"
#include "srv_app.h"

#define SRV_SUBJECT_MAX 64

/* The sector of a client (pure): host of its first redirect URI, or its client id. */
int srv_subject_sector(const struct srv_client *c, char *out, size_t outsz) EID_WARN_UNUSED;

/* The sub for account_id at client c. 0, or EID_ERR_INVALID_ARGUMENT. */
int srv_subject_for_client(const struct srv_secret *secret, const struct srv_client *c,
    const char *account_id, char out[SRV_SUBJECT_MAX]) EID_WARN_UNUSED;

#endif /* SRV_SUBJECT_H */
