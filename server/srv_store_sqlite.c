/*
 * srv_store_sqlite.c - the SQLite implementation of the store (see srv_store.h).
 *
 * Connections: one per thread, opened lazily on the thread's first call and closed
 * by a pthread_key destructor when the thread exits; srv_store_close() closes the
 * rest (it must be called once no other thread uses the store any more). Every
 * connection runs with foreign keys on, a 5 s busy timeout, synchronous=FULL and
 * secure_delete (old password hashes and TOTP secrets are overwritten in the file).
 * The database is in WAL mode (set once at open; it is stored in the file).
 *
 * SQL: every statement is a constant string; values are only ever bound as parameters.
 * The one exception is `PRAGMA user_version = N`, which takes no parameters: N is an
 * integer from the migration table below, never outside data. Each connection keeps its
 * statements prepared (keyed by the constant's address; see prepare() and done()).
 *
 * Errors: SQLITE_BUSY/LOCKED -> EID_ERR_DB_BUSY, a duplicate key -> EID_ERR_EXISTS,
 * a CHECK/NOT NULL constraint -> EID_ERR_INVALID_ARGUMENT, anything else ->
 * EID_ERR_DB. Nothing is logged from here: records carry personal data and secrets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cx_util.h"
#include "srv_store.h"

/*
 * Schema migrations, applied in order at open, each in its own transaction; after
 * migration N the database's user_version is N.
 *
 * NEVER EDIT A RELEASED MIGRATION; ADD A NEW ONE at the end of the array. Databases in
 * the field have run the old text, so a change here would not reach them. Store code
 * is written against the latest schema only.
 */
static const char *const migrations[] = {
	/* 1: clients, citizens, signing keys, the append-only audit log, settings. */
	"CREATE TABLE clients ("
	"  client_id TEXT NOT NULL PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  secret_hash BLOB,"
	"  metadata TEXT NOT NULL,"                 /* JSON object, compact, sorted keys */
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE citizens ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id TEXT NOT NULL UNIQUE,"
	"  citizen_id TEXT NOT NULL UNIQUE CHECK(length(citizen_id) = 12),"
	"  name TEXT NOT NULL,"
	"  birth_date TEXT,"
	"  sex TEXT,"
	"  password_hash TEXT,"
	"  totp_secret_enc BLOB,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE signing_keys ("
	"  kid TEXT NOT NULL PRIMARY KEY,"
	"  alg TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK(state IN ('active', 'published', 'retired')),"
	"  file TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE audit_log ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  subject TEXT,"
	"  outcome TEXT NOT NULL,"
	"  details TEXT);"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TABLE settings ("
	"  key TEXT NOT NULL PRIMARY KEY,"
	"  value TEXT NOT NULL);",

	/* 2: assurance levels; credentials (passkeys, TOTP, card); consents. */
	"ALTER TABLE citizens ADD COLUMN level INTEGER NOT NULL DEFAULT 1;"
	"CREATE TABLE credentials ("
	"  id INTEGER PRIMARY KEY,"
	"  citizen INTEGER NOT NULL REFERENCES citizens(id) ON DELETE CASCADE,"
	"  type TEXT NOT NULL CHECK(type IN ('passkey', 'totp', 'card')),"
	"  credential_id BLOB,"
	"  public_key BLOB,"
	"  sign_count INTEGER NOT NULL DEFAULT 0,"
	"  metadata TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  last_used_at INTEGER);"
	"CREATE UNIQUE INDEX credentials_type_id ON credentials(type, credential_id);"
	"CREATE INDEX credentials_citizen ON credentials(citizen);"
	"CREATE TABLE consents ("
	"  citizen INTEGER NOT NULL REFERENCES citizens(id) ON DELETE CASCADE,"
	"  client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,"
	"  scope TEXT NOT NULL,"
	"  granted_at INTEGER NOT NULL,"
	"  PRIMARY KEY(citizen, client_id));"
	"CREATE INDEX consents_client ON consents(client_id);"
	"CREATE INDEX audit_log_subject_at ON audit_log(subject, at);",

	/* 3: contact claims (OIDC Core 5.1): address (a JSON object's text), phone, email. */
	"ALTER TABLE citizens ADD COLUMN address TEXT CHECK(address IS NULL OR"
	"  CASE WHEN json_valid(address) THEN json_type(address) = 'object' ELSE 0 END);"
	"ALTER TABLE citizens ADD COLUMN phone_number TEXT CHECK(phone_number IS NULL OR"
	"  (phone_number GLOB '+[1-9]*' AND length(phone_number) BETWEEN 8 AND 16));"
	"ALTER TABLE citizens ADD COLUMN phone_number_verified INTEGER NOT NULL DEFAULT 0"
	"  CHECK(phone_number_verified IN (0, 1));"
	"ALTER TABLE citizens ADD COLUMN email TEXT CHECK(email IS NULL OR"
	"  (instr(email, '@') > 1 AND length(email) <= 254));"
	"ALTER TABLE citizens ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0"
	"  CHECK(email_verified IN (0, 1));",

	/* 4: the account page's history reads the events an account acted in. */
	"CREATE INDEX audit_log_actor_at ON audit_log(actor, at);",

	/* 5: citizens_generation moves with every change to a citizen row, in the same
	   transaction, whoever writes it (srv_profile's cache is labelled with it). */
	"INSERT OR IGNORE INTO settings(key, value) VALUES('citizens_generation', '1');"
	"CREATE TRIGGER citizens_generation_insert AFTER INSERT ON citizens BEGIN"
	"  INSERT INTO settings(key, value) VALUES('citizens_generation', '1')"
	"  ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;"
	"CREATE TRIGGER citizens_generation_update AFTER UPDATE ON citizens BEGIN"
	"  INSERT INTO settings(key, value) VALUES('citizens_generation', '1')"
	"  ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;"
	"CREATE TRIGGER citizens_generation_delete AFTER DELETE ON citizens BEGIN"
	"  INSERT INTO settings(key, value) VALUES('citizens_generation', '1')"
	"  ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/*
 * Set on every connection (constant text, no values). cache_size: each thread has its
 * own connection (about a dozen in eidd), and SQLite's default page cache of 2000 KiB
 * each would let an idle eidd grow by some 25 MB on a large database; 256 KiB keeps the
 * index roots and hot pages, and the kernel's page cache holds the file once for all.
 */
#define SQ_PAGE_CACHE_KIB 256
#define SQ_STR(x) #x
#define SQ_XSTR(x) SQ_STR(x)
static const char conn_pragmas[] =
	"PRAGMA foreign_keys = ON;"
	"PRAGMA busy_timeout = 5000;"
	"PRAGMA synchronous = FULL;"
	"PRAGMA secure_delete = ON;"
	"PRAGMA cache_size = -" SQ_XSTR(SQ_PAGE_CACHE_KIB) ";";

struct sq_impl;

/*
 * Prepared statements are kept per connection: a small open-addressing table keyed by
 * the SQL text's address (every statement is a constant string, so one address is one
 * statement). A statement handed out is marked busy until done() resets it and clears
 * its bindings; asked for again while busy (never, today), or when the table is full, a
 * statement is prepared for that one use and finalized by done(). The table is
 * finalized when its connection closes.
 */
#define SQ_STMT_SLOTS 64            /* a power of two; > the number of statements below */
#define SQ_STMT_BUSY_MAX 4          /* cached statements in use at once on one thread */
_Static_assert((SQ_STMT_SLOTS & (SQ_STMT_SLOTS - 1)) == 0, "SQ_STMT_SLOTS: a power of two");

struct sq_stmt_slot {
	const char *sql;            /* the key: a constant string's address; NULL: free */
	sqlite3_stmt *st;
	int busy;
};

/* One thread's connection; all of them are on the impl's list so close can end them. */
struct sq_conn {
	sqlite3 *db;
	struct sq_impl *im;
	struct sq_conn *prev, *next;
	struct sq_stmt_slot stmts[SQ_STMT_SLOTS];
	unsigned busy[SQ_STMT_BUSY_MAX];    /* slots handed out, in order */
	unsigned n_busy;
};

/*
 * An audit event waiting to be written. A synchronous caller's node is on its stack and
 * it waits for `done`; an asynchronous caller's node is allocated and the writer calls
 * `cb` and frees it.
 */
struct aq_node {
	const struct srv_audit_event *e;
	int r;
	int done;
	srv_store_audit_done_fn *cb;
	void *arg;
	struct aq_node *next;
};

struct sq_impl {
	char *path;
	pthread_key_t key;          /* -> this thread's struct sq_conn */
	pthread_mutex_t mu;         /* guards conns */
	struct sq_conn *conns;
	int key_ok, mu_ok;
	/* audit group commit: one writer thread, started at the first event, writes whatever
	 * is queued in one transaction; events queued meanwhile form its next batch */
	pthread_mutex_t aq_mu;
	pthread_cond_t aq_cv;           /* the writer: work, or stop */
	pthread_cond_t aq_done_cv;      /* synchronous callers: their event is written */
	struct aq_node *aq_head, **aq_tail;
	size_t aq_len;
	pthread_t aq_thread;
	int aq_started, aq_stop, aq_ok;
};

static const struct srv_store_ops sqlite_ops;
static void audit_writer_stop(struct sq_impl *im);

int
srv_store_sqlite_latest_version(void)
{
	return N_MIGRATIONS;
}

static void EID_PRINTF(3, 4)
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* An SQLite result code (extended codes on) as an EID_ERR_* code; SQLITE_OK is 0. */
static int
map_rc(int rc)
{
	switch (rc) {
	case SQLITE_OK:
		return 0;
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return EID_ERR_EXISTS;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return EID_ERR_INVALID_ARGUMENT;
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EID_ERR_DB_BUSY;
	case SQLITE_NOMEM:
		return EID_ERR_NOMEM;
	case SQLITE_TOOBIG:
		return EID_ERR_TOO_LARGE;
	default:
		return EID_ERR_DB;
	}
}

/* ---- connections ---- */

/*
 * Before the first connection: no memory statistics. SQLite counts every allocation
 * under one process-wide mutex unless told not to, and the worker threads (one
 * connection each) then queue on it on every statement.
 */
static pthread_once_t sqlite_setup_once = PTHREAD_ONCE_INIT;

static void
sqlite_setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);   /* SQLITE_MISUSE if already up: fine */
}

