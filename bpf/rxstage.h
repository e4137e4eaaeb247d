/* Types and constants shared by bpf/rxstage.bpf.c and calibrate/ (user side).
 * Counters are per CPU in one .bss array (rxs_cpus[cpu]); only that CPU writes its slot, user space
 * reads snapshots and takes deltas, nothing is reset. Stage indices are enum stage (model/stage.h). */
#ifndef RX_BPF_RXSTAGE_H
#define RX_BPF_RXSTAGE_H

#include "stage.h"

#define RXS_MAX_CPUS 128	/* CPUs above this are folded into slot cpu % RXS_MAX_CPUS */
#define RXS_HIST_SLOTS 32	/* log2(ns) of one span */
#define RXS_WORK_SLOTS 65	/* napi_poll work 0..64 (>64 folded into 64) */
#define RXS_MAX_SYMS 128	/* kernel functions that mark a stage in a sampled stack */
#define RXS_STACK_DEPTH 32	/* frames read per sample */
#define RXS_SPAN_DEPTH 8	/* nesting of fentry/kprobe spans per CPU */
#define RXS_DROP_SLOTS 256	/* skb_drop_reason values; larger ones land in the last slot */
#define RXS_MAX_IRQS 16

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
	RXS_EV_COUNT
};

struct rxs_stage {
	__u64 calls;		/* completed spans (span methods) */
	__u64 ns;		/* exclusive span time (span methods) */
	__u64 samples_sirq;	/* samples whose innermost marker is this stage, inside NET_RX */
	__u64 samples_other;	/* same, outside NET_RX softirq (threaded NAPI, syscalls, ...) */
	__u64 hist[RXS_HIST_SLOTS];
};

struct rxs_cpu {
	struct rxs_stage st[STAGE_COUNT];
	__u64 sirq_calls;		/* NET_RX softirq invocations */
	__u64 sirq_ns;			/* NET_RX softirq time, entry -> exit, inclusive */
	__u64 samples;			/* all perf samples on this CPU */
	__u64 samples_sirq;		/* of which inside NET_RX */
	__u64 samples_unattr;		/* no marker function on the stack */
	__u64 samples_unattr_sirq;
	__u64 polls;			/* napi_poll of the watched device */
	__u64 poll_work;		/* sum of work (packets) over those polls */
	__u64 polls_full;		/* polls with work == budget (stay scheduled) */
	__u64 work_hist[RXS_WORK_SLOTS];
	__u64 gro_pkts;			/* napi_gro_receive_entry of the watched device (detail) */
	__u64 netrx_pkts;		/* net:netif_receive_skb (in __netif_receive_skb_core) (detail) */
	__u64 irqs;
	__u64 ev[RXS_EV_COUNT];		/* program runs (counted here: bpf_stats is on only in a slice) */
	__u64 ev_sirq[RXS_EV_COUNT];	/* program runs inside NET_RX */
	__u64 drops[RXS_DROP_SLOTS];	/* skb:kfree_skb by reason, all devices */
};

struct span_frame {
	__u32 stage;
	__u64 start;
	__u64 child;
};

/* Per-CPU state the programs share (in .bss, so its type must be visible to the skeleton);
 * user space never reads it. */
struct rxs_state {
	__u64 sirq_start;
	__u32 in_sirq;
	__u64 irq_start;
	__u32 depth;
	struct span_frame stack[RXS_SPAN_DEPTH];
};

#endif
