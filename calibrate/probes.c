#include <errno.h>
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

#include "fault.h"
#include "ksyms.h"
#include "probes.h"
#include "rxstage.skel.h"
#include "traffic.h"

struct probes {
	struct rxstage_bpf *skel;
	struct bpf_link **links;
	int nlinks, cap;
	int *pfds;
	int ncpu;
	int stats_fd;
	int period_ns;
	int nmarkers;
	bool sirq_progs;	/* the softirq pair is attached */
	bool lean;
	bool tick;	/* the sampler runs on the scheduler tick */
	int sirq_cpu;
	/* lean: the softirq pair and napi_poll, loaded but attached only during probes__sirq_slice
	 * (in this order: napi_poll first, so that every timed NET_RX sees its flag) */
	struct bpf_program *slice_prog[3];
	struct bpf_link *slice_link[3];
};

/* Stage markers for the sampler: the innermost of these on a kernel stack names the stage. */
static const struct {
	const char *fn;
	unsigned stage;	/* enum stage, | RXS_HEAD for the stage's head (before its drop hook) */
} markers[] = {
	{ "net_rx_action", STAGE_SOFTIRQ },
	{ "handle_softirqs", STAGE_SOFTIRQ },
	{ "__do_softirq", STAGE_SOFTIRQ },
	{ "__napi_poll", STAGE_POLL },
	{ "napi_poll", STAGE_POLL },
	{ "napi_threaded_poll", STAGE_POLL },
	{ "napi_threaded_poll_loop", STAGE_POLL },
	{ "veth_poll", STAGE_POLL },
	{ "veth_xdp_rcv", STAGE_POLL },
	{ "veth_xdp_rcv_skb", STAGE_POLL },
	{ "veth_xdp_rcv_one", STAGE_POLL },
	{ "process_backlog", STAGE_POLL },
	{ "gro_receive_skb", STAGE_GRO },
	{ "napi_gro_receive", STAGE_GRO },
	{ "dev_gro_receive", STAGE_GRO },
	{ "inet_gro_receive", STAGE_GRO },
	{ "udp4_gro_receive", STAGE_GRO },
	{ "udp_gro_receive", STAGE_GRO },
	{ "napi_complete_done", STAGE_SKB_PREP },
	/* ip's head: netif_receive_skb's core, where tc ingress runs, up to ip_rcv (a packet tc
	 * drops pays this part of the stage only); ip_to_transport's: ip_local_deliver, where the
	 * LOCAL_IN netfilter hook runs, before ip_local_deliver_finish */
	{ "netif_receive_skb_list_internal", STAGE_IP | RXS_HEAD },
	{ "netif_receive_skb_internal", STAGE_IP | RXS_HEAD },
	{ "netif_receive_skb", STAGE_IP | RXS_HEAD },
	{ "__netif_receive_skb", STAGE_IP | RXS_HEAD },
	{ "__netif_receive_skb_list_core", STAGE_IP | RXS_HEAD },
	{ "__netif_receive_skb_core", STAGE_IP | RXS_HEAD },
	{ "__netif_receive_skb_one_core", STAGE_IP | RXS_HEAD },
	{ "do_xdp_generic", STAGE_IP | RXS_HEAD },
	{ "ip_list_rcv", STAGE_IP },
	{ "ip_sublist_rcv", STAGE_IP },
	{ "ip_list_rcv_finish", STAGE_IP },
	{ "ip_sublist_rcv_finish", STAGE_IP },
	{ "ip_rcv", STAGE_IP },
	{ "ip_rcv_core", STAGE_IP },
	{ "ip_rcv_finish", STAGE_IP },
	{ "ip_rcv_finish_core", STAGE_IP },
	{ "ip_route_input_noref", STAGE_IP },
	{ "ip_local_deliver", STAGE_IP_TO_TRANSPORT | RXS_HEAD },
	{ "ip_local_deliver_finish", STAGE_IP_TO_TRANSPORT },
	{ "ip_protocol_deliver_rcu", STAGE_IP_TO_TRANSPORT },
	{ "udp_rcv", STAGE_TRANSPORT },
	{ "__udp4_lib_rcv", STAGE_TRANSPORT },
	{ "udp_unicast_rcv_skb", STAGE_TRANSPORT },
	{ "udp_queue_rcv_skb", STAGE_TRANSPORT },
	{ "udp_queue_rcv_one_skb", STAGE_TRANSPORT },
	{ "__udp_queue_rcv_skb", STAGE_TRANSPORT },
	{ "__udp_enqueue_schedule_skb", STAGE_TRANSPORT },
	{ "__x64_sys_recvmmsg", STAGE_APP },
	{ "__sys_recvmmsg", STAGE_APP },
	{ "do_recvmmsg", STAGE_APP },
	{ "___sys_recvmsg", STAGE_APP },
	{ "____sys_recvmsg", STAGE_APP },
	{ "__sys_recvmsg", STAGE_APP },
	{ "udp_recvmsg", STAGE_APP },
	{ "__skb_recv_udp", STAGE_APP },
	{ "__schedule", STAGE_CS },
	{ "schedule", STAGE_CS },
	{ "finish_task_switch", STAGE_CS },
	{ "finish_task_switch.isra.0", STAGE_CS },
	{ "__switch_to", STAGE_CS },
	{ "__switch_to_asm", STAGE_CS },
};

