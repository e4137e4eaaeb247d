#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testbed.h"
#include "traffic.h"

#define MAX_BATCH 64

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pace_batch(double pps)
{
	double b = ceil(pps * 50e-6);

	if (b < 1)
		return 1;
	return b > MAX_BATCH ? MAX_BATCH : (int)b;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ull),
			       .tv_nsec = (long)(t % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *sender_main(void *p)
{
	struct sender *s = p;
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov;
	char *buf = calloc(1, (size_t)s->payload);
	uint64_t next = 0;
	double cur = -1;

	pin(s->cpu);
	/* Wake at the scheduled time, not up to the default 50 us timer slack later: with slack a
	 * late wake-up is followed by a catch-up send, and the receiver's NAPI then sees two
	 * sends per poll where a paced source (configs/testbed*.cfg, burst_us) sends one. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	s->tid = (int)syscall(SYS_gettid);
	if (!buf)
		return NULL;
	iov.iov_base = buf;
	iov.iov_len = (size_t)s->payload;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < MAX_BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!s->stop) {
		double pps = s->pps;
		uint64_t now = now_ns();
		int batch, n;

		if (pps <= 0) {
			usleep(1000);
			cur = -1;
			continue;
		}
		if (pps != cur) {	/* new rate: restart the schedule */
			cur = pps;
			next = now;
		}
		batch = pace_batch(pps);
		if (next > now) {
			uint64_t woke;
			int cls = sleep_class((double)(next - now));

			sleep_until(next);
			woke = now_ns();
			woke = woke > next ? woke - next : 0;
			__atomic_add_fetch(&s->sleeps, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&s->late_ns, woke, __ATOMIC_RELAXED);
			__atomic_add_fetch(&s->late_hist[ushist_bin((double)woke)], 1,
					   __ATOMIC_RELAXED);
			__atomic_add_fetch(&s->late_by_sleep[cls][ushist_bin((double)woke)], 1,
					   __ATOMIC_RELAXED);
		} else if (now - next > 20000000ull)
			next = now;	/* more than 20 ms behind: this is the machine's limit */
		now = now_ns();
		n = sendmmsg(s->fd, msgs, (unsigned)batch, 0);
		__atomic_add_fetch(&s->send_ns, now_ns() - now, __ATOMIC_RELAXED);
		__atomic_add_fetch(&s->bursts, 1, __ATOMIC_RELAXED);
		if (n > 0) {
			__atomic_add_fetch(&s->sent, (uint64_t)n, __ATOMIC_RELAXED);
			__atomic_add_fetch(&s->bytes, (uint64_t)n * (uint64_t)s->payload,
					   __ATOMIC_RELAXED);
		} else {
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
		}
		next += (uint64_t)(batch * 1e9 / pps);
	}
	free(buf);
	return NULL;
}

int sender__start(struct sender *s, int fd, int cpu, int payload)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(TB_PORT) };
	int err;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->cpu = cpu;
	s->payload = payload;
	inet_pton(AF_INET, TB_RX_ADDR, &dst.sin_addr);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return -errno;
	err = pthread_create(&s->thread, NULL, sender_main, s);
	if (err)
		return -err;
	s->started = true;
	return 0;
}

void sender__set_rate(struct sender *s, double pps)
{
	s->pps = pps;
}

void sender__stop(struct sender *s)
{
	if (!s->started)
		return;
	s->stop = 1;
	pthread_join(s->thread, NULL);
	s->started = false;
}

static void *receiver_main(void *p)
{
	struct receiver *r = p;
	static __thread char bufs[MAX_BATCH][2048];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];

	pin(r->cpu);
	r->tid = (int)syscall(SYS_gettid);
	for (int i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!r->stop) {
		int n = recvmmsg(r->fd, msgs, MAX_BATCH, r->busy ? MSG_DONTWAIT : MSG_WAITFORONE,
				 NULL);
		uint64_t bytes = 0;

		__atomic_add_fetch(&r->calls, 1, __ATOMIC_RELAXED);
		if (n <= 0)
			continue;	/* timeout (SO_RCVTIMEO), EINTR, or busy and empty */
		for (int i = 0; i < n; i++)
			bytes += msgs[i].msg_len;
		__atomic_add_fetch(&r->packets, (uint64_t)n, __ATOMIC_RELAXED);
		__atomic_add_fetch(&r->bytes, bytes, __ATOMIC_RELAXED);
	}
	return NULL;
}

int receiver__start(struct receiver *r, int fd, int cpu, uint64_t rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(TB_PORT) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 50000 };
	int err;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cpu = cpu;
	inet_pton(AF_INET, TB_RX_ADDR, &a.sin_addr);
	if (rcvbuf) {
		int v = rcvbuf > 0x3fffffff ? 0x3fffffff : (int)rcvbuf;
		/* SO_RCVBUFFORCE ignores rmem_max; we are root */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
			return -errno;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -errno;
	err = pthread_create(&r->thread, NULL, receiver_main, r);
	if (err)
		return -err;
	r->started = true;
	return 0;
}

void receiver__set_busy(struct receiver *r, bool busy)
{
	r->busy = busy;
}

static uint64_t thread_cpu_ns(pthread_t t, bool started)
{
	struct timespec ts;
	clockid_t cid;

	if (!started || pthread_getcpuclockid(t, &cid) || clock_gettime(cid, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t sender__cpu_ns(const struct sender *s)
{
	return thread_cpu_ns(s->thread, s->started);
}

uint64_t receiver__cpu_ns(const struct receiver *r)
{
	return thread_cpu_ns(r->thread, r->started);
}

/* /proc/<tid>/@name opened for reading; NULL if @tid is not a task or the file is unreadable. */
static FILE *task_file(int tid, const char *name)
{
	char path[64];

	if (tid <= 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/%s", tid, name);
	return fopen(path, "r");
}

/* CPU time (ns) the task has used, the first field of /proc/<tid>/schedstat (sum_exec_runtime). */
uint64_t task_cpu_ns(int tid)
{
	unsigned long long ns = 0;
	FILE *f = task_file(tid, "schedstat");
	int got;

	if (!f)
		return 0;
	got = fscanf(f, "%llu", &ns);
	fclose(f);
	return got == 1 ? ns : 0;
}

uint64_t task_sleeps(int tid)
{
	static const char key[] = "voluntary_ctxt_switches:";
	unsigned long long n = 0;
	FILE *f = task_file(tid, "status");
	char line[256];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, sizeof(key) - 1))
			found = sscanf(line + sizeof(key) - 1, "%llu", &n) == 1;
	fclose(f);
	return found ? n : 0;
}

void receiver__stop(struct receiver *r)
{
	if (!r->started)
		return;
	r->stop = 1;
	pthread_join(r->thread, NULL);
	r->started = false;
}
