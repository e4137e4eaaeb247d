#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "inferred.h"
#include "testbed.h"
#include "traffic.h"

#define ITER_CHUNK 4096u	/* iterations between counter updates (~10 us) */

struct inferred_shm {
	uint64_t iters;		/* atomic, written by the child */
	int go;			/* atomic, set by the parent */
	int state;		/* 0 starting, 1 running, -errno failed (child) */
	uint64_t sink;
};

#define FAIL(ret, ...)                                             \
	do {                                                       \
		if (err)                                           \
			snprintf(err, len, __VA_ARGS__);           \
		return ret;                                        \
	} while (0)

/* ---- pure parts ------------------------------------------------------------------------------ */

static int split_words(char *s, char **argv, int max)
{
	int n = 0;

	for (char *p = strtok(s, " \t"); p; p = strtok(NULL, " \t")) {
		if (n == max)
			return -E2BIG;
		argv[n++] = p;
	}
	argv[n] = NULL;
	return n;
}

int inferred_cmd_check(const char *cmd, int *seconds, char *err, size_t len)
{
	char buf[1024], *argv[RXC_INF_MAXARGS + 1], *end;
	const char *base;
	bool elapsed = false, bytes = false;
	long secs = -1;
	int n;

	if (!cmd || !*cmd || strlen(cmd) >= sizeof(buf))
		FAIL(-EINVAL, "--inferred-cmd: empty or longer than %zu characters",
		     sizeof(buf) - 1);
	if (strpbrk(cmd, "'\"`$|;&<>\\(){}*?\n"))
		FAIL(-EINVAL, "--inferred-cmd: '%s': words separated by blanks only, run without a "
		     "shell (no quotes, redirections or variables)", cmd);
	strcpy(buf, cmd);
	n = split_words(buf, argv, RXC_INF_MAXARGS);
	if (n < 0)
		FAIL(-EINVAL, "--inferred-cmd: more than %d words", RXC_INF_MAXARGS);
	base = n ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : n ? argv[0] : "";
	if (n < 2 || strcmp(base, "openssl") || strcmp(argv[1], "speed"))
		FAIL(-EINVAL, "--inferred-cmd: '%s': only 'openssl speed ...' is supported (its "
		     "output is parsed)", cmd);
	for (int i = 2; i < n; i++) {
		if (!strcmp(argv[i], "-elapsed")) {
			elapsed = true;
		} else if (!strcmp(argv[i], "-seconds")) {
			if (i + 1 >= n)
				FAIL(-EINVAL, "--inferred-cmd: -seconds: missing value");
			errno = 0;
			secs = strtol(argv[++i], &end, 10);
			if (*end || errno || secs < 1 || secs > 3600)
				FAIL(-EINVAL, "--inferred-cmd: -seconds '%s' is not 1..3600",
				     argv[i]);
		} else if (!strcmp(argv[i], "-bytes")) {
			bytes = true;
			i++;
		} else if (!strcmp(argv[i], "-multi") || !strcmp(argv[i], "-mr") ||
			   !strcmp(argv[i], "-async_jobs")) {
			FAIL(-EINVAL, "--inferred-cmd: %s is not supported (one process, plain "
			     "output)", argv[i]);
		}
	}
	if (!elapsed)
		FAIL(-EINVAL, "--inferred-cmd: add -elapsed (without it openssl speed divides by "
		     "its own user CPU time, which hides the CPU taken from it)");
	if (secs < 0)
		FAIL(-EINVAL, "--inferred-cmd: add -seconds S (S at most --duration)");
	if (!bytes)
		FAIL(-EINVAL, "--inferred-cmd: add -bytes B (one block size, so one result line)");
	if (seconds)
		*seconds = (int)secs;
	return 0;
}

int inferred_parse_openssl(const char *out, double *ops_per_s, char *err, size_t len)
{
	const char *p = out;
	int found = 0;
	double n = 0, t = 0;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		char line[512];
		size_t l = eol ? (size_t)(eol - p) : strlen(p);

		if (l >= sizeof(line))
			l = sizeof(line) - 1;
		memcpy(line, p, l);
		line[l] = 0;
		p = eol ? eol + 1 : NULL;
		if (strncmp(line, "Doing ", 6))
			continue;
		/* Doing sha256 for 2s on 16384 size blocks: 92041 sha256's in 2.00s */
		char *colon = strstr(line, ": "), *in = strstr(line, "'s in "), *end;
		if (!colon || !in || in < colon)
			FAIL(-EINVAL, "openssl speed: unexpected line '%s'", line);
		errno = 0;
		n = strtod(colon + 2, &end);
		if (errno || end == colon + 2 || *end != ' ')
			FAIL(-EINVAL, "openssl speed: no count in '%s'", line);
		t = strtod(in + 6, &end);
		if (errno || end == in + 6 || *end != 's')
			FAIL(-EINVAL, "openssl speed: no time in '%s'", line);
		found++;
	}
	if (found != 1)
		FAIL(-EINVAL, "openssl speed: %d result lines ('Doing ... in Ts'), expected exactly "
		     "one (one algorithm, one -bytes size)", found);
	if (!(n > 0) || !(t > 0))
		FAIL(-EINVAL, "openssl speed: count %.0f in %.2fs: nothing measured", n, t);
	*ops_per_s = n / t;
	return 0;
}

