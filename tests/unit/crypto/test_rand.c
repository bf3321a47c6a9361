/* test_rand.c - the per-thread CSPRNG (cx_rand.c): fresh bytes across blocks, threads,
 * reseeds and forks. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "../t.h"
#include "cx_util.h"

/* Byte counts of n random bytes: each value within 6 sigma of n/256 (fails for a stuck,
 * zeroed or repeating buffer, not for a sound generator). */
static int
looks_uniform(const uint8_t *p, size_t n)
{
	size_t count[256] = { 0 }, i;
	double mean = (double)n / 256, sd = 0;

	for (i = 0; i < n; i++)
		count[p[i]]++;
	for (sd = 1; sd * sd < mean; sd += 1)
		;
	for (i = 0; i < 256; i++)
		if ((double)count[i] < mean - 6 * sd || (double)count[i] > mean + 6 * sd)
			return 0;
	return 1;
}

T_CASE(output_is_spread_over_byte_values)
{
	size_t n = 1 << 20;
	uint8_t *p = malloc(n);

	T_ASSERT(p != NULL);
	cx_random(p, n);                /* one call spans ~2000 blocks and several rekeys */
	if (!looks_uniform(p, n)) {
		free(p);
		T_FAIL("1 MiB of output is not spread over the 256 byte values");
	}
	free(p);
}

T_CASE(small_draws_never_repeat)
{
	static uint8_t seen[4096][16];
	size_t i, j;

	/* 4096 draws of 16 bytes cross many block and key boundaries */
	for (i = 0; i < 4096; i++)
		cx_random(seen[i], 16);
	for (i = 0; i < 4096; i++)
		for (j = i + 1; j < 4096; j++)
			if (memcmp(seen[i], seen[j], 16) == 0)
				T_FAIL("draws %zu and %zu are equal", i, j);
}

T_CASE(tokens_are_base64url_of_the_length_asked)
{
	char a[CX_B64URL_LEN(32)], b[CX_B64URL_LEN(32)];
	size_t i;

	cx_random_token(a, sizeof(a), 32);
	cx_random_token(b, sizeof(b), 32);
	T_EQ_INT(strlen(a), 43);
	T_ASSERT(strcmp(a, b) != 0);
	for (i = 0; a[i] != '\0'; i++)
		T_ASSERT((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= 'a' && a[i] <= 'z') ||
		    (a[i] >= '0' && a[i] <= '9') || a[i] == '-' || a[i] == '_');
}

static void *
draw_thread(void *arg)
{
	cx_random(arg, 64);
	return NULL;
}

T_CASE(threads_get_different_streams)
{
	uint8_t a[64], b[64];
	pthread_t t1, t2;

	T_EQ_INT(pthread_create(&t1, NULL, draw_thread, a), 0);
	T_EQ_INT(pthread_create(&t2, NULL, draw_thread, b), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	T_ASSERT(memcmp(a, b, sizeof(a)) != 0);
}

/* A child must not hand out what its parent hands out next from the same buffer. */
T_CASE(a_forked_child_does_not_repeat_its_parent)
{
	uint8_t prime[8], mine[32], childs[32];
	int fds[2], st = 0;
	pid_t pid;

	cx_random(prime, sizeof(prime));        /* the parent has a block half used */
	T_EQ_INT(pipe(fds), 0);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		cx_random(childs, sizeof(childs));
		_exit(write(fds[1], childs, sizeof(childs)) == (ssize_t)sizeof(childs) ? 0 : 1);
	}
	close(fds[1]);
	cx_random(mine, sizeof(mine));
	T_EQ_INT(read(fds[0], childs, sizeof(childs)), sizeof(childs));
	close(fds[0]);
	T_EQ_INT(waitpid(pid, &st, 0), pid);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_ASSERT(memcmp(mine, childs, sizeof(mine)) != 0);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	T_RUN(output_is_spread_over_byte_values);
	T_RUN(small_draws_never_repeat);
	T_RUN(tokens_are_base64url_of_the_length_asked);
	T_RUN(threads_get_different_streams);
	T_RUN(a_forked_child_does_not_repeat_its_parent);
	return t_done();
}
