/* Shared by the libFuzzer harnesses: a per-process scratch directory in $TMPDIR (or /tmp)
 * holding a copy of the .cfg files of configs/ (so that a fuzzed file's relative
 * 'calibration = "..."' or 'base = "..."' resolves to real files, as it does from configs/) and
 * the current input, written there as a file because every loader under test takes a path.
 * libFuzzer often leaves by _Exit, skipping the atexit cleanup: fuzz/run.sh points TMPDIR at
 * $(OUTPUT)/fuzz/tmp and removes it after each harness. */
#ifndef RX_FUZZ_COMMON_H
#define RX_FUZZ_COMMON_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RXFUZZ_CONFIGS
#define RXFUZZ_CONFIGS "configs"
#endif

static char fuzz_dir[PATH_MAX];

static void fuzz_rmdir(void)
{
	DIR *d;
	struct dirent *e;
	char p[PATH_MAX];

	if (!fuzz_dir[0] || !(d = opendir(fuzz_dir)))
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", fuzz_dir, e->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(fuzz_dir);
}

static int fuzz_write(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0)
		return -1;
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n <= 0)
			break;
		p += n;
		size -= n;
	}
	close(fd);
	return size ? -1 : 0;
}

static void fuzz_copy_configs(void)
{
	DIR *d = opendir(getenv("RXFUZZ_CONFIGS") ? getenv("RXFUZZ_CONFIGS") : RXFUZZ_CONFIGS);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char src[PATH_MAX], dst[PATH_MAX];
		size_t len = strlen(e->d_name), n;
		char buf[65536];
		FILE *f;

		if (len < 5 || strcmp(e->d_name + len - 4, ".cfg"))
			continue;
		snprintf(src, sizeof(src), "%s/%s",
			 getenv("RXFUZZ_CONFIGS") ? getenv("RXFUZZ_CONFIGS") : RXFUZZ_CONFIGS,
			 e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", fuzz_dir, e->d_name);
		if (!(f = fopen(src, "r")))
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		fuzz_write(dst, buf, n);
	}
	closedir(d);
}

/* Creates the scratch directory once; returns the path of the input file in it. */
static const char *fuzz_input_path(const char *name)
{
	static char path[PATH_MAX];

	if (!fuzz_dir[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/rxfuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(fuzz_dir)) {
			perror("mkdtemp");
			abort();
		}
		atexit(fuzz_rmdir);
		fuzz_copy_configs();
	}
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, name);
	return path;
}

/* Writes the input to the scratch file @name; NULL when it could not be written. */
static const char *fuzz_input_file(const char *name, const uint8_t *data, size_t size)
{
	const char *path = fuzz_input_path(name);

	return fuzz_write(path, data, size) ? NULL : path;
}

/* An error message must be one non-empty line (it is printed as "file:line: text"). */
static void fuzz_check_err(int ret, const char *err)
{
	if (ret && (!err[0] || strchr(err, '\n'))) {
		fprintf(stderr, "error %d with a bad message: '%s'\n", ret, err);
		abort();
	}
}

#endif