struct marker {
	uint64_t start, end;
	uint32_t stage;
};

static int cmp_marker(const void *a, const void *b)
{
	const struct marker *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int add_marker(struct marker *m, int n, const struct ksym *k, unsigned s)
{
	if (!k || n >= RXS_MAX_SYMS)
		return n;
	for (int i = 0; i < n; i++)
		if (m[i].start == k->start)
			return n;
	m[n].start = k->start;
	m[n].end = k->end;
	m[n].stage = s;
	return n + 1;
}

const struct ksym *tick_fn_find(const struct ksyms *ks)
{
	const struct ksym *k = ksyms__find(ks, "tick_nohz_handler");

	return k ? k : ksyms__find(ks, "tick_sched_timer");	/* its name before 6.9 */
}

/* Fills the sampler's marker table (and, lean, net_rx_action's range). With @tick, also the tick's
 * hrtimer function; *@tick tells whether it was found. Returns the markers or -errno. */
static int build_markers(struct rxstage_bpf *skel, const struct rxc_choice ch[STAGE_COUNT],
			 const struct probes_cfg *cfg, bool *tick)
{
	struct marker m[RXS_MAX_SYMS];
	struct ksyms *ks;
	int n = 0, err;

	err = ksyms__load(&ks);
	if (err)
		return err;
	if (cfg->xdp_sym && ch[STAGE_XDP].method == RXC_SAMPLE)
		n = add_marker(m, n, ksyms__find(ks, cfg->xdp_sym), STAGE_XDP);
	if (cfg->extra_poll_fn)
		n = add_marker(m, n, ksyms__find(ks, cfg->extra_poll_fn), STAGE_POLL);
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		n = add_marker(m, n, ksyms__find(ks, markers[i].fn), markers[i].stage);
	if (cfg->lean) {
		const struct ksym *k = ksyms__find(ks, "net_rx_action");

		if (!k) {
			ksyms__free(ks);
			fprintf(stderr, "rxcalibrate: --probes lean: net_rx_action is not in "
				"/proc/kallsyms\n");
			return -ENOENT;
		}
		skel->rodata->netrx_start = k->start;
		skel->rodata->netrx_end = k->end;
	}
	if (tick) {	/* the tick's hrtimer, and the interrupt handler the sampler's frames end in */
		const struct ksym *k = tick_fn_find(ks), *h = ksyms__find(ks, "hrtimer_interrupt");

		*tick = k && h;
		skel->rodata->tick_fn = k ? k->start : 0;
		skel->rodata->hrtimer_irq_start = h ? h->start : 0;
		skel->rodata->hrtimer_irq_end = h ? h->end : 0;
	}
	ksyms__free(ks);
	qsort(m, (size_t)n, sizeof(m[0]), cmp_marker);
	for (int i = 0; i < n; i++) {
		skel->rodata->sym_start[i] = m[i].start;
		skel->rodata->sym_end[i] = m[i].end;
		skel->rodata->sym_stage[i] = m[i].stage;
	}
	skel->rodata->nr_syms = (__u32)n;
	return n;
}

/* Why the last probes__open_attach failed, in one line (probes__why): ours, else libbpf's first
 * warning about a program (it names the program and the reason), else its first warning. File
 * state, as libbpf's print callback takes no context pointer. */
static char why_failed[256];

static void keep_warning(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	char line[sizeof(why_failed)], *text = line;
	va_list aq;

	if (l != LIBBPF_WARN || strstr(why_failed, "prog '"))
		return;
	va_copy(aq, ap);
	vsnprintf(line, sizeof(line), fmt, aq);
	va_end(aq);
	line[strcspn(line, "\n")] = 0;
	if (!strncmp(text, "libbpf: ", 8))
		text += 8;
	if (!why_failed[0] || strstr(text, "prog '"))
		snprintf(why_failed, sizeof(why_failed), "%s", text);
}

const char *probes__why(void)
{
	return why_failed;
}

static int libbpf_quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	keep_warning(l, fmt, ap);
	return 0;
}

