/*
 * t.h - a tiny TAP test harness for the C unit tests.
 *
 * A test program defines cases with T_CASE(name) { ... } and runs them from main()
 * with T_RUN(name); return t_done(). Each case prints one TAP line ("ok N - name" or
 * "not ok N - name") and its failed checks as "# file:line: ..." diagnostics. A
 * failing check ends the case (like a return), so later checks in it do not run on
 * bad state. tests/run counts the TAP lines of every program.
 */
#ifndef EID_T_H
#define EID_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_count, t_failed, t_case_failed;

#define T_CASE(name) static void name(void)

#define T_RUN(name) do { \
	t_case_failed = 0; \
	name(); \
	t_count++; \
	if (t_case_failed) t_failed++; \
	printf("%s %d - %s\n", t_case_failed ? "not ok" : "ok", t_count, #name); \
	fflush(stdout); \
} while (0)

#define T_SKIP(name, why) do { \
	t_count++; \
	printf("ok %d - %s # SKIP %s\n", t_count, #name, why); \
} while (0)

#define T_FAIL(...) do { \
	printf("# %s:%d: ", __FILE__, __LINE__); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	t_case_failed = 1; \
	return; \
} while (0)

#define T_ASSERT(cond) do { if (!(cond)) T_FAIL("assertion failed: %s", #cond); } while (0)

#define T_EQ_INT(a, b) do { \
	long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
	if (t_a_ != t_b_) T_FAIL("%s == %lld, expected %s == %lld", #a, t_a_, #b, t_b_); \
} while (0)

#define T_EQ_STR(a, b) do { \
	const char *t_a_ = (a), *t_b_ = (b); \
	if (t_a_ == NULL || t_b_ == NULL || strcmp(t_a_, t_b_) != 0) \
		T_FAIL("%s == \"%s\", expected \"%s\"", #a, t_a_ ? t_a_ : "(null)", \
		    t_b_ ? t_b_ : "(null)"); \
} while (0)

#define T_EQ_MEM(a, alen, b, blen) do { \
	size_t t_al_ = (alen), t_bl_ = (blen); \
	if (t_al_ != t_bl_ || memcmp((a), (b), t_al_) != 0) \
		T_FAIL("%s (%zu bytes) differs from %s (%zu bytes)", #a, t_al_, #b, t_bl_); \
} while (0)

static inline int
t_done(void)
{
	printf("1..%d\n", t_count);
	return t_failed == 0 ? 0 : 1;
}

/* Read a whole file (tests only); aborts the program if it cannot. Caller frees. */
static inline unsigned char *
t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (p = malloc((size_t)n + 1)) == NULL ||
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		abort();
	}
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

#endif /* EID_T_H */