double inferred_stolen_ns_per_s(double rate, double baseline)
{
	return baseline > 0 ? (1.0 - rate / baseline) * 1e9 : 0;
}

/* Kills the child's whole process group and reaps the child. */
static void kill_child(struct inferred *w)
{
	if (w->pid <= 0)
		return;
	kill(-w->pid, SIGKILL);
	kill(w->pid, SIGKILL);
	while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
		;
	w->pid = 0;
}

void inferred_cpu_split(double rate, double baseline, uint64_t cpu_ns, uint64_t wall_ns,
			double *taken, double *speed)
{
	double share = wall_ns ? (double)cpu_ns / (double)wall_ns : 0;

	*taken = wall_ns ? (1 - share) * 1e9 : 0;
	*speed = share > 0 && baseline > 0 ? rate / (share * baseline) : 0;
}

/* ---- children -------------------------------------------------------------------------------- */

/* In a fresh child: own process group, dies with its parent, ignores the terminal's ^C (the parent
 * decides when it ends), pinned to @cpu, SCHED_OTHER at nice 0, no inherited descriptors but
 * 0..2. Only async-signal-safe calls (the parent may have threads). Returns 0 or -errno. */
static int child_setup(int cpu, pid_t parent)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	if (sched_setscheduler(0, SCHED_OTHER, &sp) || setpriority(PRIO_PROCESS, 0, 0))
		return -errno;
	syscall(SYS_close_range, 3u, ~0u, 0u);
	return 0;
}

/* The built-in kernel: a dependent chain of multiply/xor-shift steps (murmur3's finaliser) in
 * registers, no memory traffic, so the only thing that slows it is losing the CPU. */
static __attribute__((noinline)) uint64_t hash_chunk(uint64_t x)
{
	for (unsigned i = 0; i < ITER_CHUNK; i++) {
		x ^= x >> 33;
		x *= 0xff51afd7ed558ccdull;
		x ^= x >> 33;
		x += i;
	}
	return x;
}

static void __attribute__((noreturn)) builtin_child(struct inferred_shm *s, int cpu, pid_t parent)
{
	struct timespec idle = { 0, 5000000 };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int r = child_setup(cpu, parent);

	prctl(PR_SET_NAME, RXC_INF_COMM);
	__atomic_store_n(&s->state, r ? r : 1, __ATOMIC_RELEASE);
	if (r)
		_exit(1);
	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		nanosleep(&idle, NULL);
	for (;;) {
		x = hash_chunk(x);
		__atomic_add_fetch(&s->iters, ITER_CHUNK, __ATOMIC_RELAXED);
		s->sink = x;
	}
}