/* -v: libbpf's warnings and info (verifier logs come as warnings); RXC_LIBBPF_DEBUG=1 adds debug */
static int libbpf_loud(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	keep_warning(l, fmt, ap);
	if (l == LIBBPF_DEBUG && !getenv("RXC_LIBBPF_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

/* Arguments of a tracepoint in this kernel (from its btf_trace_ typedef), or -1. */
static int tp_nargs(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	if (!btf)
		return -1;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);	/* PTR */
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);				/* FUNC_PROTO */
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;	/* first parameter is the tracepoint's void *data */
}

static int add_link(struct probes *p, struct bpf_link *l)
{
	if (!l)
		return -errno ? -errno : -EINVAL;
	if (p->nlinks == p->cap) {
		int cap = p->cap ? p->cap * 2 : 64;
		struct bpf_link **n = realloc(p->links, (size_t)cap * sizeof(*n));
		if (!n) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		p->links = n;
		p->cap = cap;
	}
	p->links[p->nlinks++] = l;
	return 0;
}

static const char *const span_names[STAGE_COUNT] = {
	[STAGE_SOFTIRQ] = "softirq", [STAGE_POLL] = "poll", [STAGE_GRO] = "gro",
	[STAGE_SKB_PREP] = "skb_prep", [STAGE_IP] = "ip",
	[STAGE_IP_TO_TRANSPORT] = "ip_to_transport", [STAGE_TRANSPORT] = "transport",
};

/* The stage whose span program @name is (fentry_ip, kretprobe_transport, ...), or -1. */
static int span_prog_stage(const char *name, const char *prefix)
{
	size_t l = strlen(prefix);

	if (strncmp(name, prefix, l))
		return -1;
	for (int s = 0; s < STAGE_COUNT; s++)
		if (span_names[s] && !strcmp(name + l, span_names[s]))
			return s;
	return -1;
}

/* Before the load: a tracepoint program's tracepoint must exist in this kernel, said by name (libbpf
 * would fail the whole load with ESRCH). RXC_FAULT (fault.h): tracepoint:TP makes this check look
 * for RXC_FAULT_NO_TP for TP's programs; load:PROG gives PROG a flag the kernel refuses. 0 or
 * -errno. */
static int check_prog(struct bpf_program *prog, const char *name, const struct btf *vmlinux)
{
	const char *sec = bpf_program__section_name(prog), *tp = strchr(sec, '/'), *fault;

	fault = rxc_fault("load");
	if (fault && !strcmp(fault, name))
		bpf_program__set_flags(prog, bpf_program__flags(prog) | (1u << 30));
	if (!tp || (strncmp(sec, "tp_btf/", 7) && strncmp(sec, "raw_tp/", 7)))
		return 0;
	tp++;
	fault = rxc_fault("tracepoint");
	if (fault && !strcmp(fault, tp))
		tp = RXC_FAULT_NO_TP;	/* only checked here: libbpf would keep its vmlinux BTF */
	if (vmlinux && tp_nargs(vmlinux, tp) < 0) {
		snprintf(why_failed, sizeof(why_failed), "tracepoint %s (program %s) does not exist "
			 "in this kernel: no btf_trace_%s in its BTF", tp, name, tp);
		return -ENOENT;
	}
	return 0;
}

int probes__open_attach(struct probes **out, const struct rxc_features *f,
			const struct rxc_choice ch[STAGE_COUNT], const struct probes_cfg *cfg)
{
	enum rxc_method tp = f->tp_btf ? RXC_TP_BTF : f->raw_tp ? RXC_RAW_TP : RXC_NONE;
	const char *tp_suffix = tp == RXC_TP_BTF ? "_btf" : "_raw";
	bool sampling = false;
	struct btf *vmlinux = NULL;
	struct bpf_program *prog;
	struct probes *p;
	int err, nkfree;

	why_failed[0] = 0;
	libbpf_set_print(cfg->verbose ? libbpf_loud : libbpf_quiet);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->stats_fd = -1;
	p->ncpu = libbpf_num_possible_cpus();
	if (p->ncpu <= 0) {
		err = p->ncpu ? p->ncpu : -EINVAL;
		goto fail;
	}
	p->skel = rxstage_bpf__open();
	if (!p->skel) {
		err = -errno ? -errno : -EINVAL;
		goto fail;
	}
	p->skel->rodata->rx_ifindex = (__u32)cfg->rx_ifindex;
	p->skel->rodata->rx_netns_ino = cfg->rx_netns_ino;
	for (int i = 0; i < cfg->nirqs && i < RXS_MAX_IRQS; i++)
		p->skel->rodata->irqs[i] = (__u32)cfg->irqs[i];
	p->skel->rodata->nr_irqs = (__u32)(cfg->nirqs < RXS_MAX_IRQS ? cfg->nirqs : RXS_MAX_IRQS);
	if (cfg->sirq_time_shift > 0 && cfg->sirq_time_shift <= 16)
		p->skel->rodata->sirq_time_mask = (1u << cfg->sirq_time_shift) - 1;
	p->lean = cfg->lean;
	p->sirq_cpu = cfg->lean ? cfg->sirq_cpu : -1;
	p->skel->rodata->lean = cfg->lean;
	p->skel->rodata->sirq_anchor = cfg->lean && cfg->sirq_anchor >= 0 &&
				       cfg->sirq_anchor < RXS_THREADS ? (__u32)cfg->sirq_anchor
								      : RXS_THREADS;
	if (cfg->lean && cfg->sample_hz <= 0) {
		err = -EINVAL;	/* lean takes NET_RX from the samples */
		goto fail;
	}

	for (int s = 0; s < STAGE_COUNT; s++)
		if (ch[s].method == RXC_SAMPLE)
			sampling = true;
	sampling = sampling || cfg->lean;
	if (sampling) {
		p->tick = cfg->tick_hz > 0 && tp != RXC_NONE;
		err = build_markers(p->skel, ch, cfg, p->tick ? &p->tick : NULL);
		if (err < 0)
			goto fail;
		p->nmarkers = err;
		if (cfg->tick_hz > 0 && !p->tick && cfg->verbose)
			fprintf(stderr, "rxcalibrate: no tick sampler here (%s): cpu-clock perf "
				"events at %d Hz\n",
				tp == RXC_NONE ? "no BTF or raw tracepoints"
					       : "tick_nohz_handler/tick_sched_timer or "
						 "hrtimer_interrupt not in /proc/kallsyms",
				cfg->sample_hz > 0 ? cfg->sample_hz : 1000);
	}

	vmlinux = btf__load_vmlinux_btf();
	nkfree = tp_nargs(vmlinux, "kfree_skb");

	bpf_object__for_each_program(prog, p->skel->obj) {
		const char *name = bpf_program__name(prog);
		bool on = false;
		int s;

		if (!strcmp(name, "rxs_sample")) {
			on = sampling && !p->tick;
		} else if (!strncmp(name, "rxs_tick", 8)) {
			on = sampling && p->tick && ends_with(name, tp_suffix);
		} else if ((s = span_prog_stage(name, "fentry_")) >= 0 ||
			   (s = span_prog_stage(name, "fexit_")) >= 0) {
			on = ch[s].method == RXC_FENTRY && f->fn[s];
			if (on)
				bpf_program__set_attach_target(prog, 0, f->fn[s]);
		} else if ((s = span_prog_stage(name, "kprobe_")) >= 0 ||
			   (s = span_prog_stage(name, "kretprobe_")) >= 0) {
			on = ch[s].method == RXC_KPROBE && f->fn[s];
		} else if (!strncmp(name, "fentry_", 7) || !strncmp(name, "fexit_", 6) ||
			   !strncmp(name, "kprobe_", 7) || !strncmp(name, "kretprobe_", 10)) {
			on = false;	/* app spans: the syscall tracepoints do it */
		} else if (tp != RXC_NONE && ends_with(name, tp_suffix)) {
			on = true;
			if (!strncmp(name, "kfree_skb", 9) && nkfree < 3)
				on = false;	/* this kernel's kfree_skb has no reason */
			if (!strncmp(name, "irq_", 4) && !cfg->nirqs)
				on = false;
			if ((!strncmp(name, "gro_", 4) || !strncmp(name, "netrx_", 6)) && !cfg->detail)
				on = false;	/* per-packet counts: detail mode only */
			if (!strncmp(name, "sched_", 6) && cfg->lean)
				on = false;	/* per context switch: not in the lean set */
		}
		bpf_program__set_autoload(prog, on);
		if (on && (err = check_prog(prog, name, vmlinux)))
			goto fail;
	}
	btf__free(vmlinux);
	vmlinux = NULL;

	err = rxstage_bpf__load(p->skel);
	if (err)
		goto fail;
	/* xorshift32 must not start at 0 (it would stay there) */
	for (int c = 0; c < RXS_MAX_CPUS; c++)
		p->skel->bss->rxs_states[c].rng = 0x9e3779b9u ^ (__u32)(c * 0x85ebca6bu);

	bpf_object__for_each_program(prog, p->skel->obj) {
		const char *name = bpf_program__name(prog);
		int s;

		if (!bpf_program__autoload(prog) || !strcmp(name, "rxs_sample"))
			continue;
		if (!strncmp(name, "softirq_", 8)) {
			p->sirq_progs = true;
			if (p->lean) {	/* attached in slices (probes__sirq_slice) */
				p->slice_prog[1 + !strncmp(name, "softirq_exit", 12)] = prog;
				continue;
			}
		}
		if (!strncmp(name, "napi_poll", 9) && p->lean) {
			p->slice_prog[0] = prog;	/* slices too: polls from the XDP count */
			continue;
		}
		if ((s = span_prog_stage(name, "kprobe_")) >= 0)
			err = add_link(p, bpf_program__attach_kprobe(prog, false, f->fn[s]));
		else if ((s = span_prog_stage(name, "kretprobe_")) >= 0)
			err = add_link(p, bpf_program__attach_kprobe(prog, true, f->fn[s]));
		else if (rxc_fault("attach") && !strcmp(rxc_fault("attach"), name))
			err = add_link(p, bpf_program__attach_raw_tracepoint(prog, RXC_FAULT_NO_TP));
		else
			err = add_link(p, bpf_program__attach(prog));
		if (err) {
			snprintf(why_failed, sizeof(why_failed), "attaching program %s (%s): %s", name,
				 bpf_program__section_name(prog), strerror(-err));
			goto fail;
		}
	}

	if (sampling && p->tick) {
		p->period_ns = 1000000000 / cfg->tick_hz;
	} else if (sampling) {
		int hz = cfg->sample_hz > 0 ? cfg->sample_hz : 1000;
		p->period_ns = 1000000000 / hz;
		p->pfds = malloc((size_t)p->ncpu * sizeof(int));
		if (!p->pfds) {
			err = -ENOMEM;
			goto fail;
		}
		for (int c = 0; c < p->ncpu; c++) {
			struct perf_event_attr a = { .size = sizeof(a), .type = PERF_TYPE_SOFTWARE,
						     .config = PERF_COUNT_SW_CPU_CLOCK,
						     .sample_period = (__u64)p->period_ns };
			p->pfds[c] = (int)syscall(__NR_perf_event_open, &a, -1, c, -1,
						  PERF_FLAG_FD_CLOEXEC);
			if (p->pfds[c] < 0)
				continue;	/* offline CPU */
			err = add_link(p, bpf_program__attach_perf_event(p->skel->progs.rxs_sample,
									  p->pfds[c]));
			if (err)
				goto fail;
		}
	}
	*out = p;
	return 0;
fail:
	btf__free(vmlinux);
	probes__destroy(p);
	return err;
}

static int prog_event(const char *name)
{
	static const struct {
		const char *prefix;
		int ev;
	} map[] = {
		{ "softirq_", RXS_EV_SOFTIRQ }, { "irq_", RXS_EV_IRQ },
		{ "napi_poll", RXS_EV_NAPI_POLL }, { "gro_", RXS_EV_GRO },
		{ "netrx_", RXS_EV_NETRX }, { "kfree_skb", RXS_EV_KFREE },
		{ "rxs_sample", RXS_EV_SAMPLE }, { "rxs_tick", RXS_EV_SAMPLE },
		{ "fentry_", RXS_EV_FN }, { "fexit_", RXS_EV_FN },
		{ "kprobe_", RXS_EV_FN }, { "kretprobe_", RXS_EV_FN },
		{ "sched_waking", RXS_EV_WAKING }, { "sched_switch", RXS_EV_SWITCH },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strncmp(name, map[i].prefix, strlen(map[i].prefix)))
			return map[i].ev;
	return -1;
}

/* From /proc/softirqs so far: invocations of every vector on every CPU (*total), NET_RX ones on
 * every CPU (*netrx) and on CPU @cpu (*netrx_cpu; 0 for cpu < 0). All 0 if unreadable. The
 * columns are the possible CPUs in order, as the header line names them. */
static void softirqs_read(int cpu, uint64_t *total, uint64_t *netrx, uint64_t *netrx_cpu)
{
	char line[4096], *tok, *sp, *colon;
	FILE *f = fopen("/proc/softirqs", "r");

	*total = *netrx = *netrx_cpu = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		bool is_netrx;
		int col = 0;

		colon = strchr(line, ':');
		if (!colon)
			continue;	/* the CPU header */
		*colon = 0;
		tok = line + strspn(line, " ");
		is_netrx = !strcmp(tok, "NET_RX");
		tok = strtok_r(colon + 1, " \n", &sp);
		for (; tok; tok = strtok_r(NULL, " \n", &sp), col++) {
			uint64_t v = strtoull(tok, NULL, 10);

			*total += v;
			if (is_netrx) {
				*netrx += v;
				if (col == cpu)
					*netrx_cpu = v;
			}
		}
	}
	fclose(f);
}

