/*
 * replay.c - run a libFuzzer target over its corpus as an ordinary test.
 *
 * usage: fuzz_NAME CORPUS_DIR...   (or files)
 * Calls LLVMFuzzerTestOneInput once per file and prints one TAP line per file. A crash,
 * a sanitizer report or a hang is the failure: the function itself returns nothing.
 * Built instead of libFuzzer's main when -Dfuzz=false (the default).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n_cases;

static int
replay_file(const char *path)
{
	FILE *f;
	uint8_t *buf = NULL;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* a copy of exactly n bytes, so ASan catches any read past the input */
	{
		uint8_t *exact = malloc(n > 0 ? (size_t)n : 1);

		if (exact == NULL) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, (size_t)n);
		LLVMFuzzerTestOneInput(exact, (size_t)n);
		free(exact);
	}
	free(buf);
	printf("ok %d - %s\n", ++n_cases, path);
	fflush(stdout);
	return 0;
}

static int
replay_path(const char *path)
{
	struct stat st;
	struct dirent **names = NULL;
	char sub[4096];
	int i, n, r = 0;

	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name) < sizeof(sub) &&
		    replay_path(sub) != 0)
			r = -1;
		free(names[i]);
	}
	free(names);
	return r;
}

int
main(int argc, char **argv)
{
	int i, r = 0;

	for (i = 1; i < argc; i++)
		if (replay_path(argv[i]) != 0) {
			printf("not ok %d - cannot read %s\n", ++n_cases, argv[i]);
			r = 1;
		}
	if (n_cases == 0) {
		printf("not ok 1 - empty corpus\n");
		n_cases = 1;
		r = 1;
	}
	printf("1..%d\n", n_cases);
	return r;
}
