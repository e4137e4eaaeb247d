#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "testbed.h"

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
	int fd = bpf_program__fd(tb->xdp->progs.rxc_xdp_pass), err;

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

	if (bpf_obj_get_info_by_fd(bpf_program__fd(tb->xdp->progs.rxc_xdp_pass), &info, &len))
		return;
	for (int i = 0; i < BPF_TAG_SIZE; i++)
		sprintf(tag + 2 * i, "%02x", info.tag[i]);
	snprintf(tb->xdp_sym, sizeof(tb->xdp_sym), "bpf_prog_%s_%s", tag, info.name);
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

	tb->xdp = rxxdp_bpf__open_and_load();
	if (!tb->xdp) {
		err = -errno ? -errno : -EINVAL;
		goto fail;
	}
	find_xdp_sym(tb);
	if ((err = testbed__in_ns(tb, tb->nsfd_rx, xdp_attach, tb)))
		goto fail;

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
	return 0;
fail:
	testbed__destroy(tb);
	return err;
}

void testbed__destroy(struct testbed *tb)
{
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
	/* deleting a namespace destroys the veth end in it, and with it the pair */
	if (tb->created_rx)
		RUN(tb, "ip", "netns", "del", tb->ns_rx);
	if (tb->created_tx)
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
