/* The paced UDP sender and the receiving application of the testbed. Each runs in its own thread,
 * pinned to a CPU, on a socket created in the right namespace. Counters are updated with atomics
 * and read by the sweep at any time. Each thread publishes its kernel tid once it runs, so the
 * probes can tell its samples apart, and its exact CPU time (CLOCK_THREAD_CPUTIME_ID: without
 * CONFIG_IRQ_TIME_ACCOUNTING this includes the softirqs and interrupts that ran on its back) can be
 * read from any thread of the process. */
#ifndef RXC_TRAFFIC_H
#define RXC_TRAFFIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "loghist.h"

struct sender {
	int fd, cpu, payload;
	pthread_t thread;
	bool started;
	volatile int stop;
	volatile double pps;		/* target packets/s; 0 = paused */
	uint64_t sent, bytes, errors;	/* atomics */
	volatile int tid;		/* kernel tid of the thread, 0 until it runs */
	/* its sendmmsg calls (bursts), the sleeps before them, and how late each sleep ended
	 * after the burst's time (timer expiry to running again, incl. a halted vCPU's wake-up):
	 * sum in ns and 2 us histogram (model/loghist.h, ushist); atomics */
	uint64_t bursts, sleeps, late_ns;
	uint64_t send_ns;		/* wall time inside sendmmsg, summed; atomic */
	uint64_t late_hist[USHIST_BINS];
	/* the same by the sleep's length (sleep_class(), model/loghist.h) */
	uint64_t late_by_sleep[SLEEP_CLASSES][USHIST_BINS];
};

struct receiver {
	int fd, cpu;
	pthread_t thread;
	bool started;
	volatile int stop;
	/* busy: recvmmsg(MSG_DONTWAIT) in a loop, the thread never sleeps, so the sender's CPU
	 * never pays a wakeup per batch (a fixed regime for benchmarks; it takes its CPU whole) */
	volatile int busy;
	uint64_t packets, bytes, calls;	/* atomics; calls include empty polls when busy */
	volatile int tid;
};

/* Sender: @fd is a UDP socket (connected by sender__start). Returns 0 or -errno. */
int sender__start(struct sender *s, int fd, int cpu, int payload);
void sender__set_rate(struct sender *s, double pps);
void sender__stop(struct sender *s);

int receiver__start(struct receiver *r, int fd, int cpu, uint64_t rcvbuf);
/* Switches the running receiver to busy polling (or back). */
void receiver__set_busy(struct receiver *r, bool busy);
void receiver__stop(struct receiver *r);

/* CPU time (ns) the thread has used so far, exact; 0 if it is not running. */
uint64_t sender__cpu_ns(const struct sender *s);
uint64_t receiver__cpu_ns(const struct receiver *r);
/* CPU time (ns) of another process's task @tid from /proc/<tid>/schedstat (sum_exec_runtime; up to
 * one tick stale while the task runs); 0 if unreadable. */
uint64_t task_cpu_ns(int tid);
/* Times task @tid went to sleep of its own accord (voluntary_ctxt_switches in /proc/<tid>/status):
 * each sleep ends in one wake-up, so these are its wake-ups; preemptions, which a count of
 * switches in would add, are not in it. 0 if unknown. */
uint64_t task_sleeps(int tid);

/* Pacing: the batch (packets per send call) for a rate, so that calls are >= ~50 us apart. */
int pace_batch(double pps);

uint64_t now_ns(void);

#endif
