/* The built-in testbed: two network namespaces rxc<pid>t / rxc<pid>r joined by a veth pair of the
 * same names, 198.18.0.1/30 (tx) and 198.18.0.2/30 (rx), an XDP_PASS program on the rx veth so it
 * runs its own NAPI instance, optionally threaded NAPI pinned to a CPU. testbed__destroy() removes
 * all of it and is safe to call on a half-built testbed; testbed_cleanup_stale() removes what
 * killed runs left (namespaces named rxc<pid>[tr] whose pid is gone). */
#ifndef RXC_TESTBED_H
#define RXC_TESTBED_H

#include <stdbool.h>
#include <sys/types.h>

#define TB_TX_ADDR "198.18.0.1"
#define TB_RX_ADDR "198.18.0.2"
#define TB_PORT 9000

struct rxxdp_bpf;

struct testbed {
	char ns_tx[32], ns_rx[32];	/* namespace names (and device names) */
	int nsfd_orig, nsfd_tx, nsfd_rx;
	bool created_tx, created_rx;
	int rx_ifindex;			/* in ns_rx */
	unsigned int rx_netns_ino;
	struct rxxdp_bpf *xdp;
	bool xdp_attached;
	char xdp_sym[64];		/* "bpf_prog_<tag>_rxc_xdp_pass" for the sampler */
	bool threaded;
	pid_t napi_pid;			/* threaded NAPI kthread, 0 if none */
	bool verbose;
};

struct testbed_opts {
	bool threaded;
	int napi_cpu;			/* -1: leave the kthread where it is */
	bool verbose;
};

int testbed__create(struct testbed *tb, const struct testbed_opts *o);
void testbed__destroy(struct testbed *tb);

/* Runs fn(arg) with the calling thread in namespace @nsfd, then switches back. */
int testbed__in_ns(struct testbed *tb, int nsfd, int (*fn)(void *), void *arg);

/* A socket created in namespace @nsfd (sockets keep the namespace they were created in). */
int testbed__socket(struct testbed *tb, int nsfd, int type);

/* Returns the number of namespaces removed, or -errno. */
int testbed_cleanup_stale(bool verbose);

/* Runs argv (no shell); 0 if it exited 0, else -EIO. Output shown only when @verbose. */
int run_cmd(char *const argv[], bool verbose);

/* Resolves @prog (a name looked up in $PATH, or a path) to an executable file in @out;
 * 0 or -errno (-ENOENT when not found). */
int find_program(const char *prog, char *out, size_t len);

#endif
