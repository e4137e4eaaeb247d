/* `rxcalibrate run --inferred`: the paper's cross-check (Sharma et al., section IV). A CPU-bound
 * workload runs pinned to the CPU that processes the packets, at normal priority (SCHED_OTHER,
 * nice 0); its throughput with traffic against its throughput without (the baseline) gives the
 * CPU time packet processing took from it: (1 - rate / baseline) * 1e9 ns per second.
 *
 * Two workloads:
 *  - built in (default): a child process named "rxc-inferred" running a register-only integer
 *    hash loop, counting its iterations in shared memory; the sweep reads the counter at both ends
 *    of each measurement window;
 *  - --inferred-cmd "openssl speed -elapsed -seconds S -bytes B ALG": started once per window
 *    (and once for the baseline), its "Doing ALG ... : N ALG's in T s" line parsed to N/T ops/s.
 *
 * Every child runs in its own process group, dies with the rxcalibrate process (PR_SET_PDEATHSIG),
 * and is killed and reaped by inferred__stop(). */
#ifndef RXC_INFERRED_H
#define RXC_INFERRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RXC_INF_COMM "rxc-inferred"	/* comm of the built-in workload (pgrep -x) */
#define RXC_INF_MAXARGS 32

struct inferred_shm;

struct inferred {
	bool active;			/* between inferred__init and inferred__stop */
	int cpu;
	pid_t pid;			/* running child (built-in or command), 0 = none */
	struct inferred_shm *shm;	/* built-in: shared counter */
	/* --inferred-cmd */
	const char *cmd;
	char *buf;			/* cmd split in place */
	char *argv[RXC_INF_MAXARGS + 1];
	char path[4096];		/* argv[0] resolved in PATH */
	int seconds;			/* its -seconds */
	int outfd;			/* memfd with its stdout and stderr, -1 = none */
};

/* Checks an --inferred-cmd without running it: words split on blanks (no shell, so no quotes or
 * shell syntax), "openssl speed", -elapsed, -seconds S (S >= 1) and -bytes B present, no -multi
 * or -mr. Stores S in @seconds. 0 or -EINVAL with a message. */
int inferred_cmd_check(const char *cmd, int *seconds, char *err, size_t len);

/* Parses `openssl speed` output for one algorithm at one block size: exactly one line
 * "Doing ALG for Ss on B size blocks: N ALG's in T s". Stores N/T in @ops_per_s. */
int inferred_parse_openssl(const char *out, double *ops_per_s, char *err, size_t len);

/* CPU time taken from the workload, ns per second: (1 - rate / baseline) * 1e9 (0 if no
 * baseline; negative when the workload ran faster than its baseline, i.e. noise). */
double inferred_stolen_ns_per_s(double rate, double baseline);

/* Splits the stolen figure of a window of @wall_ns in which the workload ran @cpu_ns (its
 * schedstat delta): @taken = CPU it did not get, (1 - cpu/wall) * 1e9 ns/s; @speed = its
 * iterations per CPU-second against the baseline's (1: the CPU it kept was as fast as without
 * traffic). The stolen figure is 1e9 * (1 - (1 - taken/1e9) * speed). */
void inferred_cpu_split(double rate, double baseline, uint64_t cpu_ns, uint64_t wall_ns,
			double *taken, double *speed);

/* Prepares: @cmd NULL = built-in workload (forks it, idle until inferred__go), else resolves the
 * command's program in PATH (error naming it if missing). 0 or -errno with a message. */
int inferred__init(struct inferred *w, int cpu, const char *cmd, char *err, size_t len);

/* Built-in: start counting. */
void inferred__go(struct inferred *w);
/* Built-in: iterations completed so far. */
uint64_t inferred__iters(const struct inferred *w);
/* Built-in: CPU time the workload has had so far, ns (the scheduler's own sum_exec_runtime,
 * first field of /proc/PID/schedstat); 0 if unreadable. Beside the iteration rate it separates
 * the CPU taken from the workload (1e9 - its CPU ns per second) from the slowdown of the CPU it
 * kept (iterations per CPU-second below the baseline's). */
uint64_t inferred__cpu_ns(const struct inferred *w);
/* Built-in: false if the child died (its error in @err). */
bool inferred__alive(struct inferred *w, char *err, size_t len);

/* Command: start one run, pinned. 0 or -errno. */
int inferred__cmd_start(struct inferred *w, char *err, size_t len);
/* Command: wait for the run to end (at most @timeout_ns; gives up early when *@stop is set),
 * reap it, parse its output. 0, -EINTR when stopped, or -errno with a message. */
int inferred__cmd_finish(struct inferred *w, uint64_t timeout_ns, volatile int *stop,
			 double *ops_per_s, char *err, size_t len);

/* Kills and reaps whatever runs, frees everything; safe to call more than once. */
void inferred__stop(struct inferred *w);

#endif
