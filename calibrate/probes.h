/* Loading, attaching and reading bpf/rxstage.bpf.c. Lifecycle (libbpf-bootstrap style):
 * probes__open_attach (open -> rodata -> autoload per chosen method -> load -> attach, including
 * one cpu-clock perf event per CPU for the sampler) -> probes__snapshot (any number) ->
 * probes__destroy. Snapshots are cumulative; the sweep takes deltas. */
#ifndef RXC_PROBES_H
#define RXC_PROBES_H

#include <stdbool.h>
#include <stdint.h>

#include "methods.h"
#include "rxstage.h"

struct probes_cfg {
	int rx_ifindex;			/* 0: all devices */
	unsigned int rx_netns_ino;
	int app_tgid;
	int sample_hz;
	const char *xdp_sym;		/* may be NULL */
	const char *extra_poll_fn;	/* driver poll function for the marker table, may be NULL */
	int irqs[RXS_MAX_IRQS];
	int nirqs;
	bool verbose;
};

/* Per-program run statistics (kernel.bpf_stats), summed by event family. */
struct probes_snap {
	struct rxs_cpu sum;			/* all CPUs added up */
	uint64_t run_ns[RXS_EV_COUNT], run_cnt[RXS_EV_COUNT];
	uint64_t t_ns;				/* CLOCK_MONOTONIC at the snapshot */
};

struct probes;

int probes__open_attach(struct probes **out, const struct rxc_features *f,
			const struct rxc_choice ch[STAGE_COUNT], const struct probes_cfg *cfg);
void probes__snapshot(struct probes *p, struct probes_snap *s);
void probes__destroy(struct probes *p);
int probes__sample_period_ns(const struct probes *p);
int probes__nr_markers(const struct probes *p);
bool probes__stats_on(const struct probes *p);

/* Fills names of skb drop reasons from kernel BTF (enum skb_drop_reason); NULL where unknown. */
void drop_reason_names(const char *names[RXS_DROP_SLOTS]);

#endif