static int
conn_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc, r;

	*out = NULL;
	(void)pthread_once(&sqlite_setup_once, sqlite_setup);
	/* No SQLITE_OPEN_CREATE: open() made the file with mode 0600 already. */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(db, 1);
		rc = sqlite3_exec(db, conn_pragmas, NULL, NULL, NULL);
	}
	if ((r = map_rc(rc)) != 0) {
		seterr(err, errlen, "%s: cannot open the database: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	*out = db;
	db = NULL;
out:
	sqlite3_close_v2(db);
	return r;
}

/* Finalize a connection's statements and close it. */
static void
conn_close(struct sq_conn *c)
{
	size_t i;

	for (i = 0; i < SQ_STMT_SLOTS; i++)
		sqlite3_finalize(c->stmts[i].st);     /* NULL is a no-op */
	sqlite3_close_v2(c->db);
	free(c);
}

/* pthread_key destructor: the thread is exiting. */
static void
conn_destroy(void *p)
{
	struct sq_conn *c = p;
	struct sq_impl *im = c->im;

	pthread_mutex_lock(&im->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		im->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&im->mu);
	conn_close(c);
}

/* This thread's connection, opened on first use. err may be NULL. */
static int
conn_get_c(struct sq_impl *im, struct sq_conn **out, char *err, size_t errlen)
{
	struct sq_conn *c = NULL;
	int r;

	*out = NULL;
	if ((c = pthread_getspecific(im->key)) != NULL) {
		*out = c;
		return 0;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		seterr(err, errlen, "out of memory");
		return EID_ERR_NOMEM;
	}
	if ((r = conn_open(im->path, &c->db, err, errlen)) != 0)
		goto out;
	if (pthread_setspecific(im->key, c) != 0) {
		seterr(err, errlen, "out of memory");
		r = EID_ERR_NOMEM;
		goto out;
	}
	c->im = im;
	pthread_mutex_lock(&im->mu);
	c->next = im->conns;
	if (im->conns != NULL)
		im->conns->prev = c;
	im->conns = c;
	pthread_mutex_unlock(&im->mu);
	*out = c;
	c = NULL;
out:
	if (c != NULL)
		conn_close(c);
	return r;
}

static int
conn_get(struct sq_impl *im, sqlite3 **db, char *err, size_t errlen)
{
	struct sq_conn *c;
	int r;

	*db = NULL;
	if ((r = conn_get_c(im, &c, err, errlen)) != 0)
		return r;
	*db = c->db;
	return 0;
}

static void
sq_close(struct srv_store *s)
{
	struct sq_impl *im;
	struct sq_conn *c;

	if (s == NULL)
		return;
	if ((im = s->impl) != NULL) {
		audit_writer_stop(im);
		if (im->key_ok)
			pthread_key_delete(im->key);    /* no destructor runs after this */
		while ((c = im->conns) != NULL) {
			im->conns = c->next;
			conn_close(c);
		}
		if (im->mu_ok)
			pthread_mutex_destroy(&im->mu);
		if (im->aq_ok) {
			pthread_cond_destroy(&im->aq_done_cv);
			pthread_cond_destroy(&im->aq_cv);
			pthread_mutex_destroy(&im->aq_mu);
		}
		free(im->path);
		free(im);
	}
	free(s);
}

/* ---- statements ---- */

static unsigned
stmt_hash(const char *sql)
{
	/* Fibonacci hashing of the address: the top bits of the product pick the slot */
	return (unsigned)(((uint64_t)(uintptr_t)sql * UINT64_C(0x9E3779B97F4A7C15)) >> 32) &
	    (SQ_STMT_SLOTS - 1);
}

/*
 * A statement for `sql` (a constant string: its address is the cache key) on this
 * thread's connection, ready to bind; give it back with done() on every path.
 */
static int
prepare(struct srv_store *s, const char *sql, sqlite3_stmt **st)
{
	struct sq_stmt_slot *sl = NULL;
	struct sq_conn *c = NULL;
	unsigned h, i;
	int r;

	*st = NULL;
	if ((r = conn_get_c(s->impl, &c, NULL, 0)) != 0)
		return r;
	if (c->n_busy < SQ_STMT_BUSY_MAX) {
		h = stmt_hash(sql);
		for (i = 0; i < SQ_STMT_SLOTS; i++) {
			struct sq_stmt_slot *p = &c->stmts[(h + i) & (SQ_STMT_SLOTS - 1)];

			if (p->sql == sql) {
				sl = p->busy ? NULL : p;
				break;
			}
			if (p->sql == NULL) {
				if ((r = map_rc(sqlite3_prepare_v3(c->db, sql, -1,
				    SQLITE_PREPARE_PERSISTENT, &p->st, NULL))) != 0)
					return r;
				p->sql = sql;
				sl = p;
				break;
			}
		}
	}
	if (sl == NULL)         /* busy, or no room: this use only */
		return map_rc(sqlite3_prepare_v2(c->db, sql, -1, st, NULL));
	sl->busy = 1;
	c->busy[c->n_busy++] = (unsigned)(sl - c->stmts);
	*st = sl->st;
	return 0;
}

/* Give back a statement from prepare(): a cached one is reset and its bindings cleared
 * (no read transaction stays open, no borrowed value stays bound); others are finalized. */
static void
done(struct srv_store *s, sqlite3_stmt *st)
{
	struct sq_impl *im = s->impl;
	struct sq_conn *c;
	unsigned i, j;

	if (st == NULL)
		return;
	if ((c = pthread_getspecific(im->key)) != NULL) {
		for (i = c->n_busy; i-- > 0;) {
			struct sq_stmt_slot *p = &c->stmts[c->busy[i]];

			if (p->st != st)
				continue;
			(void)sqlite3_reset(st);        /* its error was the step's, reported there */
			(void)sqlite3_clear_bindings(st);
			p->busy = 0;
			for (j = i; j + 1 < c->n_busy; j++)
				c->busy[j] = c->busy[j + 1];
			c->n_busy--;
			return;
		}
	}
	sqlite3_finalize(st);
}

int
srv_store_sqlite_page_cache_used(struct srv_store *s, size_t *bytes)
{
	struct sq_impl *im;
	struct sq_conn *c;
	int cur = 0, hi = 0;

	if (bytes != NULL)
		*bytes = 0;
	if (s == NULL || s->ops != &sqlite_ops || bytes == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	im = s->impl;
	if ((c = pthread_getspecific(im->key)) != NULL &&
	    sqlite3_db_status(c->db, SQLITE_DBSTATUS_CACHE_USED, &cur, &hi, 0) == SQLITE_OK)
		*bytes = cur > 0 ? (size_t)cur : 0;
	return 0;
}

int
srv_store_sqlite_cached_statements(struct srv_store *s, size_t *n)
{
	struct sq_impl *im;
	struct sq_conn *c;
	size_t i;

	if (n != NULL)
		*n = 0;
	if (s == NULL || s->ops != &sqlite_ops || n == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	im = s->impl;
	if ((c = pthread_getspecific(im->key)) != NULL)
		for (i = 0; i < SQ_STMT_SLOTS; i++)
			*n += c->stmts[i].st != NULL;
	return 0;
}

/* Run a statement that returns no rows. */
static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_ROW)
		return EID_ERR_INTERNAL;
	return map_rc(rc);
}

/* Run a statement that changes rows; EID_ERR_NOT_FOUND if it changed none. */
static int
step_changed(sqlite3_stmt *st)
{
	int r;

	if ((r = step_done(st)) != 0)
		return r;
	return sqlite3_changes(sqlite3_db_handle(st)) > 0 ? 0 : EID_ERR_NOT_FOUND;
}

/* Step to the single row of a lookup: 0 on a row, EID_ERR_NOT_FOUND when there is none. */
static int
step_row(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return EID_ERR_NOT_FOUND;
	return map_rc(rc);
}

static int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	/* NULL binds SQL NULL; the caller's string outlives the statement's use. */
	return map_rc(sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC));
}

