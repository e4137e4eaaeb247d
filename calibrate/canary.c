/* The speed canary (canary.h). */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "canary.h"

#define COPY_BYTES 1472
#define COPY_STRIDE 1536		/* successive copies start 1536 B apart, modulo the buffer */
#define SRC_BYTES (8u << 20)
#define DST_BYTES (64u << 10)
#define CHASE_WORDS ((16u << 10) / sizeof(uint32_t))
#define CHASE_STEPS 8
#define ITERS_PER_CHECK 64

struct work {
	unsigned char *src, *dst;
	uint32_t *next;			/* one random cycle over CHASE_WORDS slots */
};

struct job {
	struct work *w;
	const volatile int *stop;
	int cpu;
	uint64_t ns;
	double ns_per_iter;
	int err;
};

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static struct work *work_new(void)
{
	struct work *w = calloc(1, sizeof(*w));
	uint32_t *order;
	uint64_t x = 0x9e3779b97f4a7c15ull;	/* fixed: every run walks the same cycle */

	if (!w)
		return NULL;
	w->src = malloc(SRC_BYTES);
	w->dst = malloc(DST_BYTES);
	w->next = malloc(CHASE_WORDS * sizeof(uint32_t));
	order = malloc(CHASE_WORDS * sizeof(uint32_t));
	if (!w->src || !w->dst || !w->next || !order) {
		free(order);
		free(w->src);
		free(w->dst);
		free(w->next);
		free(w);
		return NULL;
	}
	memset(w->src, 0x5a, SRC_BYTES);
	memset(w->dst, 0, DST_BYTES);
	/* a random permutation (Fisher-Yates, xorshift), linked into one cycle */
	for (uint32_t i = 0; i < CHASE_WORDS; i++)
		order[i] = i;
	for (uint32_t i = CHASE_WORDS - 1; i > 0; i--) {
		uint32_t j, t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (uint32_t)(x % (i + 1));
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (uint32_t i = 0; i < CHASE_WORDS; i++)
		w->next[order[i]] = order[(i + 1) % CHASE_WORDS];
	free(order);
	return w;
}

static void *job_main(void *p)
{
	struct job *j = p;
	struct work *w = j->w;
	cpu_set_t set;
	uint64_t t0, t, iters = 0, off = 0;
	uint32_t at = 0;
	volatile unsigned sink;
	unsigned acc = 0;

	CPU_ZERO(&set);
	CPU_SET(j->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		j->err = -errno;
		return NULL;
	}
	t0 = mono_ns();
	do {
		for (int k = 0; k < ITERS_PER_CHECK; k++) {
			memcpy(w->dst + (off % (DST_BYTES - COPY_BYTES)), w->src + off, COPY_BYTES);
			off = (off + COPY_STRIDE * 7) % (SRC_BYTES - COPY_BYTES);
			for (int s = 0; s < CHASE_STEPS; s++)
				at = w->next[at];
			acc += w->dst[k] + at;
		}
		iters += ITERS_PER_CHECK;
		t = mono_ns();
	} while (t - t0 < j->ns && !*j->stop);
	sink = acc;
	(void)sink;
	j->ns_per_iter = (double)(t - t0) / (double)iters;
	return NULL;
}

int canary_init(struct canary *c, const int *cpus, int ncpus)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < ncpus; i++) {
		bool dup = cpus[i] < 0;

		for (int k = 0; k < c->ncpus && !dup; k++)
			dup = c->cpu[k] == cpus[i];
		if (dup || c->ncpus == CANARY_MAX_CPUS)
			continue;
		c->work[c->ncpus] = work_new();
		if (!c->work[c->ncpus]) {
			canary_free(c);
			return -ENOMEM;
		}
		c->cpu[c->ncpus++] = cpus[i];
	}
	return 0;
}

int canary_measure(struct canary *c, uint64_t ns, const volatile int *stop, double *ns_per_iter)
{
	/* one CPU at a time: on a VM whose vCPUs share a core or its caches, two canaries at once
	 * would time each other */
	for (int i = 0; i < c->ncpus; i++) {
		struct job j = { .w = c->work[i], .stop = stop, .cpu = c->cpu[i], .ns = ns };
		pthread_t th;
		int err = -pthread_create(&th, NULL, job_main, &j);

		if (err)
			return err;
		pthread_join(th, NULL);
		if (j.err)
			return j.err;
		if (*stop)
			return -EINTR;
		ns_per_iter[i] = j.ns_per_iter;
	}
	return 0;
}

double canary_of(const struct canary *c, const double *ns_per_iter, int cpu)
{
	for (int i = 0; i < c->ncpus; i++)
		if (c->cpu[i] == cpu)
			return ns_per_iter[i];
	return 0;
}

void canary_free(struct canary *c)
{
	for (int i = 0; i < c->ncpus; i++) {
		struct work *w = c->work[i];

		if (!w)
			continue;
		free(w->src);
		free(w->dst);
		free(w->next);
		free(w);
	}
	memset(c, 0, sizeof(*c));
}
