/* srv_keys.c - signing keys on disk and in the store (see srv_keys.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cx_util.h"
#include "srv_keys.h"
#include "srv_log.h"
#include "srv_secret.h"

const enum tok_alg srv_keys_algs[4] = { TOK_ALG_RS256, TOK_ALG_ES256, TOK_ALG_PS256, TOK_ALG_EDDSA };

struct snapshot {
	struct srv_keys_snapshot pub;
	int refs;
};

struct srv_keys {
	struct srv_store *store;
	char *data_dir;
	pthread_mutex_t mu;
	struct snapshot *cur;
	atomic_llong last_check;        /* unix seconds of the last generation check */
};

static int
keys_dir(const char *data_dir, char *out, size_t outsz)
{
	return (size_t)snprintf(out, outsz, "%s/keys", data_dir) < outsz ? 0 : EID_ERR_INVALID_ARGUMENT;
}

static int
write_private_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return EID_ERR_IO;
	}
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return EID_ERR_IO;
	}
	close(fd);
	return 0;
}

/* Generate one key, write its PEM, add its row (state "active"). *kid_out: caller frees. */
static int
create_key(struct srv_store *store, const char *data_dir, enum tok_alg alg, char **kid_out,
    char *err, size_t errlen)
{
	struct tok_key *key = NULL;
	struct srv_signing_key_row row;
	char dir[4096], path[4400], file[128];
	char *pem = NULL;
	size_t pemlen = 0;
	int r;

	if ((r = keys_dir(data_dir, dir, sizeof(dir))) != 0 ||
	    (r = srv_mkdir_private(dir, err, errlen)) != 0)
		goto out;
	if ((r = tok_key_generate(alg, &key)) != 0 || (r = tok_key_to_pem(key, &pem, &pemlen)) != 0) {
		snprintf(err, errlen, "cannot generate a %s key: %s", tok_alg_name(alg), eid_strerror(r));
		goto out;
	}
	snprintf(file, sizeof(file), "%s.pem", tok_key_kid(key));
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((r = write_private_file(path, pem, pemlen, err, errlen)) != 0)
		goto out;
	memset(&row, 0, sizeof(row));
	row.kid = (char *)tok_key_kid(key);
	row.alg = (char *)tok_alg_name(alg);
	row.state = "active";
	row.file = file;
	row.created_at = (int64_t)time(NULL);
	if ((r = srv_store_key_add(store, &row)) != 0) {
		snprintf(err, errlen, "cannot record key %s: %s", row.kid, eid_strerror(r));
		unlink(path);
		goto out;
	}
	if (kid_out != NULL && (*kid_out = strdup(tok_key_kid(key))) == NULL)
		r = EID_ERR_NOMEM;
out:
	cx_free_str(pem);
	tok_key_free(&key);
	return r;
}

static int
bump(struct srv_store *store)
{
	int64_t g;

	return srv_store_setting_bump(store, "keys_generation", &g);
}

int
srv_keys_ensure(struct srv_store *store, const char *data_dir, char *err, size_t errlen)
{
	struct srv_signing_key_row **rows = NULL;
	size_t n = 0, i, a;
	int r, created = 0;

	if ((r = srv_store_key_list(store, &rows, &n)) != 0) {
		snprintf(err, errlen, "cannot list signing keys: %s", eid_strerror(r));
		return r;
	}
	for (a = 0; a < 4; a++) {
		const char *name = tok_alg_name(srv_keys_algs[a]);
		int have = 0;

		for (i = 0; i < n; i++)
			if (strcmp(rows[i]->alg, name) == 0 && strcmp(rows[i]->state, "active") == 0)
				have = 1;
		if (have)
			continue;
		if ((r = create_key(store, data_dir, srv_keys_algs[a], NULL, err, errlen)) != 0)
			goto out;
		created = 1;
	}
	if (created)
		r = bump(store);
out:
	srv_signing_key_list_free(rows, n);
	return r;
}

