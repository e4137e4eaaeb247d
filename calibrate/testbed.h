/* The built-in testbed: two network namespaces rxc<pid>t / rxc<pid>r joined by a veth pair of the
 * same names, 198.18.0.1/30 (tx) and 198.18.0.2/30 (rx), an XDP program on the rx veth so it
 * runs its own NAPI instance, optionally threaded NAPI pinned to a CPU, and optionally a variant
 * that drops the UDP test flow (to TB_RX_ADDR, port TB_PORT) at one point of the receive path.
 * testbed__destroy() removes all of it and is safe to call on a half-built testbed;
 * testbed_cleanup_stale() removes what killed runs left (namespaces named rxc<pid>[tr] whose pid
 * is gone; a variant's rule lives in the rx namespace and goes with it). */
#ifndef RXC_TESTBED_H
#define RXC_TESTBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TB_TX_ADDR "198.18.0.1"
#define TB_RX_ADDR "198.18.0.2"
#define TB_PORT 9000

struct rxxdp_bpf;

/* Where the variant drops the test flow. The names are the model's variant names (the built-in
 * xdp-drop, netfilter-drop and tc-drop defined in configs/testbed*.cfg), so that
 * `rxcalibrate validate` can predict a measured variant by its name. */
enum tb_variant {
	TB_BASELINE,		/* nothing dropped */
	TB_XDP_DROP,		/* XDP_DROP in the rx veth's XDP program, before any skb */
	TB_NETFILTER_DROP,	/* nftables rule in the rx namespace's INPUT chain */
	TB_TC_DROP,		/* clsact ingress, cls_bpf direct-action TC_ACT_SHOT */
	TB_VARIANT_COUNT
};

const char *tb_variant_name(enum tb_variant v);
/* One line: what the variant does on the testbed. */
const char *tb_variant_description(enum tb_variant v);
/* 0, or -EINVAL if @name is not one of the names above. */
int tb_variant_parse(const char *name, enum tb_variant *v);
/* "baseline, xdp-drop, netfilter-drop, tc-drop" */
const char *tb_variant_list(void);
/* The stage (enum stage, model/stage.h) whose measured time holds the variant's drop: the
 * stage its path.drop names in configs/testbed*.cfg; -1 for the baseline. */
int tb_variant_drop_stage(enum tb_variant v);

struct testbed {
	char ns_tx[32], ns_rx[32];	/* namespace names (and device names) */
	int nsfd_orig, nsfd_tx, nsfd_rx;
	bool created_tx, created_rx;
	int rx_ifindex;			/* in ns_rx */
	unsigned int rx_netns_ino;
	struct rxxdp_bpf *xdp;
	bool xdp_attached;
	char xdp_sym[64];		/* "bpf_prog_<tag>_rxc_xdp" for the sampler */
	enum tb_variant variant;
	bool nft_added;			/* netfilter-drop: table ip rxcalibrate in ns_rx */
	bool tc_hook_added;		/* tc-drop: clsact qdisc on the rx veth */
	bool threaded;
	pid_t napi_pid;			/* threaded NAPI kthread, 0 if none */
	bool verbose;
	const char *step;		/* what testbed__create() was doing when it failed */
};

struct testbed_opts {
	bool threaded;
	int napi_cpu;			/* -1: leave the kthread where it is */
	enum tb_variant variant;
	bool verbose;
};

/* Checks what the variant needs from this machine before anything is built: 0, or -ENOENT with
 * one message in @err naming the missing program and its package (nft, nftables). */
int testbed_variant_check(enum tb_variant v, char *err, size_t len);

int testbed__create(struct testbed *tb, const struct testbed_opts *o);
void testbed__destroy(struct testbed *tb);

/* Packets of the test flow the variant's own rule dropped since the testbed was built, as the
 * kernel side counts them: the XDP or tc program's verdict counters, the nftables rule's counter.
 * 0 or -errno; *n = 0 for the baseline. */
int testbed__variant_drops(struct testbed *tb, uint64_t *n);

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
