/* Types and constants shared by bpf/rxstage.bpf.c and calibrate/ (user side).
 * Counters are per CPU in one .bss array (rxs_cpus[cpu]); only that CPU writes its slot, user space
 * reads snapshots and takes deltas, nothing is reset. Stage indices are enum stage (model/stage.h).
 * "Our" NET_RX: a NET_RX softirq invocation in which a napi_poll of the watched device ran; only
 * those are charged to the softirq row and split among the stages (the all-device figures are kept
 * beside them). In the lean probe set (no softirq programs) "ours" is a NET_RX found on the stack
 * of a sample taken in the anchor thread (rodata sirq_anchor), and the NET_RX and poll counts and
 * times here are those of the slices in which the softirq pair and napi_poll were attached; user
 * space takes the window's NET_RX calls from /proc/softirqs and its frames from the testbed's XDP
 * program (bpf/rxxdp.bpf.c). */
#ifndef RX_BPF_RXSTAGE_H
#define RX_BPF_RXSTAGE_H

#include "stage.h"

#define RXS_MAX_CPUS 128	/* CPUs above this are folded into slot cpu % RXS_MAX_CPUS */
#define RXS_HIST_SLOTS 32	/* log2(ns) of one span */
#define RXS_WORK_SLOTS 65	/* napi_poll work 0..64 (>64 folded into 64) */
#define RXS_MAX_SYMS 128	/* kernel functions that mark a stage in a sampled stack */
/* a marker's stage with this bit: the marker is in the stage's head, before the hook where a
 * rule drops a packet there (tc ingress in ip, the LOCAL_IN netfilter hook in ip_to_transport) */
#define RXS_HEAD 0x100u
#define RXS_STACK_DEPTH 48	/* frames read per sample */
#define RXS_SPAN_DEPTH 8	/* nesting of fentry/kprobe spans per CPU */
#define RXS_DROP_SLOTS 256	/* skb_drop_reason values; larger ones land in the last slot */
#define RXS_MAX_IRQS 16

/* Threads whose exact CPU time (read by user space) anchors the samples taken in them; the tids
 * are written to rxs_thread_tid[] (.bss) by user space, 0 = slot unused. */
enum rxs_thread {
	RXS_TH_NAPI,		/* threaded NAPI kthread of the watched device */
	RXS_TH_RX,		/* the receiving application */
	RXS_TH_TX,		/* the sender */
	RXS_THREADS
};

/* Which program fired; used to charge probe cost to the stage whose time it inflated. */
enum rxs_event {
	RXS_EV_SOFTIRQ,		/* irq:softirq_entry/exit */
	RXS_EV_IRQ,		/* irq:irq_handler_entry/exit */
	RXS_EV_NAPI_POLL,	/* napi:napi_poll */
	RXS_EV_GRO,		/* net:napi_gro_receive_entry */
	RXS_EV_NETRX,		/* net:netif_receive_skb */
	RXS_EV_KFREE,		/* skb:kfree_skb */
	RXS_EV_SAMPLE,		/* perf_event cpu-clock sampler */
	RXS_EV_FN,		/* fentry/fexit or kprobe/kretprobe spans */
	RXS_EV_WAKING,		/* sched:sched_waking, the receiver's only (the others return at once) */
	RXS_EV_SWITCH,		/* sched:sched_switch (the receiver's and the kthread's wake-ups) */
	RXS_EV_COUNT
};

struct rxs_stage {
	__u64 calls;		/* completed spans (span methods) */
	__u64 ns;		/* exclusive span time (span methods) */
	/* samples whose innermost marker is this stage, by where they were taken: */
	__u64 samples_sirq;	/* inside our NET_RX */
	__u64 samples_xsirq;	/* inside a NET_RX that did not poll the watched device */
	__u64 samples_thread[RXS_THREADS];	/* outside NET_RX, in an anchored thread */
	__u64 samples_other;	/* outside NET_RX, anywhere else */
	__u64 samples_head;	/* of all these and samples_xsirq: in the stage's head (RXS_HEAD) */
	__u64 hist[RXS_HIST_SLOTS];
};