void probes__snapshot(struct probes *p, struct probes_snap *s)
{
	const __u64 *src;
	__u64 *dst = (__u64 *)&s->sum;
	size_t words = sizeof(struct rxs_cpu) / sizeof(__u64);
	struct bpf_program *prog;
	int ncpu = p->ncpu < RXS_MAX_CPUS ? p->ncpu : RXS_MAX_CPUS;
	uint64_t total;

	memset(s, 0, sizeof(*s));
	s->t_ns = now_ns();
	for (int c = 0; c < ncpu; c++) {
		src = (const __u64 *)&p->skel->bss->rxs_cpus[c];
		for (size_t w = 0; w < words; w++)
			dst[w] += __atomic_load_n(&src[w], __ATOMIC_RELAXED);
	}
	for (int c = 0; c < ncpu; c++)
		s->other_ns[c] = __atomic_load_n(&p->skel->bss->rxs_other_ns[c], __ATOMIC_RELAXED);
	softirqs_read(p->sirq_cpu, &total, &s->netrx_all, &s->netrx_cpu);
	/* each softirq runs the entry and the exit program once; in lean mode only in the slices,
	 * where the programs' NET_RX count is about half their runs */
	if (p->lean)
		s->sum.ev[RXS_EV_SOFTIRQ] = 2 * s->sum.sirq_calls_all;
	else if (p->sirq_progs)
		s->sum.ev[RXS_EV_SOFTIRQ] = 2 * total;
	bpf_object__for_each_program(prog, p->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int ev = prog_event(bpf_program__name(prog));

		if (ev < 0 || !bpf_program__autoload(prog) || bpf_program__fd(prog) < 0)
			continue;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		s->run_ns[ev] += info.run_time_ns;
		s->run_cnt[ev] += info.run_cnt;
	}
}

