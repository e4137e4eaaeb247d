#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"

int afile_open(struct afile *a, const char *path)
{
	int fd, err;

	a->f = NULL;
	a->tmp = NULL;
	a->path = path;
	if (!path || !*path)
		return -EINVAL;
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
