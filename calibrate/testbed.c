#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rxxdp.skel.h"
#include "stage.h"
#include "testbed.h"

/* nftables table of the netfilter-drop variant, in the rx namespace only */
#define TB_NFT_TABLE "rxcalibrate"

/* drop_stage: the stage whose time holds the drop, as the variant's path.drop in
 * configs/testbed*.cfg: XDP_DROP frees the skb in veth_xdp_rcv_skb (xdp); tc ingress runs in
 * __netif_receive_skb_core, the start of ip; the INPUT hook in ip_local_deliver, the start of
 * ip_to_transport */
static const struct {
	const char *name, *description;
	int drop_stage;
} variants[TB_VARIANT_COUNT] = {
	[TB_BASELINE] = { "baseline", "nothing dropped: the UDP test flow reaches the receiver",
			  -1 },
	[TB_XDP_DROP] = { "xdp-drop", "the rx veth's XDP program returns XDP_DROP for the UDP "
				      "test flow, before any skb", STAGE_XDP },
	[TB_NETFILTER_DROP] = { "netfilter-drop", "an nftables rule in the rx namespace's INPUT "
						  "chain drops the UDP test flow: transport is "
						  "never reached", STAGE_IP_TO_TRANSPORT },
	[TB_TC_DROP] = { "tc-drop", "a tc ingress filter (clsact, cls_bpf direct-action) drops the "
				    "UDP test flow in __netif_receive_skb_core, before ip_rcv",
			 STAGE_IP },
};

int tb_variant_drop_stage(enum tb_variant v)
{
	return v >= 0 && v < TB_VARIANT_COUNT ? variants[v].drop_stage : -1;
}

const char *tb_variant_name(enum tb_variant v)
{
	return v >= 0 && v < TB_VARIANT_COUNT ? variants[v].name : "?";
}

const char *tb_variant_description(enum tb_variant v)
{
	return v >= 0 && v < TB_VARIANT_COUNT ? variants[v].description : "?";
}

int tb_variant_parse(const char *name, enum tb_variant *v)
{
	for (int i = 0; i < TB_VARIANT_COUNT; i++)
		if (!strcmp(name, variants[i].name)) {
			*v = (enum tb_variant)i;
			return 0;
		}
	return -EINVAL;
}

const char *tb_variant_list(void)
{
	return "baseline, xdp-drop, netfilter-drop, tc-drop";
}

int testbed_variant_check(enum tb_variant v, char *err, size_t len)
{
	char path[1100];

	if (v == TB_NETFILTER_DROP && find_program("nft", path, sizeof(path))) {
		snprintf(err, len, "--variant netfilter-drop: program 'nft' not found in PATH "
				   "(apt-get install nftables)");
		return -ENOENT;
	}
	return 0;
}

