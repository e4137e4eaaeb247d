#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"

/* The directory of @path, for O_TMPFILE; NULL on ENOMEM. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int afile_open(struct afile *a, const char *path)
{
	char *dir;
	int fd, err;

	a->f = NULL;
	a->tmp = NULL;
	a->path = path;
	if (!path || !*path)
		return -EINVAL;
	/* Unnamed until committed (O_TMPFILE): a process killed while writing leaves nothing. */
	dir = dir_of(path);
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	free(dir);
	if (fd >= 0) {
		a->f = fdopen(fd, "w");
		if (!a->f) {
			err = -errno;
			close(fd);
			return err;
		}
		return 0;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	/* this file system has no O_TMPFILE: a named temporary file */
	if (asprintf(&a->tmp, "%s.tmp.XXXXXX", path) < 0) {
		a->tmp = NULL;
		return -ENOMEM;
	}
	fd = mkstemp(a->tmp);
	if (fd < 0) {
		err = -errno;
		free(a->tmp);
		a->tmp = NULL;
		return err;
	}
	a->f = fdopen(fd, "w");
	if (!a->f) {
		err = -errno;
		close(fd);
		afile_abort(a);
		return err;
	}
	return 0;
}

/* Gives the unnamed file of afile_open a temporary name beside the target (then renamed over
 * it): linkat cannot replace a file. 0 or -errno. */
static int link_tmp(struct afile *a)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(a->f));
	for (int i = 0; i < 100; i++) {
		if (asprintf(&a->tmp, "%s.tmp.%06x", a->path, (unsigned)random() & 0xffffff) < 0) {
			a->tmp = NULL;
			return -ENOMEM;
		}
		if (!linkat(AT_FDCWD, proc, AT_FDCWD, a->tmp, AT_SYMLINK_FOLLOW))
			return 0;
		free(a->tmp);
		a->tmp = NULL;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int afile_commit(struct afile *a)
{
	int err = 0;

	if (!a->f)
		return -EBADF;
	if (fflush(a->f) || ferror(a->f))
		err = errno ? -errno : -EIO;
	if (!err && fsync(fileno(a->f)))
		err = -errno;
	if (!err && fchmod(fileno(a->f), 0644))
		err = -errno;
	if (!err && !a->tmp)
		err = link_tmp(a);
	if (fclose(a->f) && !err)
		err = -errno;
	a->f = NULL;
	if (!err && rename(a->tmp, a->path))
		err = -errno;
	if (err) {
		afile_abort(a);
		return err;
	}
	free(a->tmp);
	a->tmp = NULL;
	return 0;
}

void afile_abort(struct afile *a)
{
	if (a->f)
		fclose(a->f);
	a->f = NULL;
	if (a->tmp) {
		unlink(a->tmp);
		free(a->tmp);
	}
	a->tmp = NULL;
}