/* Threads whose wake-ups are timed, from sched_waking to the sched_switch that runs them. */
enum rxs_waked {
	RXS_WK_RX,		/* the receiver (RXS_TH_RX) */
	RXS_WK_NAPI,		/* the threaded NAPI kthread (RXS_TH_NAPI) */
	RXS_WAKED
};

struct rxs_wake {
	__u64 n;			/* wake-ups */
	__u64 ns;			/* their latency, summed */
	__u64 sq;			/* its square, in (ns / 16)^2 */
	__u64 hist[RXS_HIST_SLOTS];	/* log2(ns) */
};

/* The counters the per-frame programs touch come first, on as few cache lines as possible. */
struct rxs_cpu {
	__u64 sirq_calls;		/* our NET_RX invocations */
	__u64 sirq_timed;		/* of which timed (one in sirq_time_mask + 1) */
	__u64 sirq_ns;			/* their time, entry -> exit, inclusive */
	__u64 sirq_calls_all;		/* every NET_RX invocation */
	__u64 sirq_timed_all;
	__u64 sirq_ns_all;
	__u64 polls;			/* napi_poll of the watched device */
	__u64 poll_work;		/* sum of work (packets) over those polls */
	__u64 polls_full;		/* polls with work == budget (stay scheduled) */
	__u64 sirq_calls_mixed;		/* ours that also polled another device */
	/* program runs per family (bpf_stats is on only in a slice); the softirq pair does not
	 * count itself: its runs are twice the softirq invocations of /proc/softirqs */
	__u64 ev[RXS_EV_COUNT];
	__u64 work_hist[RXS_WORK_SLOTS];
	__u64 samples;			/* all perf samples on this CPU */
	__u64 samples_sirq;		/* of which inside our NET_RX */
	__u64 samples_sirq_all;		/* inside any NET_RX */
	__u64 samples_unattr;		/* no marker function on the stack (anywhere) */
	__u64 samples_unattr_sirq;	/* of which inside our NET_RX */
	__u64 samples_trunc;		/* lean: stack full (RXS_STACK_DEPTH), net_rx_action not in it */
	__u64 samples_thread[RXS_THREADS];	/* every sample taken while that thread ran */
	__u64 gro_pkts;			/* napi_gro_receive_entry of the watched device (detail) */
	__u64 netrx_pkts;		/* net:netif_receive_skb (in __netif_receive_skb_core) (detail) */
	__u64 irqs;
	__u64 drops[RXS_DROP_SLOTS];	/* skb:kfree_skb by reason, all devices */
	/* wake-ups of the receiver and of the NAPI kthread, on the CPU each was switched in on */
	struct rxs_wake wake[RXS_WAKED];
	struct rxs_stage st[STAGE_COUNT];
};

struct span_frame {
	__u32 stage;
	__u64 start;
	__u64 child;
};

/* Per-CPU state the programs share (in .bss, so its type must be visible to the skeleton);
 * user space never reads it, but seeds rng. What every NET_RX touches comes first. */
struct rxs_state {
	__u64 sirq_start;		/* 0: this NET_RX is not timed */
	__u32 in_sirq;
	__u32 polled;			/* this NET_RX polled: bit 0 the device, bit 1 another */
	__u32 rng;			/* xorshift32: which NET_RX invocations are timed */
	__u32 gen;			/* lean: sirq_gen at this NET_RX's entry */
	/* samples taken in this NET_RX, charged at its exit to ours or to the others */
	__u32 pend;
	__u32 pend_unattr;
	__u32 pend_stage[STAGE_COUNT];
	__u64 irq_start;
	__u32 depth;
	struct span_frame stack[RXS_SPAN_DEPTH];
};

#endif
