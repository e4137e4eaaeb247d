#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iperf.h"
#include "testbed.h"

#define FAIL(ret, ...)                                             \
	do {                                                       \
		if (err)                                           \
			snprintf(err, len, __VA_ARGS__);           \
		return ret;                                        \
	} while (0)

/* ---- pure parts ------------------------------------------------------------------------------ */

/* true if @s is an IPv4 address in 198.18.0.0/15 (RFC 2544 benchmarking) */
static bool testbed_addr(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1 && (ntohl(a.s_addr) & 0xfffe0000u) == 0xc6120000u;
}

int iperf_args_build(struct iperf_args *a, const char *prog, double rate_bps, int payload,
		     int seconds, uint64_t rcvbuf)
{
	int n = 0;

	memset(a, 0, sizeof(*a));
	if (!prog || !*prog || !(rate_bps >= 1) || rate_bps > 1e13 || payload < 1 ||
	    payload > 65507 || seconds < 1 || seconds > 86400)
		return -EINVAL;
	/* never anything but the testbed's addresses */
	if (!testbed_addr(TB_RX_ADDR) || !testbed_addr(TB_TX_ADDR))
		return -EINVAL;
	snprintf(a->rate, sizeof(a->rate), "%.0f", rate_bps);
	snprintf(a->len, sizeof(a->len), "%d", payload);
	snprintf(a->secs, sizeof(a->secs), "%d", seconds);
	snprintf(a->port, sizeof(a->port), "%d", RXC_IPERF_PORT);
	snprintf(a->win, sizeof(a->win), "%llu", (unsigned long long)rcvbuf);

	a->srv[n++] = (char *)prog;
	a->srv[n++] = "-s";
	a->srv[n++] = "-1";		/* one test, then exit */
	a->srv[n++] = "-J";
	a->srv[n++] = "-B";
	a->srv[n++] = TB_RX_ADDR;
	a->srv[n++] = "-p";
	a->srv[n++] = a->port;
	a->srv[n] = NULL;

	n = 0;
	a->cli[n++] = (char *)prog;
	a->cli[n++] = "-c";
	a->cli[n++] = TB_RX_ADDR;
	a->cli[n++] = "-B";
	a->cli[n++] = TB_TX_ADDR;
	a->cli[n++] = "-p";
	a->cli[n++] = a->port;
	a->cli[n++] = "-u";
	a->cli[n++] = "-b";
	a->cli[n++] = a->rate;
	a->cli[n++] = "-l";
	a->cli[n++] = a->len;
	a->cli[n++] = "-t";
	a->cli[n++] = a->secs;
	a->cli[n++] = "-J";
	if (rcvbuf) {
		a->cli[n++] = "-w";
		a->cli[n++] = a->win;
	}
	a->cli[n] = NULL;
	return 0;
}

int iperf_seconds(uint64_t warmup_ns, uint64_t duration_ns)
{
	double s = ceil((double)(warmup_ns + duration_ns) / 1e9 + 0.25);

	return s < 1 ? 1 : (int)s;
}

/* The object that follows `"key":` at or after @from, as [*start, *end) (end just past its '}').
 * Objects of iperf3's "end" section have no nested braces inside strings. */
static bool find_object(const char *from, const char *key, const char **start, const char **end)
{
	char pat[64];
	const char *p = from;
	int depth = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	while ((p = strstr(p, pat))) {
		const char *q = p + strlen(pat);
		while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
			q++;
		if (*q != '{') {
			p = q;
			continue;
		}
		*start = q;
		for (; *q; q++) {
			if (*q == '{')
				depth++;
			else if (*q == '}' && --depth == 0) {
				*end = q + 1;
				return true;
			}
		}
		return false;
	}
	return false;
}

static bool find_number(const char *s, const char *e, const char *key, double *v)
{
	char pat[64], *endp;
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(s, pat);
	if (!p || p >= e)
		return false;
	p += strlen(pat);
	errno = 0;
	*v = strtod(p, &endp);
	return endp != p && !errno && endp <= e;
}

