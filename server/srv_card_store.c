/* srv_card_store.c - card credentials and level 2 in the SQLite store (see srv_card_store.h). */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "srv_card_store.h"

static int
db_err(int rc)
{
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? EID_ERR_DB_BUSY : EID_ERR_DB;
}

static int
db_open(const struct srv_app *app, sqlite3 **db)
{
	char path[4096];
	int rc;

	*db = NULL;
	if (app->cfg == NULL || app->cfg->data_dir == NULL ||
	    (size_t)snprintf(path, sizeof(path), "%s/eid.db", app->cfg->data_dir) >= sizeof(path))
		return EID_ERR_INVALID_ARGUMENT;
	rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(*db, "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;"
		    "PRAGMA synchronous = FULL;", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(*db);
		*db = NULL;
		return db_err(rc);
	}
	return 0;
}

/* The citizen row that holds this card, or 0 when none; < 0 on error. */
static int
card_owner(sqlite3 *db, const uint8_t ref[SRV_CARD_REF_BYTES], int64_t *owner)
{
	static const char sql[] =
	    "SELECT citizen FROM credentials WHERE type = 'card' AND credential_id = ?1";
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	*owner = 0;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 1, ref, SRV_CARD_REF_BYTES, SQLITE_STATIC)) != SQLITE_OK) {
		r = db_err(rc);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*owner = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		r = db_err(rc);
out:
	sqlite3_finalize(st);
	return r;
}

/* Run one statement with up to three int64 / blob / text parameters; *changes set. */
static int
run(sqlite3 *db, const char *sql, int64_t a, int64_t b, const uint8_t *blob, const char *text,
    int *changes)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK) {
		r = db_err(rc);
		goto out;
	}
	if ((sqlite3_bind_parameter_count(st) >= 1 && (rc = sqlite3_bind_int64(st, 1, a)) != SQLITE_OK) ||
	    (sqlite3_bind_parameter_count(st) >= 2 && (rc = sqlite3_bind_int64(st, 2, b)) != SQLITE_OK) ||
	    (sqlite3_bind_parameter_count(st) >= 3 &&
	    (rc = sqlite3_bind_blob(st, 3, blob, SRV_CARD_REF_BYTES, SQLITE_STATIC)) != SQLITE_OK) ||
	    (sqlite3_bind_parameter_count(st) >= 4 &&
	    (rc = sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC)) != SQLITE_OK)) {
		r = db_err(rc);
		goto out;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = db_err(rc);
		goto out;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(db);
out:
	sqlite3_finalize(st);
	return r;
}

int
srv_card_store_bind(struct srv_app *app, int64_t citizen, const uint8_t ref[SRV_CARD_REF_BYTES],
    const char *metadata, int64_t now)
{
	sqlite3 *db = NULL;
	int64_t owner;
	int r, rc, changes = 0, in_tx = 0;

	if ((r = db_open(app, &db)) != 0)
		return r;
	if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK) {
		r = db_err(rc);
		goto out;
	}
	in_tx = 1;
	if ((r = card_owner(db, ref, &owner)) != 0)
		goto out;
	if (owner != 0 && owner != citizen) {
		r = EID_ERR_EXISTS;
		goto out;
	}
	if (owner == citizen)
		r = run(db, "UPDATE credentials SET last_used_at = ?2 WHERE citizen = ?1 AND type = 'card'"
		    " AND credential_id = ?3", citizen, now, ref, NULL, NULL);
	else
		r = run(db, "INSERT INTO credentials (citizen, type, credential_id, metadata, created_at)"
		    " VALUES (?1, 'card', ?3, ?4, ?2)", citizen, now, ref, metadata != NULL ? metadata : "{}",
		    NULL);
	if (r != 0)
		goto out;
	if ((r = run(db, "UPDATE citizens SET level = 2 WHERE id = ?1", citizen, 0, NULL, NULL,
	    &changes)) != 0)
		goto out;
	if (changes != 1) {
		r = EID_ERR_NOT_FOUND;
		goto out;
	}
	if ((rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
		r = db_err(rc);
		goto out;
	}
	in_tx = 0;
out:
	if (in_tx)
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return r;
}

int
srv_card_store_check(struct srv_app *app, int64_t citizen, const uint8_t ref[SRV_CARD_REF_BYTES],
    int64_t now)
{
	sqlite3 *db = NULL;
	int r, changes = 0;

	if ((r = db_open(app, &db)) != 0)
		return r;
	r = run(db, "UPDATE credentials SET last_used_at = ?2 WHERE citizen = ?1 AND type = 'card'"
	    " AND credential_id = ?3", citizen, now, ref, NULL, &changes);
	if (r == 0 && changes != 1)
		r = EID_ERR_NOT_FOUND;
	sqlite3_close(db);
	return r;
}