int probes__sample_period_ns(const struct probes *p)
{
	return p->period_ns;
}

int probes__nr_markers(const struct probes *p)
{
	return p->nmarkers;
}

bool probes__lean(const struct probes *p)
{
	return p->lean;
}

bool probes__tick(const struct probes *p)
{
	return p->tick;
}

bool probes__stats_on(const struct probes *p)
{
	return p->stats_fd >= 0;
}

void probes__set_thread(struct probes *p, enum rxs_thread t, int tid)
{
	if (t < RXS_THREADS)
		__atomic_store_n(&p->skel->bss->rxs_thread_tid[t], (__u32)(tid > 0 ? tid : 0),
				 __ATOMIC_RELAXED);
}

void probes__set_workload(struct probes *p, int tid)
{
	__atomic_store_n(&p->skel->bss->rxs_workload_tid, (__u32)(tid > 0 ? tid : 0),
			 __ATOMIC_RELAXED);
}

bool probes__other_on(const struct probes *p)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->skel->obj)
		if (!strncmp(bpf_program__name(prog), "sched_switch", 12) &&
		    bpf_program__autoload(prog))
			return true;
	return false;
}

int probes__stats(struct probes *p, bool on)
{
	if (on && p->stats_fd < 0) {
		p->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (p->stats_fd < 0)
			return p->stats_fd;
	} else if (!on && p->stats_fd >= 0) {
		close(p->stats_fd);
		p->stats_fd = -1;
	}
	return 0;
}

