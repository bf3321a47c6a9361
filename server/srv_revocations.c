/* srv_revocations.c - the revocation watcher (see srv_revocations.h). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "srv_app.h"
#include "srv_log.h"
#include "srv_redis.h"
#include "srv_revocations.h"

#define WATCH_WAIT_MS       200     /* how often the watcher looks at its stop flag */
#define RESUBSCRIBE_MIN_MS  100
#define RESUBSCRIBE_MAX_MS  2000

struct srv_revocations {
	struct srv_app *app;
	pthread_t thread;
	atomic_int stop;
};

static atomic_uint_fast64_t epoch = 1;
static atomic_int watching;

uint64_t
srv_revocations_epoch(void)
{
	/* watching first: an epoch read after it was cleared is not trusted */
	if (!atomic_load(&watching))
		return 0;
	return (uint64_t)atomic_load(&epoch);
}

void
srv_revocations_moved(void)
{
	atomic_fetch_add(&epoch, 1);
}

/* Not watching any more, and whatever was found meanwhile is stale. */
static void
lost(void)
{
	atomic_store(&watching, 0);
	atomic_fetch_add(&epoch, 1);
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *
watch(void *arg)
{
	struct srv_revocations *w = arg;
	struct srv_redis_sub *sub = NULL;
	long backoff = RESUBSCRIBE_MIN_MS, slept;
	int r, was_down = 0;

	while (!atomic_load(&w->stop)) {
		if (sub == NULL) {
			if (srv_redis_subscribe(w->app->redis, SRV_REVOCATIONS_CHANNEL, &sub) != 0) {
				if (!was_down)
					log_warn("revocation_watch_down", LI("retry_ms", backoff));
				was_down = 1;
				for (slept = 0; slept < backoff && !atomic_load(&w->stop); slept += 50)
					nap_ms(50);
				backoff = backoff * 2 > RESUBSCRIBE_MAX_MS ? RESUBSCRIBE_MAX_MS : backoff * 2;
				continue;
			}
			/* anything published while no one listened is unknown: a new epoch */
			atomic_fetch_add(&epoch, 1);
			atomic_store(&watching, 1);
			if (was_down)
				log_info("revocation_watch_up", LEND);
			was_down = 0;
			backoff = RESUBSCRIBE_MIN_MS;
		}
		r = srv_redis_sub_next(sub, WATCH_WAIT_MS);
		if (r == 1)
			atomic_fetch_add(&epoch, 1);
		else if (r < 0) {
			lost();
			srv_redis_sub_free(&sub);
		}
	}
	lost();
	srv_redis_sub_free(&sub);
	return NULL;
}

int
srv_revocations_start(struct srv_app *app, struct srv_revocations **out)
{
	struct srv_revocations *w;
	sigset_t all, old;
	int e;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return EID_ERR_NOMEM;
	w->app = app;
	atomic_init(&w->stop, 0);
	/* signals are for the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&w->thread, NULL, watch, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		free(w);
		return EID_ERR_IO;
	}
	*out = w;
	return 0;
}

void
srv_revocations_stop(struct srv_revocations **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	atomic_store(&(*wp)->stop, 1);
	pthread_join((*wp)->thread, NULL);
	free(*wp);
	*wp = NULL;
}