int iperf_parse_json(const char *json, struct iperf_result *r, char *err, size_t len)
{
	const char *es, *ee, *ss, *se, *rs, *re;
	double v;

	memset(r, 0, sizeof(*r));
	if (!json || !*json)
		FAIL(-EINVAL, "iperf3: no JSON output");
	/* iperf3 -J reports its failures as "error": "..." */
	es = strstr(json, "\"error\":");
	if (es) {
		const char *q = strchr(es + 8, '"'), *qe = q ? strchr(q + 1, '"') : NULL;
		if (q && qe)
			FAIL(-EINVAL, "iperf3: %.*s", (int)(qe - q - 1), q + 1);
		FAIL(-EINVAL, "iperf3 reported an error");
	}
	if (!find_object(json, "end", &es, &ee))
		FAIL(-EINVAL, "iperf3: no \"end\" section in its JSON (run cut short?)");
	if (!find_object(es + 1, "sum_sent", &ss, &se) || ss >= ee) {
		if (!find_object(es + 1, "sum", &ss, &se) || ss >= ee)
			FAIL(-EINVAL, "iperf3: no end.sum in its JSON");
	}
	if (!find_number(ss, se, "bits_per_second", &r->sent_bps) ||
	    !find_number(ss, se, "seconds", &r->seconds))
		FAIL(-EINVAL, "iperf3: end.sum_sent lacks bits_per_second or seconds");
	if (find_number(ss, se, "packets", &v))
		r->sent_packets = (uint64_t)v;
	/* the server's view, sent back to the client at the end */
	if (find_object(es + 1, "sum_received", &rs, &re) && rs < ee) {
		ss = rs;
		se = re;
	}
	if (find_number(ss, se, "lost_packets", &v))
		r->lost_packets = (uint64_t)v;
	if (find_number(ss, se, "lost_percent", &v))
		r->lost_percent = v;
	if (ss == rs && find_number(ss, se, "packets", &v))
		r->recv_packets = (uint64_t)v >= r->lost_packets ? (uint64_t)v - r->lost_packets : 0;
	if (!(r->seconds > 0))
		FAIL(-EINVAL, "iperf3: the test ran for %g s", r->seconds);
	return 0;
}

/* ---- processes ------------------------------------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int iperf__init(struct iperf_gen *g, bool verbose, char *err, size_t len)
{
	memset(g, 0, sizeof(*g));
	g->srv_out = g->cli_out = g->srv_err = g->cli_err = -1;
	g->verbose = verbose;
	if (find_program(RXC_IPERF_PROG, g->path, sizeof(g->path)))
		FAIL(-ENOENT, "--generator iperf3: program '%s' not found in PATH (install it: "
		     "apt-get install iperf3)", RXC_IPERF_PROG);
	g->active = true;
	return 0;
}

static void kill_reap(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(-*pid, SIGKILL);
	kill(*pid, SIGKILL);
	while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
		;
	*pid = 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void iperf__stop(struct iperf_gen *g)
{
	kill_reap(&g->cli);
	kill_reap(&g->srv);
	close_fd(&g->srv_out);
	close_fd(&g->srv_err);
	close_fd(&g->cli_out);
	close_fd(&g->cli_err);
}

/* In the child (async-signal-safe calls only): own process group, dies with the parent, the
 * terminal's ^C is for rxcalibrate, network namespace @nsfd, pinned to @cpu, output to the memfds,
 * no other descriptor. Never returns. */
static void __attribute__((noreturn)) child_exec(const char *path, char *const argv[], int nsfd,
						 int cpu, int outfd, int errfd, pid_t parent)
{
	static const char e_ns[] = "rxcalibrate: iperf3: setns failed\n";
	static const char e_cpu[] = "rxcalibrate: iperf3: cannot pin to its CPU\n";
	cpu_set_t set;
	int devnull;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	dup2(outfd, 1);
	dup2(errfd, 2);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, 0);
	if (setns(nsfd, CLONE_NEWNET)) {
		(void)!write(2, e_ns, sizeof(e_ns) - 1);
		_exit(126);
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		(void)!write(2, e_cpu, sizeof(e_cpu) - 1);
		_exit(126);
	}
	syscall(SYS_close_range, 3u, ~0u, 0u);
	execv(path, argv);
	_exit(127);
}