static int
bind_blob(sqlite3_stmt *st, int i, const void *v, size_t n)
{
	if (v == NULL)
		return map_rc(sqlite3_bind_null(st, i));
	if (n > INT_MAX)
		return EID_ERR_TOO_LARGE;
	return map_rc(sqlite3_bind_blob(st, i, v, (int)n, SQLITE_STATIC));
}

static int
bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	return map_rc(sqlite3_bind_int64(st, i, v));
}

/* A copy of a text column; NULL stays NULL. */
static int
col_text(sqlite3_stmt *st, int i, char **out)
{
	const unsigned char *t;

	*out = NULL;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	if ((t = sqlite3_column_text(st, i)) == NULL ||
	    (*out = strdup((const char *)t)) == NULL)
		return EID_ERR_NOMEM;
	return 0;
}

/* A copy of a blob column; NULL (or empty) gives NULL, 0. */
static int
col_blob(sqlite3_stmt *st, int i, uint8_t **out, size_t *len)
{
	const void *b;
	int n;

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	b = sqlite3_column_blob(st, i);         /* blob first, then its size */
	if ((n = sqlite3_column_bytes(st, i)) <= 0)
		return 0;
	if (b == NULL || (*out = malloc((size_t)n)) == NULL)
		return EID_ERR_NOMEM;
	memcpy(*out, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* Room for one more element in an array of n used / *cap allocated; NULL on failure. */
static void *
grow(void *v, size_t *cap, size_t n, size_t elsz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return v;
	ncap = *cap == 0 ? 16 : *cap * 2;
	if (ncap < *cap || ncap > SIZE_MAX / elsz)
		return NULL;
	if ((p = realloc(v, ncap * elsz)) == NULL)
		return NULL;
	*cap = ncap;
	return p;
}

static int64_t
now_or(int64_t t)
{
	return t != 0 ? t : (int64_t)time(NULL);
}

/* ---- generic ---- */

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int r;

	*v = 0;
	if ((r = map_rc(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL))) != 0)
		goto out;
	if ((r = step_row(st)) != 0) {
		if (r == EID_ERR_NOT_FOUND)
			r = EID_ERR_DB;
		goto out;
	}
	*v = sqlite3_column_int(st, 0);
out:
	sqlite3_finalize(st);
	return r;
}

static int
sq_ping(struct srv_store *s)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(s, "SELECT 1", &st)) == 0)
		r = step_row(st);
	done(s, st);
	return r;
}

static int
sq_schema_version(struct srv_store *s, int *version)
{
	sqlite3 *db = NULL;
	int r;

	*version = 0;
	if ((r = conn_get(s->impl, &db, NULL, 0)) != 0)
		return r;
	return user_version(db, version);
}

/* ---- settings ---- */

static int
sq_setting_get(struct srv_store *s, const char *key, char **value)
{
	sqlite3_stmt *st = NULL;
	int r;

	*value = NULL;
	if (key == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, "SELECT value FROM settings WHERE key = ?1", &st)) != 0 ||
	    (r = bind_text(st, 1, key)) != 0 ||
	    (r = step_row(st)) != 0 ||
	    (r = col_text(st, 0, value)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

static int
sq_setting_bump(struct srv_store *s, const char *key, int64_t *new_value)
{
	/* One statement, so one write transaction: concurrent bumps never lose a count. */
	static const char sql[] =
	    "INSERT INTO settings(key, value) VALUES(?1, '1')"
	    " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
	    " RETURNING CAST(value AS INTEGER)";
	sqlite3_stmt *st = NULL;
	int64_t v = 0;
	int r;

	if (new_value != NULL)
		*new_value = 0;
	if (key == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_text(st, 1, key)) != 0)
		goto out;
	if ((r = step_row(st)) != 0) {
		if (r == EID_ERR_NOT_FOUND)
			r = EID_ERR_DB;
		goto out;
	}
	v = sqlite3_column_int64(st, 0);
	if ((r = step_done(st)) != 0)
		goto out;
	if (new_value != NULL)
		*new_value = v;
out:
	done(s, st);
	return r;
}

/* ---- reading rows ---- */

/* Run a prepared, bound statement and collect one record per row with from_row. */
static int
collect_rows(sqlite3_stmt *st, int (*from_row)(sqlite3_stmt *, void **), void (*free_one)(void **),
    void ***out, size_t *n)
{
	void **v = NULL, **p;
	size_t cnt = 0, cap = 0, i;
	int r = 0, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = grow(v, &cap, cnt, sizeof(*v))) == NULL) {
			r = EID_ERR_NOMEM;
			goto out;
		}
		v = p;
		if ((r = from_row(st, &v[cnt])) != 0)
			goto out;
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		r = map_rc(rc);
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
out:
	for (i = 0; i < cnt; i++)
		free_one(&v[i]);
	free(v);
	return r;
}

