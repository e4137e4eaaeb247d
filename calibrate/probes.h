/* Loading, attaching and reading bpf/rxstage.bpf.c. Lifecycle (libbpf-bootstrap style):
 * probes__open_attach (open -> rodata -> autoload per chosen method -> load -> attach, including
 * one cpu-clock perf event per CPU for the sampler) -> probes__snapshot (any number) ->
 * probes__destroy. Snapshots are cumulative; the sweep takes deltas. kernel.bpf_stats (run time
 * per program) is off until probes__stats(p, true): it costs two clock reads per run of every BPF
 * program on the host, so the sweep holds it only for a slice of each step. */
#ifndef RXC_PROBES_H
#define RXC_PROBES_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>	/* rxstage.h's __u64 */

#include "ksyms.h"
#include "methods.h"
#include "rxstage.h"

struct probes_cfg {
	int rx_ifindex;			/* 0: all devices */
	unsigned int rx_netns_ino;
	int sample_hz;			/* cpu-clock sampler rate, when not on the tick */
	/* > 0: sample on the scheduler tick of this kernel (its CONFIG_HZ, given here) instead of
	 * cpu-clock perf events, where the tick's hrtimer function and hrtimer_expire_entry exist;
	 * else (or 0) the perf sampler at sample_hz */
	int tick_hz;
	bool detail;			/* also load the per-packet GRO and netif_receive_skb counters */
	const char *xdp_sym;		/* may be NULL */
	const char *extra_poll_fn;	/* driver poll function for the marker table, may be NULL */
	int irqs[RXS_MAX_IRQS];
	int nirqs;
	int sirq_time_shift;		/* time one NET_RX invocation in 2^shift (0: all, <= 16) */
	/* Lean set: the softirq pair and napi_poll attached only in slices (probes__sirq_slice),
	 * so polls, work and the NET_RX spans are those of the slices (the window's frames are the
	 * testbed XDP program's count, sweep.c); which NET_RX a sample is in from its stack
	 * (bpf/rxstage.h). Our NET_RX is the one on the back of thread
	 * slot sirq_anchor (RXS_THREADS: none), whose calls over the window are the NET_RX column
	 * of CPU sirq_cpu in /proc/softirqs (-1: none) */
	bool lean;
	int sirq_anchor;
	int sirq_cpu;
	bool verbose;
};

/* Per-program run statistics (kernel.bpf_stats, only while probes__stats is on), summed by event
 * family; the runs over the whole window are sum.ev[]. */
struct probes_snap {
	struct rxs_cpu sum;			/* all CPUs added up */
	uint64_t run_ns[RXS_EV_COUNT], run_cnt[RXS_EV_COUNT];
	uint64_t t_ns;				/* CLOCK_MONOTONIC at the snapshot */
	uint64_t netrx_cpu, netrx_all;		/* /proc/softirqs NET_RX: cfg sirq_cpu, all CPUs */
	/* per CPU: the CPU time of tasks other than idle, the anchored threads and the workload
	 * (probes__set_workload), ns; 0 where probes__other_on is false */
	uint64_t other_ns[RXS_MAX_CPUS];
};

struct probes;

int probes__open_attach(struct probes **out, const struct rxc_features *f,
			const struct rxc_choice ch[STAGE_COUNT], const struct probes_cfg *cfg);
void probes__snapshot(struct probes *p, struct probes_snap *s);
void probes__destroy(struct probes *p);
/* After probes__open_attach failed: why, in one line naming the program ("" if unknown). */
const char *probes__why(void);
int probes__sample_period_ns(const struct probes *p);
int probes__nr_markers(const struct probes *p);
bool probes__stats_on(const struct probes *p);
bool probes__lean(const struct probes *p);
/* The scheduler tick's hrtimer function in @ks (tick_nohz_handler; tick_sched_timer before 6.9),
 * which the tick sampler recognises the tick by, or NULL. */
const struct ksym *tick_fn_find(const struct ksyms *ks);
/* Whether the sampler runs on the scheduler tick (else on cpu-clock perf events, or none). */
bool probes__tick(const struct probes *p);
/* Lean set: attaches (@on) or detaches napi_poll and the softirq pair; a no-op otherwise.
 * 0 or -errno. */
int probes__sirq_slice(struct probes *p, bool on);
/* Anchors thread slot @t (enum rxs_thread) to kernel tid @tid (0: none) for the sampler. */
void probes__set_thread(struct probes *p, enum rxs_thread t, int tid);
/* The --inferred workload's tid (0: none), whose time is not other tasks' time. */
void probes__set_workload(struct probes *p, int tid);
/* Whether the snapshots count other tasks' CPU time (sched_switch attached: not the lean set). */
bool probes__other_on(const struct probes *p);
/* Enables (BPF_ENABLE_STATS, held by an fd) or releases kernel.bpf_stats; 0 or -errno. */
int probes__stats(struct probes *p, bool on);

/* Fills names of skb drop reasons from kernel BTF (enum skb_drop_reason); NULL where unknown. */
void drop_reason_names(const char *names[RXS_DROP_SLOTS]);

#endif
