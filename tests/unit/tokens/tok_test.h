/*
 * tok_test.h - helpers shared by the tokens/ unit tests (tests only).
 * Vector files live under $EID_VECTORS (set by meson to tests/vectors).
 */
#ifndef TOK_TEST_H
#define TOK_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../t.h"

/* Read $EID_VECTORS/rel; aborts if missing. Caller frees. */
static inline char *
tt_vector(const char *rel, size_t *len)
{
	const char *dir = getenv("EID_VECTORS");
	char path[4096];
	size_t n;

	if (dir == NULL)
		dir = "tests/vectors";
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return (char *)t_read_file(path, len != NULL ? len : &n);
}

/* A vector file as JSON; aborts if missing or malformed. Caller decrefs. */
static inline json_t *
tt_vector_json(const char *rel)
{
	size_t n;
	char *txt = tt_vector(rel, &n);
	json_t *j = json_loadb(txt, n, 0, NULL);

	free(txt);
	if (j == NULL) {
		fprintf(stderr, "bad JSON in %s\n", rel);
		abort();
	}
	return j;
}

/* A vector file without its trailing newline. Caller frees. */
static inline char *
tt_vector_line(const char *rel)
{
	size_t n;
	char *txt = tt_vector(rel, &n);

	while (n > 0 && (txt[n - 1] == '\n' || txt[n - 1] == '\r'))
		txt[--n] = '\0';
	return txt;
}

#endif /* TOK_TEST_H */