/* The single row of sql, with ?1 = key, as a record (EID_ERR_NOT_FOUND: no row). */
static int
row_by_text(struct srv_store *s, const char *sql, const char *key,
    int (*from_row)(sqlite3_stmt *, void **), void **out)
{
	sqlite3_stmt *st = NULL;
	int r;

	*out = NULL;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_text(st, 1, key)) != 0 ||
	    (r = step_row(st)) != 0 ||
	    (r = from_row(st, out)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* Every row of sql (no parameters) as records. */
static int
rows_all(struct srv_store *s, const char *sql, int (*from_row)(sqlite3_stmt *, void **),
    void (*free_one)(void **), void ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = collect_rows(st, from_row, free_one, out, n)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* ---- clients ---- */

#define CLIENT_COLS "client_id, name, secret_hash, metadata, disabled, created_at"

/* Compact, sorted JSON text of a client's metadata (NULL is stored as {}). */
static int
metadata_dump(const json_t *md, char **out)
{
	*out = NULL;
	if (md != NULL && !json_is_object(md))
		return EID_ERR_INVALID_ARGUMENT;
	if (md == NULL)
		*out = strdup("{}");
	else
		*out = json_dumps(md, JSON_COMPACT | JSON_SORT_KEYS);
	return *out != NULL ? 0 : EID_ERR_NOMEM;
}

static int
col_metadata(sqlite3_stmt *st, int i, json_t **out)
{
	const unsigned char *t;
	json_error_t jerr;
	json_t *j = NULL;

	*out = NULL;
	if ((t = sqlite3_column_text(st, i)) == NULL)
		return EID_ERR_FORMAT;
	if ((j = json_loads((const char *)t, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return EID_ERR_FORMAT;
	if (!json_is_object(j)) {
		json_decref(j);
		return EID_ERR_FORMAT;
	}
	*out = j;
	return 0;
}

/* A record from the current row (a collect_rows from_row); freed with client_free_one. */
static int
client_row(sqlite3_stmt *st, void **out)
{
	struct srv_client *c = NULL;
	const void *h;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return EID_ERR_NOMEM;
	if ((r = col_text(st, 0, &c->client_id)) != 0 ||
	    (r = col_text(st, 1, &c->name)) != 0 ||
	    (r = col_metadata(st, 3, &c->metadata)) != 0)
		goto out;
	if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
		h = sqlite3_column_blob(st, 2);
		if (h == NULL || sqlite3_column_bytes(st, 2) != (int)sizeof(c->secret_hash)) {
			r = EID_ERR_FORMAT;
			goto out;
		}
		memcpy(c->secret_hash, h, sizeof(c->secret_hash));
		c->has_secret = 1;
	}
	c->disabled = sqlite3_column_int(st, 4) != 0;
	c->created_at = sqlite3_column_int64(st, 5);
	*out = c;
	c = NULL;
out:
	srv_client_free(&c);
	return r;
}

static void
client_free_one(void **p)
{
	srv_client_free((struct srv_client **)p);
}

/* Bind the fields client_add and client_update share: ?1 id .. ?5 disabled. */
static int
client_bind(sqlite3_stmt *st, const struct srv_client *c, const char *md)
{
	int r;

	if ((r = bind_text(st, 1, c->client_id)) != 0 ||
	    (r = bind_text(st, 2, c->name)) != 0 ||
	    (r = bind_blob(st, 3, c->has_secret ? c->secret_hash : NULL,
	        sizeof(c->secret_hash))) != 0 ||
	    (r = bind_text(st, 4, md)) != 0 ||
	    (r = bind_int(st, 5, c->disabled != 0)) != 0)
		return r;
	return 0;
}

static int
sq_client_add(struct srv_store *s, const struct srv_client *c)
{
	static const char sql[] =
	    "INSERT INTO clients(client_id, name, secret_hash, metadata, disabled,"
	    " created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = NULL;
	char *md = NULL;
	int r;

	if (c == NULL || c->client_id == NULL || c->name == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = metadata_dump(c->metadata, &md)) != 0 ||
	    (r = prepare(s, sql, &st)) != 0 ||
	    (r = client_bind(st, c, md)) != 0 ||
	    (r = bind_int(st, 6, now_or(c->created_at))) != 0 ||
	    (r = bind_int(st, 7, (int64_t)time(NULL))) != 0 ||
	    (r = step_done(st)) != 0)
		goto out;
out:
	done(s, st);
	free(md);
	return r;
}

static int
sq_client_update(struct srv_store *s, const struct srv_client *c)
{
	static const char sql[] =
	    "UPDATE clients SET name = ?2, secret_hash = ?3, metadata = ?4, disabled = ?5,"
	    " updated_at = ?6 WHERE client_id = ?1";
	sqlite3_stmt *st = NULL;
	char *md = NULL;
	int r;

	if (c == NULL || c->client_id == NULL || c->name == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = metadata_dump(c->metadata, &md)) != 0 ||
	    (r = prepare(s, sql, &st)) != 0 ||
	    (r = client_bind(st, c, md)) != 0 ||
	    (r = bind_int(st, 6, (int64_t)time(NULL))) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	free(md);
	return r;
}

static int
sq_client_get(struct srv_store *s, const char *client_id, struct srv_client **out)
{
	*out = NULL;
	if (client_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	return row_by_text(s, "SELECT " CLIENT_COLS " FROM clients WHERE client_id = ?1", client_id,
	    client_row, (void **)out);
}

static int
sq_client_list(struct srv_store *s, struct srv_client ***out, size_t *n)
{
	return rows_all(s, "SELECT " CLIENT_COLS " FROM clients ORDER BY client_id", client_row, client_free_one, (void ***)out, n);
}

static int
sq_client_remove(struct srv_store *s, const char *client_id)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (client_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, "DELETE FROM clients WHERE client_id = ?1", &st)) != 0 ||
	    (r = bind_text(st, 1, client_id)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* ---- citizens ---- */

#define CITIZEN_COLS "id, account_id, citizen_id, name, birth_date, sex, password_hash," \
	" totp_secret_enc, disabled, level, created_at, address, phone_number," \
	" phone_number_verified, email, email_verified"

/* A record from the current row (a collect_rows from_row); freed with citizen_free_one. */
static int
citizen_row(sqlite3_stmt *st, void **out)
{
	struct srv_citizen *c = NULL;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return EID_ERR_NOMEM;
	c->id = sqlite3_column_int64(st, 0);
	if ((r = col_text(st, 1, &c->account_id)) != 0 ||
	    (r = col_text(st, 2, &c->citizen_id)) != 0 ||
	    (r = col_text(st, 3, &c->name)) != 0 ||
	    (r = col_text(st, 4, &c->birth_date)) != 0 ||
	    (r = col_text(st, 5, &c->sex)) != 0 ||
	    (r = col_text(st, 6, &c->password_hash)) != 0 ||
	    (r = col_blob(st, 7, &c->totp_secret_enc, &c->totp_secret_enc_len)) != 0)
		goto out;
	c->disabled = sqlite3_column_int(st, 8) != 0;
	c->level = sqlite3_column_int(st, 9);
	c->created_at = sqlite3_column_int64(st, 10);
	if ((r = col_text(st, 11, &c->address)) != 0 ||
	    (r = col_text(st, 12, &c->phone_number)) != 0 ||
	    (r = col_text(st, 14, &c->email)) != 0)
		goto out;
	c->phone_number_verified = sqlite3_column_int(st, 13) != 0;
	c->email_verified = sqlite3_column_int(st, 15) != 0;
	*out = c;
	c = NULL;
out:
	srv_citizen_free(&c);
	return r;
}

static void
citizen_free_one(void **p)
{
	srv_citizen_free((struct srv_citizen **)p);
}

static int
sq_citizen_add(struct srv_store *s, const struct srv_citizen *c, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO citizens(account_id, citizen_id, name, birth_date, sex, password_hash,"
	    " totp_secret_enc, disabled, level, created_at, address, phone_number,"
	    " phone_number_verified, email, email_verified)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
	sqlite3_stmt *st = NULL;
	int r;

	if (id != NULL)
		*id = 0;
	if (c == NULL || c->account_id == NULL || c->citizen_id == NULL || c->name == NULL ||
	    c->level < 0 || c->level > 2)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_text(st, 1, c->account_id)) != 0 ||
	    (r = bind_text(st, 2, c->citizen_id)) != 0 ||
	    (r = bind_text(st, 3, c->name)) != 0 ||
	    (r = bind_text(st, 4, c->birth_date)) != 0 ||
	    (r = bind_text(st, 5, c->sex)) != 0 ||
	    (r = bind_text(st, 6, c->password_hash)) != 0 ||
	    (r = bind_blob(st, 7, c->totp_secret_enc, c->totp_secret_enc_len)) != 0 ||
	    (r = bind_int(st, 8, c->disabled != 0)) != 0 ||
	    (r = bind_int(st, 9, c->level == 0 ? 1 : c->level)) != 0 ||
	    (r = bind_int(st, 10, now_or(c->created_at))) != 0 ||
	    (r = bind_text(st, 11, c->address)) != 0 ||
	    (r = bind_text(st, 12, c->phone_number)) != 0 ||
	    (r = bind_int(st, 13, c->phone_number != NULL && c->phone_number_verified)) != 0 ||
	    (r = bind_text(st, 14, c->email)) != 0 ||
	    (r = bind_int(st, 15, c->email != NULL && c->email_verified)) != 0 ||
	    (r = step_done(st)) != 0)
		goto out;
	/* The connection is this thread's own, so the last rowid is ours. */
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(sqlite3_db_handle(st));
out:
	done(s, st);
	return r;
}

static int
sq_citizen_get(struct srv_store *s, const char *key, struct srv_citizen **out)
{
	/*
	 * By ID number, else by account id: a citizen-id match wins should an account id
	 * ever equal another's ID number. ID numbers are 12 characters (the schema checks),
	 * so other keys go straight to the account id. Two single-index statements: the
	 * one with OR and ORDER BY needed a temporary b-tree and a sorter per call.
	 */
	static const char by_citizen_id[] =
	    "SELECT " CITIZEN_COLS " FROM citizens WHERE citizen_id = ?1";
	static const char by_account_id[] =
	    "SELECT " CITIZEN_COLS " FROM citizens WHERE account_id = ?1";
	int r;

	*out = NULL;
	if (key == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (strlen(key) == 12 &&
	    (r = row_by_text(s, by_citizen_id, key, citizen_row, (void **)out)) != EID_ERR_NOT_FOUND)
		return r;
	return row_by_text(s, by_account_id, key, citizen_row, (void **)out);
}

static int
sq_citizen_list(struct srv_store *s, struct srv_citizen ***out, size_t *n)
{
	return rows_all(s, "SELECT " CITIZEN_COLS " FROM citizens ORDER BY id", citizen_row, citizen_free_one, (void ***)out, n);
}

static int
sq_citizen_set_disabled(struct srv_store *s, const char *citizen_id, int disabled)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (citizen_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, "UPDATE citizens SET disabled = ?2 WHERE citizen_id = ?1", &st)) != 0 ||
	    (r = bind_text(st, 1, citizen_id)) != 0 ||
	    (r = bind_int(st, 2, disabled != 0)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

static int
sq_citizen_set_password(struct srv_store *s, int64_t id, const char *password_hash)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(s, "UPDATE citizens SET password_hash = ?2 WHERE id = ?1", &st)) != 0 ||
	    (r = bind_int(st, 1, id)) != 0 ||
	    (r = bind_text(st, 2, password_hash)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* The contact fields only; a verified flag without its value is stored as 0. */
static int
sq_citizen_update(struct srv_store *s, const struct srv_citizen *c)
{
	static const char sql[] =
	    "UPDATE citizens SET address = ?2, phone_number = ?3, phone_number_verified = ?4,"
	    " email = ?5, email_verified = ?6 WHERE id = ?1";
	sqlite3_stmt *st = NULL;
	int r;

	if (c == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_int(st, 1, c->id)) != 0 ||
	    (r = bind_text(st, 2, c->address)) != 0 ||
	    (r = bind_text(st, 3, c->phone_number)) != 0 ||
	    (r = bind_int(st, 4, c->phone_number != NULL && c->phone_number_verified)) != 0 ||
	    (r = bind_text(st, 5, c->email)) != 0 ||
	    (r = bind_int(st, 6, c->email != NULL && c->email_verified)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* ---- consents ---- */

static int
sq_consent_get(struct srv_store *s, const char *account_id, const char *client_id, char **scope)
{
	sqlite3_stmt *st = NULL;
	int r;

	*scope = NULL;
	if (account_id == NULL || client_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, "SELECT c.scope FROM consents c JOIN citizens z ON z.id = c.citizen"
	    " WHERE z.account_id = ?1 AND c.client_id = ?2", &st)) != 0 ||
	    (r = bind_text(st, 1, account_id)) != 0 ||
	    (r = bind_text(st, 2, client_id)) != 0 ||
	    (r = step_row(st)) != 0 ||
	    (r = col_text(st, 0, scope)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

static int
sq_consent_set(struct srv_store *s, const char *account_id, const char *client_id,
    const char *scope, int64_t now)
{
	static const char sql[] =
	    "INSERT INTO consents(citizen, client_id, scope, granted_at)"
	    " SELECT id, ?2, ?3, ?4 FROM citizens WHERE account_id = ?1"
	    " ON CONFLICT(citizen, client_id) DO UPDATE SET scope = excluded.scope,"
	    " granted_at = excluded.granted_at";
	sqlite3_stmt *st = NULL;
	int r;

	if (account_id == NULL || client_id == NULL || scope == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_text(st, 1, account_id)) != 0 ||
	    (r = bind_text(st, 2, client_id)) != 0 ||
	    (r = bind_text(st, 3, scope)) != 0 ||
	    (r = bind_int(st, 4, now)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

static int
sq_consent_remove(struct srv_store *s, const char *account_id, const char *client_id)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (account_id == NULL || client_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, "DELETE FROM consents WHERE client_id = ?2 AND citizen ="
	    " (SELECT id FROM citizens WHERE account_id = ?1)", &st)) != 0 ||
	    (r = bind_text(st, 1, account_id)) != 0 ||
	    (r = bind_text(st, 2, client_id)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* ---- signing keys ---- */

/* A record from the current row (a collect_rows from_row); freed with key_free_one. */
static int
key_row(sqlite3_stmt *st, void **out)
{
	struct srv_signing_key_row *k = NULL;
	int r;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return EID_ERR_NOMEM;
	if ((r = col_text(st, 0, &k->kid)) != 0 ||
	    (r = col_text(st, 1, &k->alg)) != 0 ||
	    (r = col_text(st, 2, &k->state)) != 0 ||
	    (r = col_text(st, 3, &k->file)) != 0)
		goto out;
	k->created_at = sqlite3_column_int64(st, 4);
	*out = k;
	k = NULL;
out:
	srv_signing_key_row_free(&k);
	return r;
}

static void
key_free_one(void **p)
{
	srv_signing_key_row_free((struct srv_signing_key_row **)p);
}

static int
sq_key_add(struct srv_store *s, const struct srv_signing_key_row *k)
{
	static const char sql[] =
	    "INSERT INTO signing_keys(kid, alg, state, file, created_at)"
	    " VALUES(?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *st = NULL;
	int r;

	if (k == NULL || k->kid == NULL || k->alg == NULL || k->state == NULL || k->file == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_text(st, 1, k->kid)) != 0 ||
	    (r = bind_text(st, 2, k->alg)) != 0 ||
	    (r = bind_text(st, 3, k->state)) != 0 ||
	    (r = bind_text(st, 4, k->file)) != 0 ||
	    (r = bind_int(st, 5, now_or(k->created_at))) != 0 ||
	    (r = step_done(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

static int
sq_key_list(struct srv_store *s, struct srv_signing_key_row ***out, size_t *n)
{
	static const char sql[] =
	    "SELECT kid, alg, state, file, created_at FROM signing_keys ORDER BY created_at, kid";

	return rows_all(s, sql, key_row, key_free_one, (void ***)out, n);
}

static int
sq_key_set_state(struct srv_store *s, const char *kid, const char *state)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (kid == NULL || state == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, "UPDATE signing_keys SET state = ?2 WHERE kid = ?1", &st)) != 0 ||
	    (r = bind_text(st, 1, kid)) != 0 ||
	    (r = bind_text(st, 2, state)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* ---- audit ---- */

#define AUDIT_SELECT "SELECT id, at, actor, action, subject, outcome, details FROM audit_log"

/* A record from the current row (a collect_rows from_row); freed with audit_free_one. */
static int
audit_row(sqlite3_stmt *st, void **out)
{
	struct srv_audit_event *e = NULL;
	int r;

	*out = NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return EID_ERR_NOMEM;
	e->id = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 1);
	if ((r = col_text(st, 2, &e->actor)) != 0 ||
	    (r = col_text(st, 3, &e->action)) != 0 ||
	    (r = col_text(st, 4, &e->subject)) != 0 ||
	    (r = col_text(st, 5, &e->outcome)) != 0 ||
	    (r = col_text(st, 6, &e->details)) != 0)
		goto out;
	*out = e;
	e = NULL;
out:
	srv_audit_event_free(&e);
	return r;
}

static void
audit_free_one(void **p)
{
	srv_audit_event_free((struct srv_audit_event **)p);
}

/* ---- transactions ---- */

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

/* Run BEGIN IMMEDIATE / COMMIT / ROLLBACK on this thread's connection. */
static int
tx(struct srv_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(s, sql, &st)) == 0)
		r = step_done(st);
	done(s, st);
	return r;
}

/* After a failed step inside tx(s, sql_begin): undo it all, if it is still open. */
static void
tx_abort(struct srv_store *s)
{
	sqlite3 *db = NULL;

	if (conn_get(s->impl, &db, NULL, 0) == 0 && !sqlite3_get_autocommit(db))
		(void)tx(s, sql_rollback);
}

/* One INSERT into the append-only audit log on this thread's connection. */
static int
audit_insert(struct srv_store *s, const struct srv_audit_event *e)
{
	static const char sql[] =
	    "INSERT INTO audit_log(at, actor, action, subject, outcome, details)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_int(st, 1, now_or(e->at))) != 0 ||
	    (r = bind_text(st, 2, e->actor)) != 0 ||
	    (r = bind_text(st, 3, e->action)) != 0 ||
	    (r = bind_text(st, 4, e->subject)) != 0 ||
	    (r = bind_text(st, 5, e->outcome)) != 0 ||
	    (r = bind_text(st, 6, e->details)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r != EID_ERR_NOT_FOUND ? r : EID_ERR_DB;
}

/* A batch in one transaction: each node gets its INSERT's result, or the commit's. */
static void
audit_write_batch(struct srv_store *s, struct aq_node *batch)
{
	struct aq_node *n;
	int r;

	if ((r = tx(s, sql_begin)) != 0) {
		for (n = batch; n != NULL; n = n->next)
			n->r = r;
		return;
	}
	for (n = batch; n != NULL; n = n->next)
		n->r = audit_insert(s, n->e);
	if ((r = tx(s, sql_commit)) != 0) {
		tx_abort(s);
		for (n = batch; n != NULL; n = n->next)
			n->r = n->r != 0 ? n->r : r;
	}
}

/*
 * Group commit. Every audit event is durable when its caller learns it is written
 * (synchronous=FULL), but one fsync per event would cap a busy node at the disk's sync
 * rate (a code exchange writes one). So events are queued, and one writer thread takes
 * the whole queue (up to AUDIT_BATCH_MAX) and writes it in one transaction; events that
 * arrive meanwhile form the next batch. sq_audit_append waits for its event;
 * sq_audit_append_async returns at once and the writer calls back, which lets the HTTP
 * layer hold the answer of a code exchange without holding a worker thread, so a batch
 * gathers every exchange in flight rather than one per worker. A caller already inside
 * a transaction on its connection writes its event there, alone.
 */
#define AUDIT_BATCH_MAX 256
/*
 * Under load (the last commit ended less than AUDIT_BUSY_US ago) the writer lets a batch
 * fill for up to AUDIT_LINGER_US before committing: an fsync costs far more than an
 * INSERT (on a virtual machine's disk, about 150 us of CPU besides the wait), and more
 * events per commit is less of it per event. An idle node commits at once.
 */
#define AUDIT_BUSY_US   5000
#define AUDIT_LINGER_US 2000

static int64_t
audit_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Wait on aq_cv (aq_mu held) until more events, a stop, or until_us on CLOCK_MONOTONIC. */
static void
audit_linger(struct sq_impl *im, int64_t until_us)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(until_us / 1000000);
	ts.tv_nsec = (long)(until_us % 1000000) * 1000;
	while (!im->aq_stop && im->aq_len < AUDIT_BATCH_MAX && audit_clock_us() < until_us)
		if (pthread_cond_timedwait(&im->aq_cv, &im->aq_mu, &ts) == ETIMEDOUT)
			break;
}

static void *
audit_writer(void *arg)
{
	struct srv_store *s = arg;
	struct sq_impl *im = s->impl;
	struct aq_node *batch, *n, *next, *async, **async_tail;
	int64_t last_commit_us = 0, now;
	size_t k;

	pthread_mutex_lock(&im->aq_mu);
	for (;;) {
		while (im->aq_head == NULL && !im->aq_stop)
			pthread_cond_wait(&im->aq_cv, &im->aq_mu);
		if (im->aq_head == NULL)
			break;                  /* stopping, and nothing is left */
		now = audit_clock_us();
		if (now - last_commit_us < AUDIT_BUSY_US)
			audit_linger(im, now + AUDIT_LINGER_US);
		batch = im->aq_head;
		for (n = batch, k = 1; n->next != NULL && k < AUDIT_BATCH_MAX; n = n->next, k++)
			;
		im->aq_head = n->next;
		im->aq_len -= k;
		n->next = NULL;
		if (im->aq_head == NULL)
			im->aq_tail = &im->aq_head;
		pthread_mutex_unlock(&im->aq_mu);
		audit_write_batch(s, batch);
		last_commit_us = audit_clock_us();
		/* a waiting caller's node is gone once it sees done: read next first */
		async = NULL;
		async_tail = &async;
		pthread_mutex_lock(&im->aq_mu);
		for (n = batch; n != NULL; n = next) {
			next = n->next;
			if (n->cb != NULL) {
				n->next = NULL;
				*async_tail = n;
				async_tail = &n->next;
			} else
				n->done = 1;
		}
		pthread_cond_broadcast(&im->aq_done_cv);
		pthread_mutex_unlock(&im->aq_mu);
		for (n = async; n != NULL; n = next) {
			next = n->next;
			n->cb(n->arg, n->r);
			free(n);
		}
		pthread_mutex_lock(&im->aq_mu);
	}
	pthread_mutex_unlock(&im->aq_mu);
	return NULL;
}

/* Queue node (aq_mu held), starting the writer if it is not running: 0, or the writer
 * could not start (node not queued). */
static int
audit_enqueue(struct srv_store *s, struct aq_node *node)
{
	struct sq_impl *im = s->impl;

	if (im->aq_stop)
		return EID_ERR_IO;      /* closing: the writer may be gone; callers write inline */
	if (!im->aq_started) {
		if (pthread_create(&im->aq_thread, NULL, audit_writer, s) != 0)
			return EID_ERR_IO;
		im->aq_started = 1;
	}
	*im->aq_tail = node;
	im->aq_tail = &node->next;
	im->aq_len++;
	pthread_cond_signal(&im->aq_cv);
	return 0;
}

/* Write what is queued, then end the writer (sq_close). */
static void
audit_writer_stop(struct sq_impl *im)
{
	int started;

	if (!im->aq_ok)
		return;
	pthread_mutex_lock(&im->aq_mu);
	im->aq_stop = 1;
	started = im->aq_started;
	pthread_cond_signal(&im->aq_cv);
	pthread_mutex_unlock(&im->aq_mu);
	if (started)
		pthread_join(im->aq_thread, NULL);
}

static int
sq_audit_append(struct srv_store *s, const struct srv_audit_event *e)
{
	struct sq_impl *im = s->impl;
	struct aq_node me = { e, 0, 0, NULL, NULL, NULL };
	sqlite3 *db = NULL;
	int r;

	if (e == NULL || e->actor == NULL || e->action == NULL || e->outcome == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = conn_get(im, &db, NULL, 0)) != 0)
		return r;
	if (!sqlite3_get_autocommit(db))
		return audit_insert(s, e);
	pthread_mutex_lock(&im->aq_mu);
	if (audit_enqueue(s, &me) != 0) {
		pthread_mutex_unlock(&im->aq_mu);
		audit_write_batch(s, &me);      /* no writer thread: write it here */
		return me.r;
	}
	while (!me.done)
		pthread_cond_wait(&im->aq_done_cv, &im->aq_mu);
	pthread_mutex_unlock(&im->aq_mu);
	return me.r;
}

static int
sq_audit_append_async(struct srv_store *s, const struct srv_audit_event *e,
    srv_store_audit_done_fn *cb, void *arg)
{
	struct sq_impl *im = s->impl;
	struct aq_node *node;
	int r;

	if (e == NULL || e->actor == NULL || e->action == NULL || e->outcome == NULL || cb == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((node = calloc(1, sizeof(*node))) == NULL)
		return EID_ERR_NOMEM;
	node->e = e;
	node->cb = cb;
	node->arg = arg;
	pthread_mutex_lock(&im->aq_mu);
	r = audit_enqueue(s, node);
	pthread_mutex_unlock(&im->aq_mu);
	if (r != 0)
		free(node);
	return r;
}

static int
sq_audit_list(struct srv_store *s, int64_t after_id, size_t max,
    struct srv_audit_event ***out, size_t *n)
{
	static const char sql[] =
	    AUDIT_SELECT " WHERE id > ?1 ORDER BY id LIMIT ?2";
	sqlite3_stmt *st = NULL;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_int(st, 1, after_id)) != 0 ||
	    (r = bind_int(st, 2, max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max)) != 0)
		goto out;
	if ((r = collect_rows(st, audit_row, audit_free_one, (void ***)out, n)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* ---- the account page: history and consents ---- */

static int
sq_audit_list_account(struct srv_store *s, const char *account_id, size_t max,
    struct srv_audit_event ***out, size_t *n)
{
	static const char sql[] =
	    AUDIT_SELECT " WHERE subject = ?1 OR actor = ?1 ORDER BY id DESC LIMIT ?2";
	sqlite3_stmt *st = NULL;
	int r;

	*out = NULL;
	*n = 0;
	if (account_id == NULL || account_id[0] == '\0')
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_text(st, 1, account_id)) != 0 ||
	    (r = bind_int(st, 2, max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max)) != 0 ||
	    (r = collect_rows(st, audit_row, audit_free_one, (void ***)out, n)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

static int
consent_row(sqlite3_stmt *st, void **out)
{
	struct srv_consent *c;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return EID_ERR_NOMEM;
	if ((r = col_text(st, 0, &c->client_id)) != 0 ||
	    (r = col_text(st, 1, &c->client_name)) != 0 ||
	    (r = col_text(st, 2, &c->scope)) != 0) {
		srv_consent_free(&c);
		return r;
	}
	c->granted_at = sqlite3_column_int64(st, 3);
	*out = c;
	return 0;
}

static void
consent_free_one(void **p)
{
	srv_consent_free((struct srv_consent **)p);
}

static int
sq_consent_list(struct srv_store *s, const char *account_id, struct srv_consent ***out,
    size_t *n)
{
	static const char sql[] =
	    "SELECT c.client_id, l.name, c.scope, c.granted_at FROM consents c"
	    " JOIN citizens z ON z.id = c.citizen JOIN clients l ON l.client_id = c.client_id"
	    " WHERE z.account_id = ?1 ORDER BY c.granted_at, c.client_id";
	sqlite3_stmt *st = NULL;
	int r;

	*out = NULL;
	*n = 0;
	if (account_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_text(st, 1, account_id)) != 0 ||
	    (r = collect_rows(st, consent_row, consent_free_one, (void ***)out, n)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* ---- passkeys (credentials of type 'passkey'; name and flags in the metadata JSON) ---- */

#define PASSKEY_SELECT "SELECT k.id, z.account_id, k.credential_id, k.public_key," \
	" k.sign_count, json_extract(k.metadata, '$.alg'), json_extract(k.metadata, '$.be')," \
	" json_extract(k.metadata, '$.uv'), json_extract(k.metadata, '$.cloned')," \
	" json_extract(k.metadata, '$.name'), json_extract(k.metadata, '$.attestation')," \
	" k.created_at, k.last_used_at FROM credentials k JOIN citizens z ON z.id = k.citizen" \
	" WHERE k.type = 'passkey'"

static int
passkey_row(sqlite3_stmt *st, void **out)
{
	struct srv_passkey *p;
	int64_t cnt;
	int r;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return EID_ERR_NOMEM;
	p->id = sqlite3_column_int64(st, 0);
	if ((r = col_text(st, 1, &p->account_id)) != 0 ||
	    (r = col_blob(st, 2, &p->credential_id, &p->credential_id_len)) != 0 ||
	    (r = col_blob(st, 3, &p->public_key, &p->public_key_len)) != 0 ||
	    (r = col_text(st, 9, &p->name)) != 0 ||
	    (r = col_text(st, 10, &p->attestation)) != 0)
		goto out;
	cnt = sqlite3_column_int64(st, 4);
	if (cnt < 0 || cnt > (int64_t)UINT32_MAX) {
		r = EID_ERR_DB;
		goto out;
	}
	p->sign_count = (uint32_t)cnt;
	p->alg = sqlite3_column_int(st, 5);
	p->be = sqlite3_column_int(st, 6) != 0;
	p->uv = sqlite3_column_int(st, 7) != 0;
	p->cloned = sqlite3_column_int(st, 8) != 0;
	p->created_at = sqlite3_column_int64(st, 11);
	p->last_used_at = sqlite3_column_int64(st, 12);
	*out = p;
	p = NULL;
out:
	srv_passkey_free(&p);
	return r;
}

static void
passkey_free_one(void **p)
{
	srv_passkey_free((struct srv_passkey **)p);
}

static int
sq_passkey_add(struct srv_store *s, const struct srv_passkey *p, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO credentials(citizen, type, credential_id, public_key, sign_count,"
	    " metadata, created_at)"
	    " SELECT id, 'passkey', ?2, ?3, ?4, json_object('name', ?5, 'alg', ?6, 'be', ?7,"
	    " 'uv', ?8, 'attestation', ?9, 'cloned', 0), ?10 FROM citizens WHERE account_id = ?1";
	sqlite3_stmt *st = NULL;
	int r;

	if (id != NULL)
		*id = 0;
	if (p == NULL || p->account_id == NULL || p->credential_id == NULL ||
	    p->credential_id_len == 0 || p->public_key == NULL || p->public_key_len == 0 ||
	    p->name == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_text(st, 1, p->account_id)) != 0 ||
	    (r = bind_blob(st, 2, p->credential_id, p->credential_id_len)) != 0 ||
	    (r = bind_blob(st, 3, p->public_key, p->public_key_len)) != 0 ||
	    (r = bind_int(st, 4, p->sign_count)) != 0 ||
	    (r = bind_text(st, 5, p->name)) != 0 ||
	    (r = bind_int(st, 6, p->alg)) != 0 ||
	    (r = bind_int(st, 7, p->be != 0)) != 0 ||
	    (r = bind_int(st, 8, p->uv != 0)) != 0 ||
	    (r = bind_text(st, 9, p->attestation != NULL ? p->attestation : "none")) != 0 ||
	    (r = bind_int(st, 10, now_or(p->created_at))) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(sqlite3_db_handle(st));
out:
	done(s, st);
	return r;
}

static int
sq_passkey_list(struct srv_store *s, const char *account_id, struct srv_passkey ***out,
    size_t *n)
{
	sqlite3_stmt *st = NULL;
	int r;

	*out = NULL;
	*n = 0;
	if (account_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, PASSKEY_SELECT " AND z.account_id = ?1 ORDER BY k.id", &st)) != 0 ||
	    (r = bind_text(st, 1, account_id)) != 0 ||
	    (r = collect_rows(st, passkey_row, passkey_free_one, (void ***)out, n)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

static int
sq_passkey_get(struct srv_store *s, const uint8_t *cred_id, size_t cred_id_len,
    struct srv_passkey **out)
{
	sqlite3_stmt *st = NULL;
	int r;

	*out = NULL;
	if (cred_id == NULL || cred_id_len == 0)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, PASSKEY_SELECT " AND k.credential_id = ?1", &st)) != 0 ||
	    (r = bind_blob(st, 1, cred_id, cred_id_len)) != 0 ||
	    (r = step_row(st)) != 0 ||
	    (r = passkey_row(st, (void **)out)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* The counter update, and with e its audit event in the same transaction (one commit). */
static int
sq_passkey_use(struct srv_store *s, int64_t id, uint32_t old_count, uint32_t new_count,
    int64_t now, const struct srv_audit_event *e)
{
	static const char sql[] =
	    "UPDATE credentials SET sign_count = ?3, last_used_at = ?4"
	    " WHERE id = ?1 AND type = 'passkey' AND sign_count = ?2"
	    " AND coalesce(json_extract(metadata, '$.cloned'), 0) = 0";
	sqlite3_stmt *st = NULL;
	int r;

	if (e != NULL && (e->actor == NULL || e->action == NULL || e->outcome == NULL))
		return EID_ERR_INVALID_ARGUMENT;
	if (e != NULL && (r = tx(s, sql_begin)) != 0)
		return r;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_int(st, 1, id)) != 0 ||
	    (r = bind_int(st, 2, old_count)) != 0 ||
	    (r = bind_int(st, 3, new_count)) != 0 ||
	    (r = bind_int(st, 4, now_or(now))) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
	if (e != NULL) {
		done(s, st);
		st = NULL;
		if ((r = audit_insert(s, e)) != 0 ||
		    (r = tx(s, sql_commit)) != 0)
			goto out;
	}
out:
	done(s, st);
	if (r != 0 && e != NULL)
		tx_abort(s);
	return r;
}

static int
sq_passkey_mark_cloned(struct srv_store *s, int64_t id)
{
	static const char sql[] =
	    "UPDATE credentials SET metadata = json_set(coalesce(metadata, '{}'), '$.cloned', 1)"
	    " WHERE id = ?1 AND type = 'passkey'";
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_int(st, 1, id)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

static int
sq_passkey_remove(struct srv_store *s, const char *account_id, int64_t id)
{
	static const char sql[] =
	    "DELETE FROM credentials WHERE id = ?2 AND type = 'passkey'"
	    " AND citizen = (SELECT id FROM citizens WHERE account_id = ?1)";
	sqlite3_stmt *st = NULL;
	int r;

	if (account_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_text(st, 1, account_id)) != 0 ||
	    (r = bind_int(st, 2, id)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

/* ---- chip cards (credentials of type 'card'; credential_id = the card reference) ---- */

/* The citizen row the card is bound to; EID_ERR_NOT_FOUND when it is bound to none. */
static int
card_owner(struct srv_store *s, const uint8_t ref[SRV_STORE_CARD_REF_BYTES], int64_t *owner)
{
	static const char sql[] =
	    "SELECT citizen FROM credentials WHERE type = 'card' AND credential_id = ?1";
	sqlite3_stmt *st = NULL;
	int r;

	*owner = 0;
	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_blob(st, 1, ref, SRV_STORE_CARD_REF_BYTES)) != 0 ||
	    (r = step_row(st)) != 0)
		goto out;
	*owner = sqlite3_column_int64(st, 0);
out:
	done(s, st);
	return r;
}

/* last_used_at = now on the citizen's card `ref`; EID_ERR_NOT_FOUND when it has none. */
static int
card_touch(struct srv_store *s, int64_t citizen, const uint8_t ref[SRV_STORE_CARD_REF_BYTES],
    int64_t now)
{
	static const char sql[] =
	    "UPDATE credentials SET last_used_at = ?2"
	    " WHERE citizen = ?1 AND type = 'card' AND credential_id = ?3";
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(s, sql, &st)) != 0 ||
	    (r = bind_int(st, 1, citizen)) != 0 ||
	    (r = bind_int(st, 2, now_or(now))) != 0 ||
	    (r = bind_blob(st, 3, ref, SRV_STORE_CARD_REF_BYTES)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
out:
	done(s, st);
	return r;
}

static int
sq_card_bind(struct srv_store *s, int64_t citizen, const uint8_t ref[SRV_STORE_CARD_REF_BYTES],
    const char *metadata, int64_t now)
{
	static const char sql_level[] = "UPDATE citizens SET level = 2 WHERE id = ?1";
	static const char sql_add[] =
	    "INSERT INTO credentials(citizen, type, credential_id, metadata, created_at)"
	    " VALUES(?1, 'card', ?2, ?3, ?4)";
	sqlite3_stmt *st = NULL;
	int64_t owner = 0;
	int r;

	if (citizen <= 0 || ref == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = tx(s, sql_begin)) != 0)
		return r;
	/* the level first: a citizen row that is gone is EID_ERR_NOT_FOUND, not a failed
	   foreign key on the insert */
	if ((r = prepare(s, sql_level, &st)) != 0 ||
	    (r = bind_int(st, 1, citizen)) != 0 ||
	    (r = step_changed(st)) != 0)
		goto out;
	done(s, st);
	st = NULL;
	r = card_owner(s, ref, &owner);
	if (r == 0 && owner != citizen) {
		r = EID_ERR_EXISTS;
		goto out;
	}
	if (r == 0)             /* bound to this citizen already: a fresh use */
		r = card_touch(s, citizen, ref, now);
	else if (r == EID_ERR_NOT_FOUND) {
		if ((r = prepare(s, sql_add, &st)) != 0 ||
		    (r = bind_int(st, 1, citizen)) != 0 ||
		    (r = bind_blob(st, 2, ref, SRV_STORE_CARD_REF_BYTES)) != 0 ||
		    (r = bind_text(st, 3, metadata != NULL ? metadata : "{}")) != 0 ||
		    (r = bind_int(st, 4, now_or(now))) != 0 ||
		    (r = step_done(st)) != 0)
			goto out;
	}
	if (r != 0)
		goto out;
	r = tx(s, sql_commit);
out:
	done(s, st);
	if (r != 0)
		tx_abort(s);
	return r;
}

static int
sq_card_check(struct srv_store *s, int64_t citizen, const uint8_t ref[SRV_STORE_CARD_REF_BYTES],
    int64_t now)
{
	if (citizen <= 0 || ref == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	return card_touch(s, citizen, ref, now);
}

/* ---- open and migrate ---- */

static int
exec(sqlite3 *db, const char *sql)
{
	return map_rc(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

static int
newer_error(const char *path, int v, char *err, size_t errlen)
{
	seterr(err, errlen, "%s: database schema version %d is newer than this program "
	    "supports (%d); upgrade eid-server", path, v, N_MIGRATIONS);
	return EID_ERR_MIGRATION;
}

/*
 * Apply the next migration towards target, in one IMMEDIATE transaction (the version
 * is read again under the write lock, so two processes opening a fresh database at
 * once do not both migrate it). *done = 1 when the database is at target already.
 */
static int
migrate_step(sqlite3 *db, const char *path, int target, int *done, char *err, size_t errlen)
{
	char sql[64];
	int r, cur = 0;

	*done = 0;
	if ((r = exec(db, "BEGIN IMMEDIATE")) != 0) {
		seterr(err, errlen, "%s: cannot lock the database: %s", path, sqlite3_errmsg(db));
		return r;
	}
	if ((r = user_version(db, &cur)) != 0) {
		seterr(err, errlen, "%s: cannot read the schema version: %s", path,
		    sqlite3_errmsg(db));
		goto out;
	}
	if (cur > N_MIGRATIONS) {
		r = newer_error(path, cur, err, errlen);
		goto out;
	}
	if (cur >= target) {
		*done = 1;
		goto out;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", cur + 1);
	if (exec(db, migrations[cur]) != 0 || exec(db, sql) != 0) {
		seterr(err, errlen, "%s: schema migration %d failed: %s", path, cur + 1,
		    sqlite3_errmsg(db));
		r = EID_ERR_MIGRATION;
		goto out;
	}
	if ((r = exec(db, "COMMIT")) != 0) {
		seterr(err, errlen, "%s: cannot commit schema migration %d: %s", path, cur + 1,
		    sqlite3_errmsg(db));
		goto out;
	}
out:
	if (!sqlite3_get_autocommit(db))
		(void)exec(db, "ROLLBACK");     /* nothing was written, or undo it all */
	return r;
}

static int
migrate(sqlite3 *db, const char *path, int target, char *err, size_t errlen)
{
	int r, v = 0, done = 0;

	/* Refuse a newer database before changing anything in it (even journal_mode). */
	if ((r = user_version(db, &v)) != 0) {
		seterr(err, errlen, "%s: cannot read the schema version: %s", path,
		    sqlite3_errmsg(db));
		return r;
	}
	if (v > N_MIGRATIONS)
		return newer_error(path, v, err, errlen);
	if ((r = exec(db, "PRAGMA journal_mode = WAL")) != 0) {
		seterr(err, errlen, "%s: cannot set WAL mode: %s", path, sqlite3_errmsg(db));
		return r;
	}
	while (!done)
		if ((r = migrate_step(db, path, target, &done, err, errlen)) != 0)
			return r;
	return 0;
}

/* Create the file with mode 0600 if it is missing, so no other user can ever read it. */
static int
create_file(const char *path, char *err, size_t errlen)
{
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return EID_ERR_IO;
	}
	close(fd);
	return 0;
}

/* A condition variable whose timed waits count on CLOCK_MONOTONIC (audit_linger). */
static int
cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int r;

	if (pthread_condattr_init(&a) != 0)
		return -1;
	r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 && pthread_cond_init(cv, &a) == 0 ? 0 : -1;
	pthread_condattr_destroy(&a);
	return r;
}

static int
store_new(const char *path, struct srv_store **out)
{
	struct srv_store *s = NULL;
	struct sq_impl *im = NULL;
	int r = EID_ERR_NOMEM;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL || (im = calloc(1, sizeof(*im))) == NULL)
		goto out;
	s->ops = &sqlite_ops;
	s->impl = im;
	if ((im->path = strdup(path)) == NULL)
		goto out;
	if (pthread_mutex_init(&im->mu, NULL) != 0)
		goto out;
	im->mu_ok = 1;
	if (pthread_key_create(&im->key, conn_destroy) != 0)
		goto out;
	im->key_ok = 1;
	if (pthread_mutex_init(&im->aq_mu, NULL) != 0)
		goto out;
	if (cond_init_monotonic(&im->aq_cv) != 0) {
		pthread_mutex_destroy(&im->aq_mu);
		goto out;
	}
	if (pthread_cond_init(&im->aq_done_cv, NULL) != 0) {
		pthread_cond_destroy(&im->aq_cv);
		pthread_mutex_destroy(&im->aq_mu);
		goto out;
	}
	im->aq_ok = 1;
	im->aq_tail = &im->aq_head;
	*out = s;
	s = NULL;
	r = 0;
out:
	sq_close(s);
	return r;
}

int
srv_store_sqlite_open(const char *path, int target_version, struct srv_store **out,
    char *err, size_t errlen)
{
	struct srv_store *s = NULL;
	sqlite3 *db = NULL;
	int r;

	seterr(err, errlen, "%s", "");
	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (path == NULL || target_version < 0 || target_version > N_MIGRATIONS) {
		seterr(err, errlen, "invalid store path or schema version");
		return EID_ERR_INVALID_ARGUMENT;
	}
	if (target_version == 0)
		target_version = N_MIGRATIONS;
	if ((r = create_file(path, err, errlen)) != 0)
		return r;
	if ((r = store_new(path, &s)) != 0) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if ((r = conn_get(s->impl, &db, err, errlen)) != 0 ||
	    (r = migrate(db, path, target_version, err, errlen)) != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	sq_close(s);
	return r;
}

static const struct srv_store_ops sqlite_ops = {
	.name = "sqlite",
	.ping = sq_ping,
	.schema_version = sq_schema_version,
	.close = sq_close,
	.setting_get = sq_setting_get,
	.setting_bump = sq_setting_bump,
	.client_add = sq_client_add,
	.client_update = sq_client_update,
	.client_get = sq_client_get,
	.client_list = sq_client_list,
	.client_remove = sq_client_remove,
	.citizen_add = sq_citizen_add,
	.citizen_get = sq_citizen_get,
	.citizen_list = sq_citizen_list,
	.citizen_set_disabled = sq_citizen_set_disabled,
	.citizen_set_password = sq_citizen_set_password,
	.citizen_update = sq_citizen_update,
	.key_add = sq_key_add,
	.key_list = sq_key_list,
	.key_set_state = sq_key_set_state,
	.consent_get = sq_consent_get,
	.consent_set = sq_consent_set,
	.consent_remove = sq_consent_remove,
	.audit_append = sq_audit_append,
	.audit_append_async = sq_audit_append_async,
	.audit_list = sq_audit_list,
	.audit_list_account = sq_audit_list_account,
	.consent_list = sq_consent_list,
	.passkey_add = sq_passkey_add,
	.passkey_list = sq_passkey_list,
	.passkey_get = sq_passkey_get,
	.passkey_use = sq_passkey_use,
	.passkey_mark_cloned = sq_passkey_mark_cloned,
	.passkey_remove = sq_passkey_remove,
	.card_bind = sq_card_bind,
	.card_check = sq_card_check,
};