int inferred__init(struct inferred *w, int cpu, const char *cmd, char *err, size_t len)
{
	pid_t parent = getpid(), pid;
	int n;

	memset(w, 0, sizeof(*w));
	w->active = true;
	w->cpu = cpu;
	w->outfd = -1;
	w->cmd = cmd;
	if (cmd) {
		if ((n = inferred_cmd_check(cmd, &w->seconds, err, len)))
			return n;
		w->buf = strdup(cmd);
		if (!w->buf)
			FAIL(-ENOMEM, "--inferred-cmd: out of memory");
		split_words(w->buf, w->argv, RXC_INF_MAXARGS);
		if (find_program(w->argv[0], w->path, sizeof(w->path))) {
			snprintf(err, len, "--inferred-cmd: program '%s' not found%s (install it, or "
				 "use the built-in workload: --inferred without --inferred-cmd)",
				 w->argv[0], strchr(w->argv[0], '/') ? "" : " in PATH");
			inferred__stop(w);
			return -ENOENT;
		}
		return 0;
	}
	w->shm = mmap(NULL, sizeof(*w->shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (w->shm == MAP_FAILED) {
		w->shm = NULL;
		FAIL(-errno, "--inferred: shared memory: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		n = -errno;
		inferred__stop(w);
		FAIL(n, "--inferred: fork: %s", strerror(-n));
	}
	if (pid == 0)
		builtin_child(w->shm, cpu, parent);
	w->pid = pid;
	setpgid(pid, pid);	/* also from here, so kill(-pid) works at once */
	/* wait until it is pinned (or has failed) */
	for (int i = 0; i < 2000 && !__atomic_load_n(&w->shm->state, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	if (!inferred__alive(w, err, len)) {
		inferred__stop(w);
		return -ECHILD;
	}
	return 0;
}

void inferred__go(struct inferred *w)
{
	if (w->shm)
		__atomic_store_n(&w->shm->go, 1, __ATOMIC_RELEASE);
}

uint64_t inferred__iters(const struct inferred *w)
{
	return w->shm ? __atomic_load_n(&w->shm->iters, __ATOMIC_RELAXED) : 0;
}

uint64_t inferred__cpu_ns(const struct inferred *w)
{
	return w->shm && w->pid > 0 ? task_cpu_ns((int)w->pid) : 0;
}

bool inferred__alive(struct inferred *w, char *err, size_t len)
{
	int st = w->shm ? __atomic_load_n(&w->shm->state, __ATOMIC_ACQUIRE) : 0;
	int status;

	if (st < 0) {
		snprintf(err, len, "--inferred: workload on CPU %d: %s", w->cpu, strerror(-st));
		return false;
	}
	if (st == 0) {
		snprintf(err, len, "--inferred: workload did not start within 2 s");
		return false;
	}
	if (w->pid > 0 && waitpid(w->pid, &status, WNOHANG) == w->pid) {
		w->pid = 0;
		snprintf(err, len, "--inferred: workload process ended (status %#x)", status);
		return false;
	}
	return true;
}

int inferred__cmd_start(struct inferred *w, char *err, size_t len)
{
	pid_t parent = getpid(), pid;
	int fd, r;

	if (w->outfd >= 0)
		close(w->outfd);
	fd = w->outfd = memfd_create("rxc-inferred-out", MFD_CLOEXEC);
	if (fd < 0)
		FAIL(-errno, "--inferred-cmd: memfd: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		FAIL(-errno, "--inferred-cmd: fork: %s", strerror(errno));
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		r = child_setup(w->cpu, parent);
		if (r) {
			static const char msg[] = "rxcalibrate: cannot pin the command\n";
			(void)!write(2, msg, sizeof(msg) - 1);
			_exit(126);
		}
		execv(w->path, w->argv);
		_exit(127);
	}
	w->pid = pid;
	setpgid(pid, pid);
	return 0;
}

int inferred__cmd_finish(struct inferred *w, uint64_t timeout_ns, volatile int *stop,
			 double *ops_per_s, char *err, size_t len)
{
	struct timespec t0, t;
	char out[16384];
	ssize_t n;
	int status;

	if (w->pid <= 0)
		FAIL(-ECHILD, "--inferred-cmd: not running");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(w->pid, &status, WNOHANG);
		uint64_t el;

		if (r == w->pid)
			break;
		if (r < 0 && errno != EINTR)
			FAIL(-errno, "--inferred-cmd: waitpid: %s", strerror(errno));
		if (stop && *stop)
			return -EINTR;	/* inferred__stop() kills it */
		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (uint64_t)(t.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)t.tv_nsec -
		     (uint64_t)t0.tv_nsec;
		if (el > timeout_ns) {
			kill_child(w);
			FAIL(-ETIMEDOUT, "--inferred-cmd: '%s' still running %.0f s after its "
			     "window: killed", w->cmd, (double)timeout_ns / 1e9);
		}
		usleep(10000);
	}
	w->pid = 0;
	n = pread(w->outfd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char *last = out + strlen(out);
		while (last > out && last[-1] == '\n')
			*--last = 0;
		last = strrchr(out, '\n');
		FAIL(-EIO, "--inferred-cmd: '%s' %s %d%s%s", w->cmd,
		     WIFEXITED(status) ? "exited with" : "killed by signal",
		     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		     out[0] ? ": " : "", last ? last + 1 : out);
	}
	return inferred_parse_openssl(out, ops_per_s, err, len);
}

void inferred__stop(struct inferred *w)
{
	if (!w->active)
		return;
	kill_child(w);
	if (w->shm) {
		munmap(w->shm, sizeof(*w->shm));
		w->shm = NULL;
	}
	if (w->outfd >= 0) {
		close(w->outfd);
		w->outfd = -1;
	}
	free(w->buf);
	w->buf = NULL;
	w->active = false;
}
