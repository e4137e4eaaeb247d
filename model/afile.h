/* Files written whole or not at all: an unnamed file in the target's directory (O_TMPFILE, else a
 * mkstemp file beside the target), linked in under a temporary name and renamed over the target
 * only once everything is written and synced. A reader sees the old file or the complete new one;
 * after any error nothing is left but what was there before, and a process killed before the
 * commit leaves nothing (unless the file system lacks O_TMPFILE). Shared by both tools. */
#ifndef RX_AFILE_H
#define RX_AFILE_H

#include <stdio.h>

struct afile {
	FILE *f;		/* write here between afile_open and afile_commit */
	char *tmp;		/* the temporary file's name; NULL while it has none (O_TMPFILE) */
	const char *path;	/* the target */
};

/* 0 or -errno. */
int afile_open(struct afile *a, const char *path);
/* Flushes, syncs and renames over the target; 0 or -errno (the temporary file is removed). */
int afile_commit(struct afile *a);
/* Closes and removes the temporary file; safe after a failed commit or open. */
void afile_abort(struct afile *a);

#endif