int run_cmd(char *const argv[], bool verbose)
{
	pid_t pid;
	int st;

	if (verbose) {
		fprintf(stderr, "+");
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (!verbose) {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

#define RUN(tb, ...)                                                          \
	({                                                                    \
		char *const _argv[] = { __VA_ARGS__, NULL };                  \
		run_cmd(_argv, (tb)->verbose);                                \
	})

/* Runs argv (no shell) in network namespace @nsfd; its stdout goes to @out (NUL-terminated, cut
 * to @len) when @out is given, else to /dev/null unless verbose. 0 if it exited 0, else -EIO. */
static int run_in_ns(struct testbed *tb, int nsfd, char *const argv[], char *out, size_t len)
{
	int pfd[2] = { -1, -1 }, st;
	size_t got = 0;
	pid_t pid;

	if (tb->verbose) {
		fprintf(stderr, "+ [netns %s]", nsfd == tb->nsfd_rx ? tb->ns_rx : tb->ns_tx);
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
	}
	if (out && pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;
		if (out) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return e;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		if (out)
			dup2(pfd[1], 1);
		else if (!tb->verbose && fd >= 0)
			dup2(fd, 1);
		if (!tb->verbose && fd >= 0)
			dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out) {
		ssize_t n;

		close(pfd[1]);
		while ((n = read(pfd[0], out + got, len - 1 - got)) > 0 || (n < 0 && errno == EINTR))
			if (n > 0 && (got += (size_t)n) >= len - 1)
				break;
		out[got] = 0;
		close(pfd[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int testbed__in_ns(struct testbed *tb, int nsfd, int (*fn)(void *), void *arg)
{
	int err, err2;

	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	err = fn(arg);
	err2 = setns(tb->nsfd_orig, CLONE_NEWNET) < 0 ? -errno : 0;
	if (err2) {
		/* a thread stuck in the wrong namespace would send traffic elsewhere */
		fprintf(stderr, "rxcalibrate: cannot return to the original network namespace\n");
		abort();
	}
	return err;
}

struct sock_arg {
	int type, fd;
};

static int make_socket(void *p)
{
	struct sock_arg *a = p;

	a->fd = socket(AF_INET, a->type | SOCK_CLOEXEC, 0);
	return a->fd < 0 ? -errno : 0;
}

int testbed__socket(struct testbed *tb, int nsfd, int type)
{
	struct sock_arg a = { .type = type, .fd = -1 };
	int err = testbed__in_ns(tb, nsfd, make_socket, &a);

	return err ? err : a.fd;
}

static int open_ns(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int xdp_attach(void *p)
{
	struct testbed *tb = p;
	int fd = bpf_program__fd(tb->xdp->progs.rxc_xdp), err;

	tb->rx_ifindex = (int)if_nametoindex(tb->ns_rx);
	if (!tb->rx_ifindex)
		return -ENODEV;
	err = bpf_xdp_attach(tb->rx_ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (!err)
		tb->xdp_attached = true;
	return err;
}

static int xdp_detach(void *p)
{
	struct testbed *tb = p;

	return bpf_xdp_detach(tb->rx_ifindex, XDP_FLAGS_DRV_MODE, NULL);
}

static void find_xdp_sym(struct testbed *tb)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	char tag[2 * BPF_TAG_SIZE + 1];

	if (bpf_obj_get_info_by_fd(bpf_program__fd(tb->xdp->progs.rxc_xdp), &info, &len))
		return;
	for (int i = 0; i < BPF_TAG_SIZE; i++)
		sprintf(tag + 2 * i, "%02x", info.tag[i]);
	snprintf(tb->xdp_sym, sizeof(tb->xdp_sym), "bpf_prog_%s_%s", tag, info.name);
}

/* tc-drop: clsact on the rx veth (the qdisc `tc qdisc add dev X clsact` creates) and the
 * direct-action filter on its ingress hook, through libbpf's netlink calls; run in ns_rx. */
static int tc_attach(void *p)
{
	struct testbed *tb = p;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = tb->rx_ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1,
		    .prog_fd = bpf_program__fd(tb->xdp->progs.rxc_tc_drop));
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	tb->tc_hook_added = true;
	return bpf_tc_attach(&hook, &opts);
}

/* Removes the clsact qdisc and with it every filter on it. */
static int tc_detach(void *p)
{
	struct testbed *tb = p;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = tb->rx_ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	return bpf_tc_hook_destroy(&hook);
}

/* netfilter-drop: a table of our own in the rx namespace, an INPUT base chain and one counted
 * rule for the test flow. One nft call, so the table appears whole or not at all. */
static int nft_add(struct testbed *tb)
{
	char rules[512], *const argv[] = { "nft", rules, NULL };
	int err;

	snprintf(rules, sizeof(rules),
		 "add table ip " TB_NFT_TABLE "; "
		 "add chain ip " TB_NFT_TABLE " input { type filter hook input priority filter; "
		 "policy accept; }; "
		 "add rule ip " TB_NFT_TABLE " input ip daddr " TB_RX_ADDR " udp dport %d counter "
		 "drop",
		 TB_PORT);
	err = run_in_ns(tb, tb->nsfd_rx, argv, NULL, 0);
	if (!err)
		tb->nft_added = true;
	return err;
}

static int nft_del(struct testbed *tb)
{
	char *const argv[] = { "nft", "delete table ip " TB_NFT_TABLE, NULL };

	return run_in_ns(tb, tb->nsfd_rx, argv, NULL, 0);
}

static uint64_t sum128(const __u64 *a)
{
	uint64_t n = 0;

	for (int c = 0; c < 128; c++)
		n += __atomic_load_n(&a[c], __ATOMIC_RELAXED);
	return n;
}

int testbed__variant_drops(struct testbed *tb, uint64_t *n)
{
	char out[4096], *p;
	int err;

	*n = 0;
	switch (tb->variant) {
	case TB_XDP_DROP:
		*n = tb->xdp ? sum128(tb->xdp->bss->xdp_drops) : 0;
		return 0;
	case TB_TC_DROP:
		*n = tb->xdp ? sum128(tb->xdp->bss->tc_drops) : 0;
		return 0;
	case TB_NETFILTER_DROP: {
		char *const argv[] = { "nft", "list table ip " TB_NFT_TABLE, NULL };

		if (!tb->nft_added)
			return -ENOENT;
		err = run_in_ns(tb, tb->nsfd_rx, argv, out, sizeof(out));
		if (err)
			return err;
		p = strstr(out, "counter packets ");
		if (!p || sscanf(p, "counter packets %" SCNu64, n) != 1)
			return -EBADMSG;
		return 0;
	}
	default:
		return 0;
	}
}

/* Threaded NAPI kthreads are named "napi/<dev>-<id>", cut to 15 characters. */
static pid_t find_napi_thread(const char *dev)
{
	char want[48], comm[32], path[300];
	struct dirent *e;
	pid_t found = 0;
	DIR *d;

	snprintf(want, sizeof(want), "napi/%s-", dev);
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((e = readdir(d)) && !found) {
		FILE *f;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			if (!strncmp(comm, want, strlen(want) > 15 ? 15 : strlen(want)))
				found = atoi(e->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

int testbed__create(struct testbed *tb, const struct testbed_opts *o)
{
	char path[128], cmd[256];
	struct stat st;
	int err;

	memset(tb, 0, sizeof(*tb));
	tb->nsfd_orig = tb->nsfd_tx = tb->nsfd_rx = -1;
	tb->verbose = o->verbose;
	snprintf(tb->ns_tx, sizeof(tb->ns_tx), "rxc%dt", (int)getpid());
	snprintf(tb->ns_rx, sizeof(tb->ns_rx), "rxc%dr", (int)getpid());

	tb->nsfd_orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (tb->nsfd_orig < 0)
		return -errno;
	tb->step = "namespaces and veth pair (ip)";
	if ((err = RUN(tb, "ip", "netns", "add", tb->ns_tx)))
		goto fail;
	tb->created_tx = true;
	if ((err = RUN(tb, "ip", "netns", "add", tb->ns_rx)))
		goto fail;
	tb->created_rx = true;
	if ((err = RUN(tb, "ip", "link", "add", "name", tb->ns_tx, "netns", tb->ns_tx, "type",
		       "veth", "peer", "name", tb->ns_rx, "netns", tb->ns_rx)))
		goto fail;
	if ((err = RUN(tb, "ip", "-n", tb->ns_tx, "addr", "add", TB_TX_ADDR "/30", "dev",
		       tb->ns_tx)) ||
	    (err = RUN(tb, "ip", "-n", tb->ns_rx, "addr", "add", TB_RX_ADDR "/30", "dev",
		       tb->ns_rx)) ||
	    (err = RUN(tb, "ip", "-n", tb->ns_tx, "link", "set", "lo", "up")) ||
	    (err = RUN(tb, "ip", "-n", tb->ns_rx, "link", "set", "lo", "up")) ||
	    (err = RUN(tb, "ip", "-n", tb->ns_tx, "link", "set", tb->ns_tx, "up")) ||
	    (err = RUN(tb, "ip", "-n", tb->ns_rx, "link", "set", tb->ns_rx, "up")))
		goto fail;
	tb->nsfd_tx = open_ns(tb->ns_tx);
	tb->nsfd_rx = open_ns(tb->ns_rx);
	if (tb->nsfd_tx < 0 || tb->nsfd_rx < 0) {
		err = -errno;
		goto fail;
	}
	if (fstat(tb->nsfd_rx, &st) == 0)
		tb->rx_netns_ino = (unsigned int)st.st_ino;

	tb->variant = o->variant;
	tb->step = "loading the XDP program";
	tb->xdp = rxxdp_bpf__open();
	if (!tb->xdp) {
		err = -errno ? -errno : -EINVAL;
		goto fail;
	}
	tb->xdp->rodata->xdp_drop = o->variant == TB_XDP_DROP;
	tb->xdp->rodata->drop_daddr = inet_addr(TB_RX_ADDR);
	tb->xdp->rodata->drop_dport = TB_PORT;
	bpf_program__set_autoload(tb->xdp->progs.rxc_tc_drop, o->variant == TB_TC_DROP);
	if ((err = rxxdp_bpf__load(tb->xdp)))
		goto fail;
	find_xdp_sym(tb);
	tb->step = "attaching the XDP program in native mode";
	if ((err = testbed__in_ns(tb, tb->nsfd_rx, xdp_attach, tb)))
		goto fail;
	tb->step = "variant tc-drop: clsact qdisc and BPF ingress filter";
	if (o->variant == TB_TC_DROP && (err = testbed__in_ns(tb, tb->nsfd_rx, tc_attach, tb)))
		goto fail;
	tb->step = "variant netfilter-drop: nft rule (-v shows nft's messages)";
	if (o->variant == TB_NETFILTER_DROP && (err = nft_add(tb)))
		goto fail;

	tb->step = "threaded NAPI";
	if (o->threaded) {
		snprintf(cmd, sizeof(cmd), "echo 1 > /sys/class/net/%s/threaded", tb->ns_rx);
		if ((err = RUN(tb, "ip", "netns", "exec", tb->ns_rx, "sh", "-c", cmd)))
			goto fail;
		tb->threaded = true;
		for (int i = 0; i < 50 && !tb->napi_pid; i++) {
			tb->napi_pid = find_napi_thread(tb->ns_rx);
			if (!tb->napi_pid)
				usleep(10000);
		}
		if (!tb->napi_pid) {
			err = -ESRCH;
			goto fail;
		}
		if (o->napi_cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(o->napi_cpu, &set);
			if (sched_setaffinity(tb->napi_pid, sizeof(set), &set) < 0) {
				err = -errno;
				goto fail;
			}
		}
	}
	(void)path;
	tb->step = NULL;
	return 0;
fail:
	testbed__destroy(tb);
	return err;
}

static bool ns_exists(const char *name)
{
	char path[128];

	if (!name[0])
		return false;	/* never named: testbed__create did not get that far */
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return access(path, F_OK) == 0;
}

void testbed__destroy(struct testbed *tb)
{
	/* deleting the namespace would remove the rule and the qdisc too; removing them first
	 * leaves nothing behind should the namespace outlive us (held open elsewhere) */
	if (tb->nft_added && tb->nsfd_rx >= 0)
		nft_del(tb);
	tb->nft_added = false;
	if (tb->tc_hook_added && tb->nsfd_rx >= 0)
		testbed__in_ns(tb, tb->nsfd_rx, tc_detach, tb);
	tb->tc_hook_added = false;
	if (tb->xdp_attached && tb->nsfd_rx >= 0)
		testbed__in_ns(tb, tb->nsfd_rx, xdp_detach, tb);
	tb->xdp_attached = false;
	rxxdp_bpf__destroy(tb->xdp);
	tb->xdp = NULL;
	if (tb->nsfd_tx >= 0)
		close(tb->nsfd_tx);
	if (tb->nsfd_rx >= 0)
		close(tb->nsfd_rx);
	tb->nsfd_tx = tb->nsfd_rx = -1;
	/* deleting a namespace destroys the veth end in it, and with it the pair. Its name holds
	 * our pid, so one that exists is ours: an `ip netns add` killed by a signal to our process
	 * group (^C during setup) can have created it without telling us. */
	if (tb->created_rx || ns_exists(tb->ns_rx))
		RUN(tb, "ip", "netns", "del", tb->ns_rx);
	if (tb->created_tx || ns_exists(tb->ns_tx))
		RUN(tb, "ip", "netns", "del", tb->ns_tx);
	tb->created_rx = tb->created_tx = false;
	if (tb->nsfd_orig >= 0)
		close(tb->nsfd_orig);
	tb->nsfd_orig = -1;
}

static bool pid_is_rxcalibrate(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return !strncmp(comm, "rxcalibrate", 11);
}

int testbed_cleanup_stale(bool verbose)
{
	struct dirent *e;
	int removed = 0;
	DIR *d = opendir("/run/netns");

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char kind = 0, rest = 0;
		int pid;
		if (sscanf(e->d_name, "rxc%d%c%c", &pid, &kind, &rest) != 2 ||
		    (kind != 't' && kind != 'r'))
			continue;
		if (pid == getpid() || pid_is_rxcalibrate(pid))
			continue;	/* its run is still alive */
		char *const argv[] = { "ip", "netns", "del", e->d_name, NULL };
		if (run_cmd(argv, verbose) == 0) {
			removed++;
			if (verbose)
				fprintf(stderr, "removed namespace %s\n", e->d_name);
		}
	}
	closedir(d);
	return removed;
}

int find_program(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dir[2048];

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, X_OK) ? -errno : 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	while (*path) {
		size_t l = strcspn(path, ":");
		snprintf(dir, sizeof(dir), "%.*s", l ? (int)l : 1, l ? path : ".");
		if (snprintf(out, len, "%s/%.1024s", dir, prog) < (int)len && !access(out, X_OK))
			return 0;
		path += l + (path[l] == ':');
	}
	return -ENOENT;
}
