/* srv_gencache.c - per-thread, generation-checked record cache (see the header). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srv_gencache.h"

struct slot {
	char *key;                  /* the key the record was looked up by */
	void *rec;
};

/* One thread's slots of one cache. */
struct thread_cache {
	const struct srv_gencache_type *type;
	const struct srv_store *store;  /* the store the records came from */
	char *generation;               /* the setting's value they were read under */
	uint64_t checked_ms;            /* when generation was last compared with the store */
	unsigned next;                  /* the slot a miss replaces (round robin) */
	unsigned n;                     /* slots */
	struct slot slot[];
};

static void
flush(struct thread_cache *tc)
{
	unsigned i;

	for (i = 0; i < tc->n; i++) {
		free(tc->slot[i].key);
		tc->slot[i].key = NULL;
		if (tc->slot[i].rec != NULL)
			tc->type->free_rec(&tc->slot[i].rec);
		tc->slot[i].rec = NULL;
	}
	free(tc->generation);
	tc->generation = NULL;
	tc->store = NULL;
	tc->checked_ms = 0;
	tc->next = 0;
}

static void
destroy(void *p)
{
	struct thread_cache *tc = p;

	if (tc != NULL) {
		flush(tc);
		free(tc);
	}
}

/* pthread_once takes no argument: each instance's key is made once under a shared mutex. */
static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;

static int
key_ready(struct srv_gencache *gc)
{
	int ok;

	/* key_ok, once set, makes the common path lock-free; key_mu orders the creation */
	if (__atomic_load_n(&gc->key_ok, __ATOMIC_ACQUIRE))
		return 1;
	if (pthread_mutex_lock(&key_mu) != 0)
		return 0;
	if (!gc->key_ok && pthread_key_create(&gc->key, destroy) == 0)
		__atomic_store_n(&gc->key_ok, 1, __ATOMIC_RELEASE);
	ok = gc->key_ok;
	pthread_mutex_unlock(&key_mu);
	return ok;
}

/* The calling thread's slots, created on first use; NULL when they cannot be. */
static struct thread_cache *
thread_cache(struct srv_gencache *gc, int create)
{
	const struct srv_gencache_type *t = gc->type;
	struct thread_cache *tc;

	if (t == NULL || t->slots == 0 || t->slots > SRV_GENCACHE_MAX_SLOTS || !key_ready(gc))
		return NULL;
	if ((tc = pthread_getspecific(gc->key)) != NULL || !create)
		return tc;
	if ((tc = calloc(1, sizeof(*tc) + (size_t)t->slots * sizeof(tc->slot[0]))) == NULL)
		return NULL;
	tc->type = t;
	tc->n = t->slots;
	if (pthread_setspecific(gc->key, tc) != 0) {
		free(tc);
		return NULL;
	}
	return tc;
}

void
srv_gencache_clear(struct srv_gencache *gc)
{
	struct thread_cache *tc = thread_cache(gc, 0);

	if (tc == NULL)
		return;
	(void)pthread_setspecific(gc->key, NULL);
	destroy(tc);
}

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
srv_gencache_get(struct srv_gencache *gc, struct srv_store *store, const char *key, void **out)
{
	const struct srv_gencache_type *t = gc->type;
	struct thread_cache *tc;
	uint64_t now;
	char *gen = NULL, *k = NULL;
	void *rec = NULL;
	unsigned i;
	int r;

	*out = NULL;
	if (key == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((tc = thread_cache(gc, 1)) == NULL)
		return t->load(store, key, out);
	now = monotonic_ms();
	if (tc->store != store || tc->generation == NULL || now == 0 ||
	    now - tc->checked_ms >= t->recheck_ms) {
		/* the generation first, then the records: a record is never older than its label */
		r = srv_store_setting_get(store, t->setting, &gen);
		if (r == EID_ERR_NOT_FOUND) {
			flush(tc);
			return t->load(store, key, out);
		}
		if (r != 0)
			return r;
		if (tc->store != store || tc->generation == NULL || strcmp(tc->generation, gen) != 0) {
			flush(tc);
			tc->store = store;
			tc->generation = gen;
			gen = NULL;
		}
		free(gen);
		tc->checked_ms = now;
	}
	for (i = 0; i < tc->n; i++)
		if (tc->slot[i].key != NULL && strcmp(tc->slot[i].key, key) == 0)
			return t->copy(tc->slot[i].rec, out);
	/* a miss: read it, keep it and hand out a copy (unknown keys are not remembered) */
	if ((r = t->load(store, key, &rec)) != 0)
		return r;
	if ((k = strdup(key)) == NULL || t->copy(rec, out) != 0) {
		free(k);
		*out = rec;             /* serve it uncached */
		return 0;
	}
	i = tc->next;
	free(tc->slot[i].key);
	if (tc->slot[i].rec != NULL)
		t->free_rec(&tc->slot[i].rec);
	tc->slot[i].key = k;
	tc->slot[i].rec = rec;
	tc->next = (i + 1) % tc->n;
	return 0;
}
