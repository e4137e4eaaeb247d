/* Feature detection by trying: each method is a tiny program loaded and attached, then closed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "methods.h"
#include "ksyms.h"

static const char *const cand_softirq[] = { "net_rx_action", NULL };
static const char *const cand_gro[] = { "gro_receive_skb", "napi_gro_receive", NULL };
static const char *const cand_skb_prep[] = { "napi_complete_done", NULL };
static const char *const cand_ip[] = { "netif_receive_skb_list_internal",
				       "netif_receive_skb_internal", "__netif_receive_skb", NULL };
static const char *const cand_ip_to_transport[] = { "ip_local_deliver", NULL };
static const char *const cand_transport[] = { "udp_rcv", NULL };
static const char *const cand_none[] = { NULL };

const char *const *stage_span_candidates(enum stage s)
{
	switch (s) {
	case STAGE_SOFTIRQ: return cand_softirq;
	case STAGE_GRO: return cand_gro;
	case STAGE_SKB_PREP: return cand_skb_prep;
	case STAGE_IP: return cand_ip;
	case STAGE_IP_TO_TRANSPORT: return cand_ip_to_transport;
	case STAGE_TRANSPORT: return cand_transport;
	default: return cand_none;
	}
}

static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_ret0(enum bpf_prog_type type, enum bpf_attach_type eat, int btf_id)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = eat, .attach_btf_id = btf_id);

	return bpf_prog_load(type, "rxc_probe", "GPL", ret0, 2, &o);
}

static void why(char *buf, size_t len, const char *what, int err)
{
	snprintf(buf, len, "%s: %s", what, strerror(err < 0 ? -err : err));
}

static long perf_open(struct perf_event_attr *a, int cpu)
{
	return syscall(__NR_perf_event_open, a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void probe_tracing(struct rxc_features *f, const struct btf *vmlinux)
{
	int id, fd, lfd;

	/* fentry on net_rx_action */
	id = vmlinux ? btf__find_by_name_kind(vmlinux, "net_rx_action", BTF_KIND_FUNC) : -ENOENT;
	if (id < 0) {
		why(f->why_fentry, sizeof(f->why_fentry), "net_rx_action not in BTF", -id);
	} else if ((fd = load_ret0(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, id)) < 0) {
		why(f->why_fentry, sizeof(f->why_fentry), "load", -errno);
	} else {
		lfd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
		if (lfd < 0)
			why(f->why_fentry, sizeof(f->why_fentry), "attach", -errno);
		else
			f->fentry = true, close(lfd);
		close(fd);
	}

	/* tp_btf on softirq_entry */
	id = vmlinux ? btf__find_by_name_kind(vmlinux, "btf_trace_softirq_entry", BTF_KIND_TYPEDEF)
		     : -ENOENT;
	if (id < 0) {
		why(f->why_tp, sizeof(f->why_tp), "tp_btf: btf_trace_softirq_entry not in BTF", -id);
	} else if ((fd = load_ret0(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, id)) < 0) {
		why(f->why_tp, sizeof(f->why_tp), "tp_btf load", -errno);
	} else {
		lfd = bpf_raw_tracepoint_open(NULL, fd);
		if (lfd < 0)
			why(f->why_tp, sizeof(f->why_tp), "tp_btf attach", -errno);
		else
			f->tp_btf = true, close(lfd);
		close(fd);
	}

	/* raw_tp on softirq_entry */
	fd = load_ret0(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0);
	if (fd < 0) {
		why(f->why_tp, sizeof(f->why_tp), "raw_tp load", -errno);
	} else {
		f->bpf = true;
		lfd = bpf_raw_tracepoint_open("softirq_entry", fd);
		if (lfd < 0)
			why(f->why_tp, sizeof(f->why_tp), "raw_tp attach", -errno);
		else
			f->raw_tp = true, close(lfd);
		close(fd);
	}
}

static void probe_kprobe(struct rxc_features *f)
{
	struct perf_event_attr a = { .size = sizeof(a) };
	char buf[32] = "";
	int fd, pfd, tfd;
	ssize_t n;

	tfd = open("/sys/bus/event_source/devices/kprobe/type", O_RDONLY | O_CLOEXEC);
	if (tfd < 0) {
		why(f->why_kprobe, sizeof(f->why_kprobe), "no kprobe PMU", -errno);
		return;
	}
	n = read(tfd, buf, sizeof(buf) - 1);
	close(tfd);
	if (n <= 0) {
		snprintf(f->why_kprobe, sizeof(f->why_kprobe), "kprobe PMU type unreadable");
		return;
	}
	a.type = (unsigned)atoi(buf);
	a.config1 = (unsigned long)"net_rx_action";
	fd = load_ret0(BPF_PROG_TYPE_KPROBE, 0, 0);
	if (fd < 0) {
		why(f->why_kprobe, sizeof(f->why_kprobe), "load", -errno);
		return;
	}
	f->bpf = true;
	pfd = (int)perf_open(&a, 0);
	if (pfd < 0) {
		why(f->why_kprobe, sizeof(f->why_kprobe), "perf_event_open(kprobe)", -errno);
	} else {
		if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, fd) < 0)
			why(f->why_kprobe, sizeof(f->why_kprobe), "attach", -errno);
		else
			f->kprobe = true;
		close(pfd);
	}
	close(fd);
}

static void probe_perf(struct rxc_features *f)
{
	struct perf_event_attr a = { .size = sizeof(a), .type = PERF_TYPE_SOFTWARE,
				     .config = PERF_COUNT_SW_CPU_CLOCK, .sample_period = 1000000,
				     .disabled = 1 };
	int fd, pfd;

	fd = load_ret0(BPF_PROG_TYPE_PERF_EVENT, 0, 0);
	if (fd < 0) {
		why(f->why_perf, sizeof(f->why_perf), "load", -errno);
		return;
	}
	f->bpf = true;
	pfd = (int)perf_open(&a, 0);
	if (pfd < 0) {
		why(f->why_perf, sizeof(f->why_perf), "perf_event_open(cpu-clock)", -errno);
	} else {
		if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, fd) < 0)
			why(f->why_perf, sizeof(f->why_perf), "attach", -errno);
		else
			f->perf_event = true;
		close(pfd);
	}
	close(fd);
}

int features_detect(struct rxc_features *f, const char *driver_poll_fn, bool verbose)
{
	struct btf *vmlinux = NULL;
	struct ksyms *ks = NULL;
	int fd, err;

	(void)verbose;
	memset(f, 0, sizeof(*f));
	f->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	if (f->btf) {
		vmlinux = btf__load_vmlinux_btf();
		if (!vmlinux)
			f->btf = false;
	}
	probe_tracing(f, vmlinux);
	probe_kprobe(f);
	probe_perf(f);
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd >= 0) {
		f->bpf_stats = true;
		close(fd);
	}

	err = ksyms__load(&ks);
	if (!err) {
		for (int s = 0; s < STAGE_COUNT; s++) {
			const char *const *c = stage_span_candidates(s);
			if (s == STAGE_POLL) {
				static const char *poll[2];
				poll[0] = driver_poll_fn ? driver_poll_fn : "veth_poll";
				c = poll;
			}
			for (; *c; c++) {
				if (!ksyms__find(ks, *c))
					continue;
				f->fn[s] = *c;
				f->fn_btf[s] = vmlinux &&
					btf__find_by_name_kind(vmlinux, *c, BTF_KIND_FUNC) > 0;
				break;
			}
		}
		ksyms__free(ks);
	}
	btf__free(vmlinux);
	return err == -EPERM ? err : 0;
}