int probes__sirq_slice(struct probes *p, bool on)
{
	int err = 0;

	if (!p->lean)
		return 0;
	if (on && !p->slice_link[0]) {
		/* spans entered before the last detach must not be closed now */
		__atomic_add_fetch(&p->skel->bss->sirq_gen, 1, __ATOMIC_RELAXED);
		for (int i = 0; i < 3 && !err; i++) {
			p->slice_link[i] = p->slice_prog[i] ? bpf_program__attach(p->slice_prog[i])
							    : NULL;
			if (!p->slice_link[i])
				err = -errno ? -errno : -ENOENT;
		}
		if (!err)
			return 0;
	}
	for (int i = 2; i >= 0; i--) {	/* the pair first, napi_poll last */
		bpf_link__destroy(p->slice_link[i]);
		p->slice_link[i] = NULL;
	}
	return err;
}

void probes__destroy(struct probes *p)
{
	if (!p)
		return;
	for (int i = 0; i < 3; i++)
		bpf_link__destroy(p->slice_link[i]);
	for (int i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	free(p->links);
	if (p->pfds) {
		for (int c = 0; c < p->ncpu; c++)
			if (p->pfds[c] >= 0)
				close(p->pfds[c]);
		free(p->pfds);
	}
	rxstage_bpf__destroy(p->skel);
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	free(p);
}

void drop_reason_names(const char *names[RXS_DROP_SLOTS])
{
	static char store[RXS_DROP_SLOTS][48];
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id;

	memset(names, 0, sizeof(names[0]) * RXS_DROP_SLOTS);
	if (!btf)
		return;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (t) {
		const struct btf_enum *e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++, e++) {
			const char *n = btf__name_by_offset(btf, e->name_off);
			if (e->val < 0 || e->val >= RXS_DROP_SLOTS - 1 || !n)
				continue;
			if (!strncmp(n, "SKB_DROP_REASON_", 16))
				n += 16;
			snprintf(store[e->val], sizeof(store[0]), "%s", n);
			names[e->val] = store[e->val];
		}
	}
	btf__free(btf);
}
