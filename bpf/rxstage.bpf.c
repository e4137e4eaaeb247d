// SPDX-License-Identifier: GPL-2.0
/* Receive-path stage probes. Everything is aggregated here, per CPU, in rxs_cpus[] (.bss); user
 * space reads snapshots once per step. Three families of programs, enabled per stage by user space
 * (bpf_program__set_autoload) from what the kernel offers:
 *  - tracepoints (tp_btf, else raw_tp): NET_RX softirq spans, napi_poll work, kfree_skb reasons,
 *    hard IRQs; per-packet GRO and netif_receive_skb counts only in detail mode;
 *  - fentry/fexit or kprobe/kretprobe spans on resolved kernel functions, nested per CPU so that
 *    each stage gets its exclusive time;
 *  - a perf_event cpu-clock sampler that attributes each sample to the innermost stage-marker
 *    function on the kernel stack (marker table in rodata, sorted by address). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rxstage.h"

char LICENSE[] SEC("license") = "GPL";

#define NET_RX_VEC 3

/* Cost matters: in softirq NAPI mode every frame is its own NET_RX invocation and poll, so the
 * per-frame programs (softirq entry/exit, napi_poll) do only .bss loads and stores, bpf_ktime_get_ns
 * where a time is needed, and no other helper: the tp_btf variants read kernel structs directly,
 * only the raw_tp fallbacks use bpf_probe_read (BPF_CORE_READ). The programs count their own runs
 * (ev[]; the softirq pair's runs are read from /proc/softirqs instead), because bpf_stats, which
 * costs two clock reads per run of every BPF program, is on only in a slice of each step.
 * What is left per frame is mostly the tracepoint dispatch itself (docs/bench.md#probes). */

/* Tunables, set by user space before load. */
const volatile __u32 rx_ifindex = 0;	/* 0: every device */
const volatile __u32 rx_netns_ino = 0;	/* 0: any namespace */
const volatile __u32 nr_irqs = 0;
const volatile __u32 irqs[RXS_MAX_IRQS] = {};
const volatile __u32 nr_syms = 0;
const volatile __u64 sym_start[RXS_MAX_SYMS] = {};
const volatile __u64 sym_end[RXS_MAX_SYMS] = {};
const volatile __u32 sym_stage[RXS_MAX_SYMS] = {};
const volatile __u32 sirq_time_mask = 0;	/* time one NET_RX in sirq_time_mask + 1 (2^k) */
/* Lean probe set (rxcalibrate --probes lean): the softirq pair and napi_poll are attached only in
 * short slices of each window (user space attaches and detaches them, bumping sirq_gen each time
 * so that a span cut by a detach is never closed by a later exit; the window's frames are the
 * testbed XDP program's count), and the sampler tells NET_RX from the stack:
 * a sample is in NET_RX if net_rx_action ([netrx_start, netrx_end)) is on it, and in "our" NET_RX
 * if it was also taken in anchored thread sirq_anchor (enum rxs_thread; RXS_THREADS: none), on
 * whose back the watched device's NET_RX runs (the sender's, in softirq NAPI mode). */
const volatile __u32 lean = 0;
const volatile __u64 netrx_start = 0;
const volatile __u64 netrx_end = 0;
const volatile __u32 sirq_anchor = RXS_THREADS;
__u32 sirq_gen;

/* Anchored threads (enum rxs_thread); user space writes them after load. */
__u32 rxs_thread_tid[RXS_THREADS];

/* The CPU time of other tasks, per CPU: what ran there between two context switches that was
 * neither idle, nor an anchored thread, nor the --inferred workload (rxs_workload_tid, written by
 * user space). It is the part of the CPU the workload did not get that the testbed did not take
 * (rxcalibrate run --inferred). Counted by sched_switch, so only outside the lean set, and only
 * while a workload is set. */
