/*
 * bench_argon2.c - raw Argon2id password verifications per second with the cost eidd
 * uses by default (srv_config_init's argon2_opslimit and argon2_memlimit_kib), on one
 * thread and on N threads at once (N = online CPUs unless given).
 *
 * This is the floor of a password sign-in: srv_auth_password makes exactly one
 * crypto_pwhash_str_verify per attempt, and nothing else in the request can make it
 * cheaper. tests/bench/signin.py runs this program in the same run as its HTTP sign-ins
 * and reports sign-ins/s against verifications/s.
 *
 *   bench_argon2 [SECONDS_PER_MEASURE [THREADS]]    (default 3 s, online CPUs)
 *
 * Prints one line per measure for people and, last, one `BENCHJSON {...}` line for
 * scripts: rates (verifications/s), CPU milliseconds per verification (process CPU time
 * over the measure: compare with a server's CPU per sign-in, which moves less than rates
 * on a shared machine), and the parameters.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "srv_config.h"

#define BENCH_PASSWORD "correct horse battery staple"   /* not a secret: a bench value */
#define MAX_THREADS 256

struct measure {
	double wall_s;          /* first start to last finish */
	double cpu_s;           /* process CPU time over the measure (all threads) */
	unsigned long long n;   /* verifications that succeeded */
	int failed;             /* a verification did not succeed (memory, or a bug) */
};

struct worker {
	const char *hash;
	double deadline;
	unsigned long long n;
	int failed;
};

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
work(void *arg)
{
	struct worker *w = arg;

	while (clock_s(CLOCK_MONOTONIC) < w->deadline) {
		if (crypto_pwhash_str_verify(w->hash, BENCH_PASSWORD, strlen(BENCH_PASSWORD)) != 0) {
			w->failed = 1;
			break;
		}
		w->n++;
	}
	return NULL;
}

/* Run nthreads verifiers for seconds; every thread finishes the verification it is in. */
static int
run(const char *hash, unsigned nthreads, double seconds, struct measure *m)
{
	pthread_t tid[MAX_THREADS];
	struct worker w[MAX_THREADS];
	double t0, c0;
	unsigned i, started = 0;

	memset(m, 0, sizeof(*m));
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].hash = hash;
		w[i].deadline = t0 + seconds;
		if (pthread_create(&tid[i], NULL, work, &w[i]) != 0)
			break;
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		m->n += w[i].n;
		m->failed |= w[i].failed;
	}
	m->wall_s = clock_s(CLOCK_MONOTONIC) - t0;
	m->cpu_s = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	return started == nthreads ? 0 : -1;
}

static double
rate(const struct measure *m)
{
	return m->wall_s > 0 ? (double)m->n / m->wall_s : 0;
}

static double
cpu_ms(const struct measure *m)
{
	return m->n > 0 ? m->cpu_s * 1000 / (double)m->n : 0;
}

int
main(int argc, char **argv)
{
	struct srv_config cfg;
	struct measure one, many;
	char hash[crypto_pwhash_STRBYTES];
	double seconds = 3;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned nthreads = cpus > 0 ? (unsigned)cpus : 1;
	unsigned ops;
	size_t mem_kib;
	int rc = 1;

	if (argc > 1)
		seconds = atof(argv[1]);
	if (argc > 2)
		nthreads = (unsigned)atoi(argv[2]);
	if (argc > 3 || seconds <= 0 || seconds > 600 || nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "usage: bench_argon2 [SECONDS_PER_MEASURE (0-600] [THREADS (1-%d)]]\n",
		    MAX_THREADS);
		return 2;
	}
	if (sodium_init() < 0 || srv_config_init(&cfg) != 0) {
		fprintf(stderr, "bench_argon2: libsodium or the configuration did not initialise\n");
		return 1;
	}
	ops = cfg.argon2_opslimit;
	mem_kib = cfg.argon2_memlimit_kib;
	srv_config_free(&cfg);

	/* the hash eidctl would store for a citizen: Argon2id v1.3, the default cost */
	if (crypto_pwhash_str_alg(hash, BENCH_PASSWORD, strlen(BENCH_PASSWORD), ops,
	    mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		fprintf(stderr, "bench_argon2: hashing failed (out of memory?)\n");
		return 1;
	}
	printf("Argon2id (libsodium %s): t=%u, m=%zu KiB, p=1 (eidd's defaults)\n",
	    sodium_version_string(), ops, mem_kib);
	if (run(hash, 1, seconds, &one) != 0 || one.failed) {
		fprintf(stderr, "bench_argon2: single-thread measure failed\n");
		goto out;
	}
	printf("1 thread:  %8.1f verifications/s, %6.2f ms CPU each (%llu in %.2f s)\n", rate(&one),
	    cpu_ms(&one), one.n, one.wall_s);
	fflush(stdout);
	if (run(hash, nthreads, seconds, &many) != 0 || many.failed) {
		fprintf(stderr, "bench_argon2: %u-thread measure failed\n", nthreads);
		goto out;
	}
	printf("%u threads: %8.1f verifications/s, %6.2f ms CPU each (%llu in %.2f s)\n", nthreads,
	    rate(&many), cpu_ms(&many), many.n, many.wall_s);
	printf("BENCHJSON {\"opslimit\": %u, \"memlimit_kib\": %zu, \"threads\": %u, "
	    "\"rate_1\": %.2f, \"cpu_ms_1\": %.3f, \"rate_n\": %.2f, \"cpu_ms_n\": %.3f}\n",
	    ops, mem_kib, nthreads, rate(&one), cpu_ms(&one), rate(&many), cpu_ms(&many));
	rc = 0;
out:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}
