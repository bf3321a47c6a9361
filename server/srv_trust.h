/*
 * srv_trust.h - the trust store eidd checks chip data against (POST /v1/documents/verify):
 * CSCA certificates, ICAO CSCA master lists and CRLs, as files under data_dir/trust/.
 *
 * Files: eidctl trust import copies each accepted file there under a content-hash name,
 * <sha256 hex of the file>.<ext>, so importing the same file twice is a no-op:
 *   .cer  CSCA certificate(s), PEM (one or more) or DER       (also read: .crt .pem .der)
 *   .crl  CRL(s), PEM or DER
 *   .ml   ICAO master list (CMS, DER or PEM)                   (also read: .mls)
 * Other names (dot files, temporaries) are ignored. Loading order: certificates, then
 * master lists (their signer must chain to a CSCA already loaded: CARD_TRUST_ML_CHAIN),
 * then CRLs; files in each group by name. A file that no longer loads (e.g. a master
 * list whose signer expired) is logged and skipped, never fatal: the rest still count.
 *
 * Import refuses, with a message for the operator: unreadable or oversized files
 * (> CARD_TRUST_MAX_FILE_BYTES), anything that is not a certificate, CRL or master list,
 * certificates that are not CA certificates (DS certificates travel inside each SOD and
 * must not become anchors), and master lists whose signer is not trusted yet (import the
 * publishing state's CSCA first) or whose signature does not verify. Each successful new
 * import bumps the store setting "trust_generation".
 *
 * Reload: a running eidd checks "trust_generation" at most once a second
 * (srv_trust_refresh) and swaps in a new snapshot. Readers take a snapshot with
 * srv_trust_acquire() and give it back with srv_trust_release(); a reload never frees a
 * snapshot in use (reference counted, like srv_keys).
 *
 * Ownership: strings and JSON returned through out-params belong to the caller
 * (free() / json_decref()). Snapshots belong to struct srv_trust.
 */
#ifndef SRV_TRUST_H
#define SRV_TRUST_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "card_trust.h"
#include "eid_err.h"
#include "srv_store.h"

#define SRV_TRUST_MAX_FILES 8192        /* files read from data_dir/trust/ */

struct srv_trust;

struct srv_trust_snapshot {
	const struct card_trust *trust;     /* never NULL (may be empty) */
	long long generation;
	size_t ncscas, ncrls;
};

/*
 * Load every file under data_dir/trust/ into a new card_trust (a missing directory is
 * an empty store). at: time master-list signer chains are checked at (0 = no check).
 * Caller frees *out with card_trust_free().
 */
int srv_trust_load_dir(const char *data_dir, time_t at, struct card_trust **out) EID_WARN_UNUSED;

/*
 * Import one file. *summary_json (may be NULL) gets a JSON object text
 * {"file", "kind": "csca"|"crl"|"masterlist", "subject" (of the first entry), "stored": "<name>",
 *  "already_present": bool,
 *  "entries": [{"subject", "serial", "not_after", "sha256"}...]}; caller frees.
 * Returns EID_ERR_FORMAT (err says why) for input that is not acceptable, EID_ERR_IO
 * for files that cannot be read or written.
 */
int srv_trust_import(struct srv_store *store, const char *data_dir, const char *path,
    char **summary_json, char *err, size_t errlen) EID_WARN_UNUSED;

/*
 * The listing for eidctl: *out = [{"kind": "csca"|"crl", "subject", "serial",
 * "not_after", "sha256", "file", "source": "certificate"|"masterlist"}...] (CRL: subject
 * is the issuer, serial the CRL number or "", not_after its nextUpdate, sha256 of the
 * file). Caller json_decref()s.
 */
int srv_trust_list(const char *data_dir, json_t **out, char *err, size_t errlen) EID_WARN_UNUSED;

int srv_trust_open(struct srv_store *store, const char *data_dir, struct srv_trust **out,
    char *err, size_t errlen) EID_WARN_UNUSED;
void srv_trust_free(struct srv_trust **t);
/* The CRL policy (config documents_require_crl) for this and every later snapshot; set it
 * right after srv_trust_open, before requests are served. */
void srv_trust_set_require_crl(struct srv_trust *t, int on);
/* Reload if the store's trust_generation moved (checked at most once per second). */
int srv_trust_refresh(struct srv_trust *t);
const struct srv_trust_snapshot *srv_trust_acquire(struct srv_trust *t);
void srv_trust_release(struct srv_trust *t, const struct srv_trust_snapshot *snap);

#endif /* SRV_TRUST_H */
