/* srv_secret.c - server secret and derived keys (see srv_secret.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "srv_secret.h"

#define SECRET_FILE "secret.key"

struct srv_secret {
	uint8_t key[crypto_kdf_KEYBYTES];
};

int
srv_mkdir_private(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	snprintf(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
	return EID_ERR_IO;
}

static int
read_exact(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
srv_secret_open(const char *data_dir, struct srv_secret **out, char *err, size_t errlen)
{
	struct srv_secret *s = NULL;
	char path[4096];
	struct stat st;
	int fd = -1, r = EID_ERR_IO;

	*out = NULL;
	if ((r = srv_mkdir_private(data_dir, err, errlen)) != 0)
		return r;
	r = EID_ERR_IO;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", data_dir, SECRET_FILE) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", data_dir);
		return EID_ERR_INVALID_ARGUMENT;
	}
	if ((s = sodium_malloc(sizeof(*s))) == NULL)
		return EID_ERR_NOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		crypto_kdf_keygen(s->key);
		if (write(fd, s->key, sizeof(s->key)) != (ssize_t)sizeof(s->key) || fsync(fd) != 0) {
			snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			fd = -1;
			goto out;
		}
		close(fd);
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: readable by group or others (mode %o); run: chmod 600 %s",
		    path, (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	if (st.st_size != (off_t)sizeof(s->key) || read_exact(fd, s->key, sizeof(s->key)) != 0) {
		snprintf(err, errlen, "%s: not a %zu-byte secret (damaged?)", path, sizeof(s->key));
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (s != NULL)
		sodium_free(s);
	return r;
}

void
srv_secret_free(struct srv_secret **s)
{
	if (s == NULL || *s == NULL)
		return;
	sodium_free(*s);        /* wipes */
	*s = NULL;
}

void
srv_secret_derive(const struct srv_secret *s, enum srv_subkey which, uint8_t out[32])
{
	crypto_kdf_derive_from_key(out, 32, (uint64_t)which, "eidsrv01", s->key);
}
