/* Files written whole or not at all: a temporary file beside the target (mkstemp), renamed over
 * it only once everything is written and synced. A reader sees the old file or the complete new
 * one; after any error nothing is left but what was there before. Shared by both tools. */
#ifndef RX_AFILE_H
#define RX_AFILE_H

#include <stdio.h>

struct afile {
	FILE *f;		/* write here between afile_open and afile_commit */
	char *tmp;		/* the temporary file */
	const char *path;	/* the target */
};

/* 0 or -errno. */
int afile_open(struct afile *a, const char *path);
/* Flushes, syncs and renames over the target; 0 or -errno (the temporary file is removed). */
int afile_commit(struct afile *a);
/* Closes and removes the temporary file; safe after a failed commit or open. */
void afile_abort(struct afile *a);

#endif
