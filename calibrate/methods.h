/* What the running kernel offers for probing, and the attach method chosen per stage.
 * features_detect() finds out by trying (tiny program loads and attaches); methods_select() is a
 * pure function of the feature set so it can be tested without privileges. */
#ifndef RXC_METHODS_H
#define RXC_METHODS_H

#include <stdbool.h>
#include "stage.h"

enum rxc_method {
	RXC_NONE,
	RXC_FENTRY,	/* fentry/fexit */
	RXC_KPROBE,	/* kprobe/kretprobe */
	RXC_TP_BTF,	/* BTF-typed tracepoint */
	RXC_RAW_TP,	/* raw tracepoint */
	RXC_SAMPLE,	/* perf_event cpu-clock stack sampling */
};

struct rxc_features {
	bool bpf;		/* can load a BPF program at all */
	bool btf;		/* /sys/kernel/btf/vmlinux */
	bool fentry;		/* a fentry program loads and attaches */
	bool kprobe;		/* a kprobe attaches */
	bool tp_btf;
	bool raw_tp;
	bool perf_event;	/* cpu-clock sampling event with a BPF program */
	bool bpf_stats;		/* BPF_ENABLE_STATS (run time per program) */
	/* The function resolved for a stage's span (NULL: none on this kernel); fn_btf[s] says
	 * whether it is also in BTF (fentry needs that). */
	const char *fn[STAGE_COUNT];
	bool fn_btf[STAGE_COUNT];
	bool dev_irqs;		/* the watched device has hard IRQs we know (not veth) */
	bool xdp_sym;		/* the testbed's XDP program is visible in kallsyms */
	char why_fentry[96], why_kprobe[96], why_tp[96], why_perf[96];
};

struct rxc_choice {
	enum rxc_method method;		/* where the stage's time comes from */
	enum rxc_method calls;		/* where its call count comes from */
	char why[256];
};

const char *method_name(enum rxc_method m);

/* Fills @out for every stage; never fails. */
void methods_select(const struct rxc_features *f, struct rxc_choice out[STAGE_COUNT]);

/* Probes the running kernel. Returns 0 (possibly with everything false) or -errno. */
int features_detect(struct rxc_features *f, const char *driver_poll_fn, bool verbose);

/* Candidate kernel functions for a stage's span, newest kernels first. */
const char *const *stage_span_candidates(enum stage s);

#endif