int
srv_keys_rotate(struct srv_store *store, const char *data_dir, enum tok_alg alg,
    char **new_kids_json, char *err, size_t errlen)
{
	struct srv_signing_key_row **rows = NULL;
	json_t *kids = json_array();
	size_t n = 0, i, a;
	char *kid = NULL;
	int r;

	if (new_kids_json != NULL)
		*new_kids_json = NULL;
	if (kids == NULL)
		return EID_ERR_NOMEM;
	if ((r = srv_store_key_list(store, &rows, &n)) != 0) {
		snprintf(err, errlen, "cannot list signing keys: %s", eid_strerror(r));
		goto out;
	}
	for (a = 0; a < 4; a++) {
		enum tok_alg al = srv_keys_algs[a];

		if (alg != 0 && alg != al)
			continue;
		if ((r = create_key(store, data_dir, al, &kid, err, errlen)) != 0)
			goto out;
		for (i = 0; i < n; i++)
			if (strcmp(rows[i]->alg, tok_alg_name(al)) == 0 &&
			    strcmp(rows[i]->state, "active") == 0 &&
			    (r = srv_store_key_set_state(store, rows[i]->kid, "published")) != 0) {
				snprintf(err, errlen, "cannot update key %s: %s", rows[i]->kid, eid_strerror(r));
				goto out;
			}
		if (json_array_append_new(kids, json_pack("{s:s,s:s}", "kid", kid, "alg",
		    tok_alg_name(al))) != 0) {
			r = EID_ERR_NOMEM;
			goto out;
		}
		free(kid);
		kid = NULL;
	}
	r = bump(store);
	if (r == 0 && new_kids_json != NULL &&
	    (*new_kids_json = json_dumps(kids, JSON_COMPACT)) == NULL)
		r = EID_ERR_NOMEM;
out:
	free(kid);
	json_decref(kids);
	srv_signing_key_list_free(rows, n);
	return r;
}