static int spawn(struct iperf_gen *g, char *const argv[], int nsfd, int cpu, int *outfd,
		 int *errfd, pid_t *pid)
{
	pid_t parent = getpid(), p;

	close_fd(outfd);
	close_fd(errfd);
	*outfd = memfd_create("rxc-iperf3-out", MFD_CLOEXEC);
	*errfd = memfd_create("rxc-iperf3-err", MFD_CLOEXEC);
	if (*outfd < 0 || *errfd < 0)
		return -errno;
	if (g->verbose) {
		fprintf(stderr, "+ (CPU %d)", cpu);
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
	}
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0)
		child_exec(g->path, argv, nsfd, cpu, *outfd, *errfd, parent);
	setpgid(p, p);	/* also from here, so kill(-pid) works at once */
	*pid = p;
	return 0;
}

/* The last line of a memfd's contents, for error messages. */
static void last_line(int fd, char *buf, size_t len)
{
	char tmp[8192], *p, *l;
	ssize_t n = fd >= 0 ? pread(fd, tmp, sizeof(tmp) - 1, 0) : -1;

	tmp[n > 0 ? n : 0] = 0;
	p = tmp + strlen(tmp);
	while (p > tmp && (p[-1] == '\n' || p[-1] == ' '))
		*--p = 0;
	l = strrchr(tmp, '\n');
	snprintf(buf, len, "%s", l ? l + 1 : tmp);
}

/* A child that has ended (reaped here): describes how, else false. */
static bool ended(pid_t *pid, int errfd, const char *who, char *err, size_t len)
{
	char why[256];
	int st;

	if (*pid <= 0 || waitpid(*pid, &st, WNOHANG) != *pid)
		return false;
	*pid = 0;
	last_line(errfd, why, sizeof(why));
	snprintf(err, len, "iperf3 %s %s %d%s%s", who,
		 WIFEXITED(st) ? "exited with" : "killed by signal",
		 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), why[0] ? ": " : "", why);
	return true;
}

/* true if /proc/<pid>/net/tcp shows a listening socket on the iperf3 port */
static bool listening(pid_t pid)
{
	char path[64], line[512], port[16];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/tcp", (int)pid);
	snprintf(port, sizeof(port), ":%04X ", RXC_IPERF_PORT);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char local[64], remote[64];
		unsigned int st;
		if (sscanf(line, "%*d: %63s %63s %x", local, remote, &st) == 3 && st == 0x0a &&
		    strstr(strcat(local, " "), port))
			found = true;
	}
	fclose(f);
	return found;
}

static int read_udp_in(pid_t pid, uint64_t *v)
{
	char path[64], hdr[1024], val[1024];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/snmp", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(hdr, sizeof(hdr), f)) {
		char *hs, *vs, *h, *x;
		if (strncmp(hdr, "Udp:", 4) || !fgets(val, sizeof(val), f))
			continue;
		h = strtok_r(hdr, " \n", &hs);
		x = strtok_r(val, " \n", &vs);
		for (; h && x; h = strtok_r(NULL, " \n", &hs), x = strtok_r(NULL, " \n", &vs))
			if (!strcmp(h, "InDatagrams")) {
				*v = strtoull(x, NULL, 10);
				ret = 0;
			}
		break;
	}
	fclose(f);
	return ret;
}

int iperf__server_udp_in(const struct iperf_gen *g, uint64_t *v)
{
	return g->srv > 0 ? read_udp_in(g->srv, v) : -ESRCH;
}

