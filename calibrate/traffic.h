/* The paced UDP sender and the receiving application of the testbed. Each runs in its own thread,
 * pinned to a CPU, on a socket created in the right namespace. Counters are updated with atomics
 * and read by the sweep at any time. */
#ifndef RXC_TRAFFIC_H
#define RXC_TRAFFIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct sender {
	int fd, cpu, payload;
	pthread_t thread;
	bool started;
	volatile int stop;
	volatile double pps;		/* target packets/s; 0 = paused */
	uint64_t sent, bytes, errors;	/* atomics */
};

struct receiver {
	int fd, cpu;
	pthread_t thread;
	bool started;
	volatile int stop;
	uint64_t packets, bytes, calls;	/* atomics */
};

/* Sender: @fd is a UDP socket (connected by sender__start). Returns 0 or -errno. */
int sender__start(struct sender *s, int fd, int cpu, int payload);
void sender__set_rate(struct sender *s, double pps);
void sender__stop(struct sender *s);

int receiver__start(struct receiver *r, int fd, int cpu, uint64_t rcvbuf);
void receiver__stop(struct receiver *r);

/* Pacing: the batch (packets per send call) for a rate, so that calls are >= ~50 us apart. */
int pace_batch(double pps);

uint64_t now_ns(void);

#endif
