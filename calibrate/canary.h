/* The speed canary: a fixed piece of work timed on each testbed CPU between rate steps, with no
 * traffic, so that a step measured while the host slowed a vCPU can be told from one measured at
 * the machine's usual speed (docs/measurements-csv.md, canary_*_ns; docs/validation.md).
 *
 * One iteration copies a 1472-byte payload out of an 8 MiB buffer (as the receive path copies a
 * datagram to the application) and follows 8 dependent loads through a random cycle over 16 KiB
 * (as it touches skb, socket and device structures). Its time per iteration grows with the
 * host's contention for the core and its caches, which the guest's own counters do not show
 * (the VM reports no steal time). */
#ifndef RXC_CANARY_H
#define RXC_CANARY_H

#include <stdint.h>

#define CANARY_MAX_CPUS 4

struct canary {
	int ncpus;
	int cpu[CANARY_MAX_CPUS];
	void *work[CANARY_MAX_CPUS];	/* each CPU's buffers, allocated once */
};

/* Sets up the canary for @ncpus distinct CPUs (duplicates and negative numbers are skipped).
 * 0 or -ENOMEM. */
int canary_init(struct canary *c, const int *cpus, int ncpus);

/* Runs the work on each CPU in turn, in a thread pinned there, for @ns of wall time each;
 * ns_per_iter[i] is CPU c->cpu[i]'s mean wall time per iteration. Stops early, returning
 * -EINTR, once *@stop is non-zero (a signal). 0 or -errno. */
int canary_measure(struct canary *c, uint64_t ns, const volatile int *stop, double *ns_per_iter);

/* The value for @cpu from a canary_measure() result, 0 if @cpu is not measured. */
double canary_of(const struct canary *c, const double *ns_per_iter, int cpu);

void canary_free(struct canary *c);

#endif