int iperf__start(struct iperf_gen *g, int nsfd_rx, int nsfd_tx, int rx_cpu, int tx_cpu,
		 double rate_bps, int payload, int seconds, uint64_t rcvbuf, volatile int *stop,
		 char *err, size_t len)
{
	uint64_t t0, in0 = 0, in;
	int r;

	if (!g->active)
		FAIL(-EINVAL, "iperf3: not initialised");
	iperf__stop(g);
	if (iperf_args_build(&g->args, g->path, rate_bps, payload, seconds, rcvbuf))
		FAIL(-EINVAL, "iperf3: bad step parameters (rate %g, payload %d, %d s)", rate_bps,
		     payload, seconds);
	r = spawn(g, g->args.srv, nsfd_rx, rx_cpu, &g->srv_out, &g->srv_err, &g->srv);
	if (r)
		FAIL(r, "iperf3 server: %s", strerror(-r));
	for (t0 = mono_ns(); !listening(g->srv);) {
		if (stop && *stop) {
			iperf__stop(g);
			return -EINTR;
		}
		if (ended(&g->srv, g->srv_err, "server", err, len)) {
			iperf__stop(g);
			return -EIO;
		}
		if (mono_ns() - t0 > 5000000000ull) {
			iperf__stop(g);
			FAIL(-ETIMEDOUT, "iperf3 server: not listening on %s:%d after 5 s",
			     TB_RX_ADDR, RXC_IPERF_PORT);
		}
		usleep(5000);
	}
	read_udp_in(g->srv, &in0);
	r = spawn(g, g->args.cli, nsfd_tx, tx_cpu, &g->cli_out, &g->cli_err, &g->cli);
	if (r) {
		iperf__stop(g);
		FAIL(r, "iperf3 client: %s", strerror(-r));
	}
	for (t0 = mono_ns();;) {
		if (!read_udp_in(g->srv, &in) && in > in0)
			break;
		if (stop && *stop) {
			iperf__stop(g);
			return -EINTR;
		}
		if (ended(&g->cli, g->cli_err, "client", err, len) ||
		    ended(&g->srv, g->srv_err, "server", err, len)) {
			char j[256];
			/* -J puts the reason in the client's JSON */
			struct iperf_result x;
			ssize_t n;
			char buf[16384];
			n = g->cli_out >= 0 ? pread(g->cli_out, buf, sizeof(buf) - 1, 0) : -1;
			buf[n > 0 ? n : 0] = 0;
			if (iperf_parse_json(buf, &x, j, sizeof(j)) && strstr(buf, "\"error\""))
				snprintf(err, len, "%s", j);
			iperf__stop(g);
			return -EIO;
		}
		if (mono_ns() - t0 > 5000000000ull) {
			iperf__stop(g);
			FAIL(-ETIMEDOUT, "iperf3: no datagram reached %s within 5 s of the client's "
			     "start", TB_RX_ADDR);
		}
		usleep(2000);
	}
	return 0;
}

int iperf__finish(struct iperf_gen *g, uint64_t timeout_ns, volatile int *stop,
		  struct iperf_result *r, char *err, size_t len)
{
	static char buf[1 << 20];
	uint64_t t0 = mono_ns();
	ssize_t n;
	int st = 0, ret;

	if (g->cli <= 0)
		FAIL(-ECHILD, "iperf3 client: not running");
	for (;;) {
		pid_t p = waitpid(g->cli, &st, WNOHANG);
		if (p == g->cli)
			break;
		if (p < 0 && errno != EINTR) {
			ret = -errno;
			iperf__stop(g);
			FAIL(ret, "iperf3 client: waitpid: %s", strerror(-ret));
		}
		if (stop && *stop) {
			iperf__stop(g);
			return -EINTR;
		}
		if (mono_ns() - t0 > timeout_ns) {
			iperf__stop(g);
			FAIL(-ETIMEDOUT, "iperf3 client: still running %.0f s after its end: killed",
			     (double)timeout_ns / 1e9);
		}
		usleep(10000);
	}
	g->cli = 0;
	/* the one-test server ends by itself once it has sent its results */
	for (t0 = mono_ns(); g->srv > 0 && mono_ns() - t0 < 2000000000ull;) {
		if (waitpid(g->srv, NULL, WNOHANG) == g->srv) {
			g->srv = 0;
			break;
		}
		usleep(10000);
	}
	n = pread(g->cli_out, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	ret = iperf_parse_json(buf, r, err, len);
	if (!ret && (!WIFEXITED(st) || WEXITSTATUS(st))) {
		char why[256];
		last_line(g->cli_err, why, sizeof(why));
		snprintf(err, len, "iperf3 client %s %d%s%s",
			 WIFEXITED(st) ? "exited with" : "killed by signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), why[0] ? ": " : "", why);
		ret = -EIO;
	}
	if (g->verbose) {
		char why[256];
		last_line(g->cli_err, why, sizeof(why));
		if (why[0])
			fprintf(stderr, "  iperf3 client said: %s\n", why);
	}
	iperf__stop(g);
	return ret;
}