int
srv_keys_retire(struct srv_store *store, const char *kid, char *err, size_t errlen)
{
	struct srv_signing_key_row **rows = NULL;
	size_t n = 0, i;
	int r, found = 0;

	if ((r = srv_store_key_list(store, &rows, &n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (strcmp(rows[i]->kid, kid) == 0) {
			found = 1;
			if (strcmp(rows[i]->state, "active") == 0) {
				snprintf(err, errlen, "key %s is active: rotate first (eidctl keys rotate --alg %s)",
				    kid, rows[i]->alg);
				r = EID_ERR_DENIED;
				goto out;
			}
		}
	if (!found) {
		snprintf(err, errlen, "no signing key with kid %s", kid);
		r = EID_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = srv_store_key_set_state(store, kid, "retired")) == 0)
		r = bump(store);
out:
	srv_signing_key_list_free(rows, n);
	return r;
}

static void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	tok_keyset_free(&s->pub.published);
	free(s->pub.jwks_json);
	free(s);
}

static int
load_pem(const char *path, char **pem, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	*pem = NULL;
	if (f == NULL)
		return EID_ERR_IO;
	if ((buf = malloc(TOK_KEY_PEM_MAX_BYTES + 1)) == NULL) {
		fclose(f);
		return EID_ERR_NOMEM;
	}
	n = fread(buf, 1, TOK_KEY_PEM_MAX_BYTES + 1, f);
	fclose(f);
	if (n == 0 || n > TOK_KEY_PEM_MAX_BYTES) {
		cx_wipe(buf, TOK_KEY_PEM_MAX_BYTES + 1);
		free(buf);
		return EID_ERR_KEY;
	}
	buf[n] = '\0';
	*pem = buf;
	*len = n;
	return 0;
}

static int
snapshot_load(struct srv_keys *k, struct snapshot **out)
{
	struct srv_signing_key_row **rows = NULL;
	struct snapshot *s = NULL;
	struct tok_key *key = NULL;
	json_t *jwks = NULL;
	char path[4400], *pem = NULL, *gen = NULL;
	size_t n = 0, i, pemlen = 0;
	enum tok_alg alg;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return EID_ERR_NOMEM;
	if ((r = srv_store_setting_get(k->store, "keys_generation", &gen)) == 0)
		s->pub.generation = strtoll(gen, NULL, 10);
	else if (r != EID_ERR_NOT_FOUND)
		goto out;
	if ((r = tok_keyset_new(&s->pub.published)) != 0 ||
	    (r = srv_store_key_list(k->store, &rows, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct tok_key *added;

		if (strcmp(rows[i]->state, "retired") == 0)
			continue;
		if ((r = tok_alg_from_name(rows[i]->alg, &alg)) != 0)
			goto out;
		snprintf(path, sizeof(path), "%s/keys/%s", k->data_dir, rows[i]->file);
		if ((r = load_pem(path, &pem, &pemlen)) != 0 ||
		    (r = tok_key_from_pem(pem, pemlen, alg, &key)) != 0 ||
		    (r = tok_key_set_kid(key, rows[i]->kid)) != 0) {
			log_error("signing_key_unreadable", LS("kid", rows[i]->kid), LS("file", path),
			    LS("reason", eid_strerror(r)));
			goto out;
		}
		cx_free_str(pem);
		pem = NULL;
		if ((r = tok_keyset_add(s->pub.published, &key)) != 0)
			goto out;
		added = tok_keyset_find(s->pub.published, rows[i]->kid, alg);
		if (strcmp(rows[i]->state, "active") == 0 && added != NULL)
			s->pub.active[alg] = added;
	}
	if ((r = tok_keyset_to_jwks_json(s->pub.published, &jwks)) != 0)
		goto out;
	if ((s->pub.jwks_json = json_dumps(jwks, JSON_COMPACT)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	s->pub.jwks_len = strlen(s->pub.jwks_json);
	*out = s;
	s = NULL;
out:
	free(gen);
	cx_free_str(pem);
	tok_key_free(&key);
	json_decref(jwks);
	srv_signing_key_list_free(rows, n);
	snapshot_free(s);
	return r;
}

int
srv_keys_open(struct srv_store *store, const char *data_dir, struct srv_keys **out, char *err,
    size_t errlen)
{
	struct srv_keys *k;
	int r;

	*out = NULL;
	if ((r = srv_keys_ensure(store, data_dir, err, errlen)) != 0)
		return r;
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->data_dir = strdup(data_dir)) == NULL) {
		free(k);
		return EID_ERR_NOMEM;
	}
	k->store = store;
	pthread_mutex_init(&k->mu, NULL);
	if ((r = snapshot_load(k, &k->cur)) != 0) {
		snprintf(err, errlen, "cannot load signing keys: %s", eid_strerror(r));
		srv_keys_free(&k);
		return r;
	}
	k->cur->refs = 1;
	atomic_store(&k->last_check, (long long)time(NULL));
	*out = k;
	return 0;
}

void
srv_keys_free(struct srv_keys **kp)
{
	struct srv_keys *k;

	if (kp == NULL || (k = *kp) == NULL)
		return;
	snapshot_free(k->cur);
	pthread_mutex_destroy(&k->mu);
	free(k->data_dir);
	free(k);
	*kp = NULL;
}

int
srv_keys_refresh(struct srv_keys *k)
{
	long long now = (long long)time(NULL), last = atomic_load(&k->last_check);
	struct snapshot *s = NULL, *old = NULL;
	char *gen = NULL;
	long long g;
	int r;

	if (now == last || !atomic_compare_exchange_strong(&k->last_check, &last, now))
		return 0;               /* checked this second already, or another thread is */
	if ((r = srv_store_setting_get(k->store, "keys_generation", &gen)) != 0)
		return r == EID_ERR_NOT_FOUND ? 0 : r;
	g = strtoll(gen, NULL, 10);
	free(gen);
	pthread_mutex_lock(&k->mu);
	if (g == k->cur->pub.generation) {
		pthread_mutex_unlock(&k->mu);
		return 0;
	}
	pthread_mutex_unlock(&k->mu);
	if ((r = snapshot_load(k, &s)) != 0) {
		log_error("signing_keys_reload_failed", LS("reason", eid_strerror(r)));
		return r;
	}
	s->refs = 1;
	pthread_mutex_lock(&k->mu);
	old = k->cur;
	k->cur = s;
	if (--old->refs != 0)
		old = NULL;             /* the last reader frees it */
	pthread_mutex_unlock(&k->mu);
	snapshot_free(old);
	log_info("signing_keys_reloaded", LI("generation", s->pub.generation),
	    LI("keys", (long long)tok_keyset_count(s->pub.published)));
	return 0;
}

const struct srv_keys_snapshot *
srv_keys_acquire(struct srv_keys *k)
{
	struct snapshot *s;

	pthread_mutex_lock(&k->mu);
	s = k->cur;
	s->refs++;
	pthread_mutex_unlock(&k->mu);
	return &s->pub;
}

void
srv_keys_release(struct srv_keys *k, const struct srv_keys_snapshot *snap)
{
	struct snapshot *s = (struct snapshot *)(void *)((const char *)snap - offsetof(struct snapshot, pub));
	int last;

	if (snap == NULL)
		return;
	pthread_mutex_lock(&k->mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&k->mu);
	if (last)
		snapshot_free(s);
}