__u32 rxs_workload_tid;
__u64 rxs_switch_ns[RXS_MAX_CPUS];	/* the last context switch on each CPU; 0: none yet */
__u64 rxs_other_ns[RXS_MAX_CPUS];

struct rxs_cpu rxs_cpus[RXS_MAX_CPUS];

struct rxs_state rxs_states[RXS_MAX_CPUS];

static __always_inline __u32 cpu_slot(void)
{
	return bpf_get_smp_processor_id() & (RXS_MAX_CPUS - 1);
}

static __always_inline __u32 log2l(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static __always_inline void hist_add(__u64 *hist, __u64 ns)
{
	__u32 slot = log2l(ns);

	if (slot >= RXS_HIST_SLOTS)
		slot = RXS_HIST_SLOTS - 1;
	barrier_var(slot);
	hist[slot & (RXS_HIST_SLOTS - 1)]++;
}

/* Counts one program run. */
static __always_inline void event(__u32 cpu, __u32 ev)
{
	if (ev < RXS_EV_COUNT)
		rxs_cpus[cpu].ev[ev]++;
}

/* raw_tp: untyped pointers, read with bpf_probe_read_kernel */
static __always_inline bool dev_match(struct net_device *dev)
{
	if (!rx_ifindex)
		return true;
	if (!dev || BPF_CORE_READ(dev, ifindex) != (int)rx_ifindex)
		return false;
	if (rx_netns_ino && BPF_CORE_READ(dev, nd_net.net, ns.inum) != rx_netns_ino)
		return false;
	return true;
}

/* tp_btf: typed pointers, plain loads (the verifier makes them fault-safe) */
static __always_inline bool dev_match_btf(struct net_device *dev)
{
	if (!rx_ifindex)
		return true;
	if (!dev || dev->ifindex != (int)rx_ifindex)
		return false;
	if (rx_netns_ino && dev->nd_net.net->ns.inum != rx_netns_ino)
		return false;
	return true;
}

/* ---- NET_RX softirq ----
 * Every NET_RX invocation is counted (all devices); it is ours if a napi_poll of the watched
 * device ran in it (napi_poll sets polled), which is known only at its exit: samples taken inside
 * it wait in rxs_state (pend*) and are charged at the exit to our NET_RX or to the others'.
 * With sirq_time_mask (rxcalibrate --net-rx-time-every 2^k) only one invocation in 2^k is timed,
 * chosen by a per-CPU xorshift so that the choice cannot lock onto a period of the traffic; the
 * counts stay exact and user space scales the timed sum by calls / timed calls. */

static __always_inline void flush_pending(struct rxs_cpu *c, struct rxs_state *s, bool ours)
{
	if (ours) {
		c->samples_sirq += s->pend;
		c->samples_unattr_sirq += s->pend_unattr;
	}
	for (__u32 i = 0; i < STAGE_COUNT; i++) {
		if (ours)
			c->st[i].samples_sirq += s->pend_stage[i];
		else
			c->st[i].samples_xsirq += s->pend_stage[i];
		s->pend_stage[i] = 0;
	}
	s->pend = 0;
	s->pend_unattr = 0;
}

/* Runs for every softirq of every vector, so it does as little as it can; it does not count its
 * own runs (user space takes them from /proc/softirqs). */
static __always_inline int on_softirq_entry(unsigned int vec)
{
	struct rxs_state *s;
	__u32 x;

	if (vec != NET_RX_VEC)
		return 0;
	s = &rxs_states[cpu_slot()];
	s->in_sirq = 1;
	s->polled = 0;
	if (lean)
		s->gen = sirq_gen;
	if (sirq_time_mask) {	/* the verifier drops this block when every NET_RX is timed */
		x = s->rng;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		s->rng = x;
		if (x & sirq_time_mask) {
			s->sirq_start = 0;
			return 0;
		}
	}
	s->sirq_start = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_softirq_exit(unsigned int vec)
{
	__u32 cpu;
	struct rxs_state *s;
	struct rxs_cpu *c;
	__u32 ours;
	__u64 d;

	if (vec != NET_RX_VEC)
		return 0;
	cpu = cpu_slot();
	s = &rxs_states[cpu];
	if (!s->in_sirq)
		return 0;	/* attached in the middle of this NET_RX */
	if (lean && s->gen != sirq_gen) {
		s->in_sirq = 0;	/* entered before a detach: its start is stale */
		return 0;
	}
	c = &rxs_cpus[cpu];
	s->in_sirq = 0;
	ours = s->polled & 1;
	c->sirq_calls_all++;
	if (ours) {
		c->sirq_calls++;
		if (s->polled & 2)
			c->sirq_calls_mixed++;
	}
	if (s->sirq_start) {
		d = bpf_ktime_get_ns() - s->sirq_start;
		c->sirq_ns_all += d;
		c->sirq_timed_all++;
		if (ours) {
			c->sirq_ns += d;
			c->sirq_timed++;
		}
	}
	if (s->pend)
		flush_pending(c, s, ours);
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry_btf, unsigned int vec) { return on_softirq_entry(vec); }
SEC("raw_tp/softirq_entry")
int BPF_PROG(softirq_entry_raw, unsigned int vec) { return on_softirq_entry(vec); }
SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit_btf, unsigned int vec) { return on_softirq_exit(vec); }
SEC("raw_tp/softirq_exit")
int BPF_PROG(softirq_exit_raw, unsigned int vec) { return on_softirq_exit(vec); }

/* ---- hard IRQs of the watched device ---- */

static __always_inline bool irq_watched(int irq)
{
	for (__u32 i = 0; i < RXS_MAX_IRQS; i++) {
		if (i >= nr_irqs)
			break;
		if (irqs[i] == (__u32)irq)
			return true;
	}
	return false;
}

static __always_inline int on_irq_entry(int irq)
{
	__u32 cpu = cpu_slot();

	event(cpu, RXS_EV_IRQ);
	if (!irq_watched(irq))
		return 0;
	rxs_states[cpu].irq_start = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_irq_exit(int irq)
{
	__u32 cpu = cpu_slot();
	struct rxs_state *s = &rxs_states[cpu];
	struct rxs_cpu *c = &rxs_cpus[cpu];
	__u64 d;

	event(cpu, RXS_EV_IRQ);
	if (!irq_watched(irq) || !s->irq_start)
		return 0;
	d = bpf_ktime_get_ns() - s->irq_start;
	s->irq_start = 0;
	c->irqs++;
	c->st[STAGE_IRQ].calls++;
	c->st[STAGE_IRQ].ns += d;
	hist_add(c->st[STAGE_IRQ].hist, d);
	return 0;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(irq_entry_btf, int irq) { return on_irq_entry(irq); }
SEC("raw_tp/irq_handler_entry")
int BPF_PROG(irq_entry_raw, int irq) { return on_irq_entry(irq); }
SEC("tp_btf/irq_handler_exit")
int BPF_PROG(irq_exit_btf, int irq) { return on_irq_exit(irq); }
SEC("raw_tp/irq_handler_exit")
int BPF_PROG(irq_exit_raw, int irq) { return on_irq_exit(irq); }

/* ---- NAPI polls ---- */

static __always_inline int on_napi_poll(bool match, int work, int budget)
{
	__u32 cpu = cpu_slot();
	struct rxs_cpu *c = &rxs_cpus[cpu];
	__u32 slot;

	event(cpu, RXS_EV_NAPI_POLL);
	if (!match) {
		rxs_states[cpu].polled |= 2;
		return 0;
	}
	rxs_states[cpu].polled |= 1;
	c->polls++;
	if (work > 0)
		c->poll_work += work;
	if (work >= budget)
		c->polls_full++;
	slot = work < 0 ? 0 : (__u32)work;
	if (slot >= RXS_WORK_SLOTS)
		slot = RXS_WORK_SLOTS - 1;
	barrier_var(slot);
	if (slot < RXS_WORK_SLOTS)
		c->work_hist[slot]++;
	return 0;
}

SEC("tp_btf/napi_poll")
int BPF_PROG(napi_poll_btf, struct napi_struct *napi, int work, int budget)
{
	return on_napi_poll(dev_match_btf(napi->dev), work, budget);
}
SEC("raw_tp/napi_poll")
int BPF_PROG(napi_poll_raw, struct napi_struct *napi, int work, int budget)
{
	return on_napi_poll(dev_match(BPF_CORE_READ(napi, dev)), work, budget);
}

/* ---- detail mode: per-packet GRO and netif_receive_skb counts ----
 * Loaded only in detail mode (user space): by default these counts are the napi_poll work, since
 * on the testbed's UDP path every polled frame enters GRO and reaches the protocol layer once. */

/* One event per packet entering GRO: every packet a poll hands up passes here. No exit probe:
 * the GRO time comes from the sampler, and each probe run costs as much as a small stage. */
static __always_inline int on_gro_entry(bool match)
{
	__u32 cpu = cpu_slot();

	event(cpu, RXS_EV_GRO);
	if (match)
		rxs_cpus[cpu].gro_pkts++;
	return 0;
}

SEC("tp_btf/napi_gro_receive_entry")
int BPF_PROG(gro_entry_btf, struct sk_buff *skb) { return on_gro_entry(dev_match_btf(skb->dev)); }
SEC("raw_tp/napi_gro_receive_entry")
int BPF_PROG(gro_entry_raw, struct sk_buff *skb)
{
	return on_gro_entry(dev_match(BPF_CORE_READ(skb, dev)));
}

/* ---- packets reaching the protocol layer ----
 * net:netif_receive_skb fires in __netif_receive_skb_core for every packet, whichever way it came
 * (the netif_receive_skb*_entry/_exit pairs fire only in the exported netif_receive_skb*() API,
 * which the GRO flush path, gro_normal_list -> netif_receive_skb_list_internal, does not take). */
static __always_inline int on_netrx_core(bool match)
{
	__u32 cpu = cpu_slot();

	event(cpu, RXS_EV_NETRX);
	if (match)
		rxs_cpus[cpu].netrx_pkts++;
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(netrx_core_btf, struct sk_buff *skb) { return on_netrx_core(dev_match_btf(skb->dev)); }
SEC("raw_tp/netif_receive_skb")
int BPF_PROG(netrx_core_raw, struct sk_buff *skb)
{
	return on_netrx_core(dev_match(BPF_CORE_READ(skb, dev)));
}

/* ---- wake-ups of the receiver and of the threaded NAPI kthread ----
 * From sched_waking, which fires on the waker's CPU when try_to_wake_up() finds the receiver
 * asleep (once per sleep: a second waker finds it no longer sleeping), to the sched_switch that
 * puts it on a CPU: the wake-up IPI, the idle exit of a halted vCPU and the wait in the run
 * queue, the delay rxmodel's cpu.idle_exit_us stands for. The same for the NAPI kthread, which
 * veth_xmit wakes from the sender's CPU in threaded mode. Both programs run for every task on
 * the machine and return at once for others; their runs are counted as probe cost. */
__u64 waking_ns[RXS_WAKED];	/* when each timed thread's pending wake-up began; 0: none */

/* The tid of timed thread @w (enum rxs_waked); 0: none */
static __always_inline __u32 waked_tid(int w)
{
	return rxs_thread_tid[w == RXS_WK_RX ? RXS_TH_RX : RXS_TH_NAPI];
}

static __always_inline int on_waking(__u32 pid)
{
#pragma unroll
	for (int w = 0; w < RXS_WAKED; w++) {
		__u32 tid = waked_tid(w);

		if (!tid || pid != tid)
			continue;
		/* counted only for the receiver: its wakings run in the socket enqueue
		 * (transport), whose measured time they inflate; the kthread's run in veth_xmit on
		 * the sender's CPU, outside the receive stages; the others return at once */
		if (w == RXS_WK_RX)
			event(cpu_slot(), RXS_EV_WAKING);
		waking_ns[w] = bpf_ktime_get_ns();
	}
	return 0;
}

/* One wake-up of latency now - @t0 into @w. */
static __always_inline void wake_add(struct rxs_wake *w, __u64 t0)
{
	__u64 d = bpf_ktime_get_ns() - t0;

	if (d > 1000000000ull)
		d = 1000000000ull;	/* (d >> 4)^2 stays far from overflow */
	w->n++;
	w->ns += d;
	w->sq += (d >> 4) * (d >> 4);
	hist_add(w->hist, d);
}

/* Kernels before 5.14 name the task's state 'state' (CO-RE picks the field that exists). */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

/* The state of @t, a task being switched out: 0 (TASK_RUNNING) when it is not going to sleep. */
static __always_inline long switch_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/* Context switch on CPU slot @cpu away from @prev_pid: its run is other tasks' time unless it is
 * idle (pid 0), an anchored thread or the workload. */
static __always_inline void other_add(__u32 cpu, __u32 prev_pid)
{
	__u64 now = bpf_ktime_get_ns(), t0 = rxs_switch_ns[cpu];
	bool ours = !prev_pid || prev_pid == rxs_workload_tid;

#pragma unroll
	for (int t = 0; t < RXS_THREADS; t++)
		if (prev_pid == rxs_thread_tid[t])
			ours = true;
	if (t0 && !ours && now > t0)
		rxs_other_ns[cpu] += now - t0;
	rxs_switch_ns[cpu] = now;
}

static __always_inline int on_switch(bool preempt, __u32 prev_pid, __u32 next_pid, long prev_state)
{
	__u32 cpu = cpu_slot();
	struct rxs_cpu *c = &rxs_cpus[cpu];
	__u64 t0;

	event(cpu, RXS_EV_SWITCH);
	if (rxs_workload_tid)	/* only --inferred reads it: no clock read per switch otherwise */
		other_add(cpu, prev_pid);
#pragma unroll
	for (int w = 0; w < RXS_WAKED; w++) {
		__u32 tid = waked_tid(w);

		if (!tid)
			continue;
		/* switched out while runnable (preempted, or calling schedule() after a waker had
		 * set it running again between its setting a sleeping state and the switch): a
		 * waking seen before was of a thread that never slept, which is no wake-up. Not
		 * on a switch out to sleep: a waker may already be waiting for that switch to
		 * complete. */
		if (prev_pid == tid && (preempt || prev_state == 0))
			waking_ns[w] = 0;
		if (next_pid != tid)
			continue;
		t0 = waking_ns[w];
		if (t0) {	/* else back from a preemption, not from a sleep */
			waking_ns[w] = 0;
			wake_add(&c->wake[w], t0);
		}
	}
	return 0;
}

/* The state of switched-out task @prev, read only for the timed threads (every switch of the
 * machine runs the programs below); 1 (not running) for the others. */
static __always_inline long timed_state(struct task_struct *prev, __u32 pid)
{
	return pid && (pid == rxs_thread_tid[RXS_TH_RX] || pid == rxs_thread_tid[RXS_TH_NAPI]) ?
		       switch_state(prev) : 1;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(sched_waking_btf, struct task_struct *p) { return on_waking(p->pid); }
SEC("raw_tp/sched_waking")
int BPF_PROG(sched_waking_raw, struct task_struct *p) { return on_waking(BPF_CORE_READ(p, pid)); }
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 pid = prev->pid;

	return on_switch(preempt, pid, next->pid, timed_state(prev, pid));
}
SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 pid = BPF_CORE_READ(prev, pid);

	return on_switch(preempt, pid, BPF_CORE_READ(next, pid), timed_state(prev, pid));
}

/* ---- drops ----
 * Context switches are counted from /proc/stat ctxt, the same count (rq->nr_switches is
 * incremented where sched_switch fires); sched_switch is probed for the receiver's and the
 * kthread's wake-ups and for other tasks' time (above). The receiver's recvmmsg calls are counted by the
 * receiver itself (calibrate/traffic.c), not by a syscall tracepoint. */

static __always_inline int on_kfree_skb(int reason)
{
	__u32 cpu = cpu_slot();
	__u32 slot = reason < 0 ? RXS_DROP_SLOTS - 1 : (__u32)reason;

	event(cpu, RXS_EV_KFREE);
	if (slot >= RXS_DROP_SLOTS)
		slot = RXS_DROP_SLOTS - 1;
	barrier_var(slot);
	rxs_cpus[cpu].drops[slot & (RXS_DROP_SLOTS - 1)]++;
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf, struct sk_buff *skb, void *location, int reason)
{
	return on_kfree_skb(reason);
}
SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw, struct sk_buff *skb, void *location, int reason)
{
	return on_kfree_skb(reason);
}

/* ---- function spans (fentry/fexit, kprobe/kretprobe), nested per CPU ---- */

static __always_inline void span_enter(__u32 stage)
{
	__u32 cpu = cpu_slot();
	struct rxs_state *s = &rxs_states[cpu];
	__u32 d = s->depth;

	event(cpu, RXS_EV_FN);
	if (d >= RXS_SPAN_DEPTH)
		return;
	s->stack[d].stage = stage;
	s->stack[d].start = bpf_ktime_get_ns();
	s->stack[d].child = 0;
	s->depth = d + 1;
}

static __always_inline void span_exit(__u32 stage)
{
	__u32 cpu = cpu_slot();
	struct rxs_state *s = &rxs_states[cpu];
	struct rxs_cpu *c = &rxs_cpus[cpu];
	__u32 d = s->depth;
	__u64 incl, excl;

	event(cpu, RXS_EV_FN);
	if (d == 0 || d > RXS_SPAN_DEPTH || stage >= STAGE_COUNT)
		return;
	d--;
	if (s->stack[d].stage != stage) {
		/* attached mid-flight or unbalanced: drop the stack rather than mis-charge */
		s->depth = 0;
		return;
	}
	incl = bpf_ktime_get_ns() - s->stack[d].start;
	excl = incl > s->stack[d].child ? incl - s->stack[d].child : 0;
	s->depth = d;
	if (d > 0)
		s->stack[d - 1].child += incl;
	barrier_var(stage);
	if (stage >= STAGE_COUNT)
		return;
	c->st[stage].calls++;
	c->st[stage].ns += excl;
	hist_add(c->st[stage].hist, excl);
}

/* One entry and one exit program per stage and per method; user space sets the attach target
 * (bpf_program__set_attach_target / attach_kprobe) to the function it resolved. */
#define SPAN_PROGS(name, STAGE)                                                                  \
	SEC("fentry/net_rx_action")                                                               \
	int BPF_PROG(fentry_##name) { span_enter(STAGE); return 0; }                              \
	SEC("fexit/net_rx_action")                                                                \
	int BPF_PROG(fexit_##name) { span_exit(STAGE); return 0; }                                \
	SEC("kprobe")                                                                             \
	int BPF_KPROBE(kprobe_##name) { span_enter(STAGE); return 0; }                            \
	SEC("kretprobe")                                                                          \
	int BPF_KRETPROBE(kretprobe_##name) { span_exit(STAGE); return 0; }

SPAN_PROGS(softirq, STAGE_SOFTIRQ)
SPAN_PROGS(poll, STAGE_POLL)
SPAN_PROGS(gro, STAGE_GRO)
SPAN_PROGS(skb_prep, STAGE_SKB_PREP)
SPAN_PROGS(ip, STAGE_IP)
SPAN_PROGS(ip_to_transport, STAGE_IP_TO_TRANSPORT)
SPAN_PROGS(transport, STAGE_TRANSPORT)
SPAN_PROGS(app, STAGE_APP)

/* ---- perf_event sampler: stage of the innermost marker on the kernel stack ---- */

static __always_inline int sym_stage_of(__u64 ip)
{
	__u32 lo = 0, hi = nr_syms, mid;

	if (hi > RXS_MAX_SYMS)
		hi = RXS_MAX_SYMS;
	for (int k = 0; k < 8; k++) {
		if (lo >= hi)
			break;
		mid = (lo + hi) / 2;
		if (mid >= RXS_MAX_SYMS)
			break;
		if (ip < sym_start[mid])
			hi = mid;
		else if (ip >= sym_end[mid])
			lo = mid + 1;
		else
			return sym_stage[mid];
	}
	return -1;
}

__u64 sample_ips[RXS_MAX_CPUS][RXS_STACK_DEPTH];

/* The two stack scans are global functions, so the verifier checks each once, for any CPU and
 * depth, instead of once per path through the sampler (inlined, their exits multiply). */

/* The stage of the innermost marker among the @n frames in sample_ips[@cpu], or -1. */
__noinline int stack_stage(__u32 cpu, int n)
{
	__u64 *ips = sample_ips[cpu & (RXS_MAX_CPUS - 1)];
	int stage;

	for (int i = 0; i < RXS_STACK_DEPTH; i++) {
		if (i >= n)
			break;
		stage = sym_stage_of(ips[i]);
		if (stage >= 0)
			return stage;
	}
	return -1;
}

/* Whether net_rx_action is among the @n frames in sample_ips[@cpu]. */
__noinline int stack_has_netrx(__u32 cpu, int n)
{
	__u64 *ips = sample_ips[cpu & (RXS_MAX_CPUS - 1)];

	for (int i = 0; i < RXS_STACK_DEPTH; i++) {
		if (i >= n)
			break;
		if (ips[i] >= netrx_start && ips[i] < netrx_end)
			return 1;
	}
	return 0;
}

static __always_inline int thread_slot(__u32 tid)
{
	for (int t = 0; t < RXS_THREADS; t++)
		if (tid && rxs_thread_tid[t] == tid)
			return t;
	return -1;
}

/* Tick sampler: the timer interrupt's hrtimer_interrupt ([hrtimer_irq_start, hrtimer_irq_end)),
 * set by user space. The frames above it on a tick's stack (this program's own JIT image, which
 * the marker table, read before the load, does not know; the tracepoint; the hrtimer queue) are
 * the sampler's, the interrupted code starts below it. */
const volatile __u64 hrtimer_irq_start = 0;
const volatile __u64 hrtimer_irq_end = 0;

/* Clears the frames of the @n in sample_ips[@cpu] down to hrtimer_interrupt's (none if it is not
 * there), so that no marker matches among them. */
__noinline int stack_clear_timer(__u32 cpu, int n)
{
	__u64 *ips = sample_ips[cpu & (RXS_MAX_CPUS - 1)];
	int k = -1;

	for (int i = 0; i < RXS_STACK_DEPTH; i++) {
		if (i >= n)
			break;
		if (ips[i] >= hrtimer_irq_start && ips[i] < hrtimer_irq_end) {
			k = i;
			break;
		}
	}
	for (int i = 0; i < RXS_STACK_DEPTH; i++) {
		if (i > k)
			break;
		ips[i] = 0;
	}
	return 0;
}

/* One stack sample: from the cpu-clock perf event (@ctx its bpf_perf_event_data; the stack starts
 * at the interrupted instruction) or from the scheduler tick (@tick; @ctx the
 * hrtimer_expire_entry tracepoint's: the stack starts in this program and runs through the timer
 * interrupt into the interrupted frames, which carry the markers). */
static __always_inline int on_sample(void *ctx, bool tick)
{
	__u32 cpu = cpu_slot();
	struct rxs_cpu *c = &rxs_cpus[cpu];
	struct rxs_state *s = &rxs_states[cpu];
	__u64 *ips = sample_ips[cpu];
	__u64 si = STAGE_COUNT;		/* the stage, STAGE_COUNT: no marker on the stack (64-bit:
					 * no zero-extended copies the verifier cannot tie) */
	bool netrx = false, head = false;
	int th;
	long n;

	c->samples++;
	th = thread_slot((__u32)bpf_get_current_pid_tgid());
	if (th >= 0 && th < RXS_THREADS)
		c->samples_thread[th]++;
	n = bpf_get_stack(ctx, ips, RXS_STACK_DEPTH * sizeof(__u64), 0);
	if (n > 0) {
		n /= sizeof(__u64);
		if (tick)
			stack_clear_timer(cpu, (int)n);
		si = (__u32)stack_stage(cpu, (int)n);
		if (si != (__u32)-1 && (si & RXS_HEAD)) {
			head = true;
			si &= ~(__u64)RXS_HEAD;
		}
		netrx = lean && stack_has_netrx(cpu, (int)n);
		if (lean && !netrx && n >= RXS_STACK_DEPTH)
			c->samples_trunc++;
	}
	/* the verifier must see the bound where each index is used */
	barrier_var(si);
	if (si >= STAGE_COUNT) {
		c->samples_unattr++;
		si = STAGE_COUNT;
	}
	barrier_var(si);
	if (head && si < STAGE_COUNT)
		c->st[si].samples_head++;
	barrier_var(si);
	if (lean && netrx) {
		/* ours: in NET_RX on the back of the anchor thread; else another NET_RX */
		c->samples_sirq_all++;
		if (th >= 0 && th == (int)sirq_anchor) {
			c->samples_sirq++;
			if (si < STAGE_COUNT)
				c->st[si].samples_sirq++;
			else
				c->samples_unattr_sirq++;
		} else if (si < STAGE_COUNT) {
			c->st[si].samples_xsirq++;
		}
		return 0;
	}
	if (!lean && s->in_sirq) {
		/* whose NET_RX this is is known at its exit (on_softirq_exit) */
		c->samples_sirq_all++;
		s->pend++;
		if (si < STAGE_COUNT)
			s->pend_stage[si]++;
		else
			s->pend_unattr++;
		return 0;
	}
	if (si >= STAGE_COUNT)
		return 0;
	if (th >= 0 && th < RXS_THREADS)
		c->st[si].samples_thread[th]++;
	else
		c->st[si].samples_other++;
	return 0;
}

SEC("perf_event")
int rxs_sample(struct bpf_perf_event_data *ctx)
{
	event(cpu_slot(), RXS_EV_SAMPLE);
	return on_sample(ctx, false);
}

/* Tick sampler: the kernel's own scheduler tick (HZ per busy CPU, stopped on idle ones) is the
 * sample clock, so sampling adds no timer interrupt, only this program's run in each tick. Every
 * other hrtimer expiry returns at the comparison; each run counts as a sampler event (bpf_stats' mean
 * cost per run then times the runs is the sampler's whole cost). tick_fn: the tick's hrtimer function
 * (tick_nohz_handler, or tick_sched_timer before 6.9), set by user space. */
const volatile __u64 tick_fn = 0;

SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(rxs_tick_btf, struct hrtimer *t)
{
	event(cpu_slot(), RXS_EV_SAMPLE);
	if ((__u64)t->function != tick_fn)
		return 0;
	return on_sample(ctx, true);
}
SEC("raw_tp/hrtimer_expire_entry")
int BPF_PROG(rxs_tick_raw, struct hrtimer *t)
{
	event(cpu_slot(), RXS_EV_SAMPLE);
	if ((__u64)BPF_CORE_READ(t, function) != tick_fn)
		return 0;
	return on_sample(ctx, true);
}
