/* methods_select(): pure; covered by tests/calibrate/test_rxc_select.c. */
#include <stdio.h>
#include <string.h>

#include "methods.h"

const char *method_name(enum rxc_method m)
{
	switch (m) {
	case RXC_FENTRY: return "fentry";
	case RXC_KPROBE: return "kprobe";
	case RXC_TP_BTF: return "tp_btf";
	case RXC_RAW_TP: return "raw_tp";
	case RXC_SAMPLE: return "perf_event";
	default: return "none";
	}
}

/* Stages timed by nested function spans. They go all together or not at all: a stage's exclusive
 * time is its span minus the nested spans, which is only right if every inner stage has one. */
static const enum stage span_group[] = { STAGE_SOFTIRQ, STAGE_POLL, STAGE_GRO, STAGE_SKB_PREP,
					 STAGE_IP, STAGE_IP_TO_TRANSPORT, STAGE_TRANSPORT };
#define N_SPAN_GROUP (sizeof(span_group) / sizeof(span_group[0]))

static bool group_resolved(const struct rxc_features *f, bool need_btf, const char **missing)
{
	for (unsigned i = 0; i < N_SPAN_GROUP; i++) {
		enum stage s = span_group[i];
		if (!f->fn[s] || (need_btf && !f->fn_btf[s])) {
			*missing = stage_name(s);
			return false;
		}
	}
	return true;
}

void methods_select(const struct rxc_features *f, struct rxc_choice out[STAGE_COUNT])
{
	enum rxc_method tp = f->tp_btf ? RXC_TP_BTF : f->raw_tp ? RXC_RAW_TP : RXC_NONE;
	enum rxc_method span = RXC_NONE;
	const char *missing = "?";
	char no_span[160];

	memset(out, 0, sizeof(*out) * STAGE_COUNT);
	if (!f->bpf) {
		for (int s = 0; s < STAGE_COUNT; s++)
			snprintf(out[s].why, sizeof(out[s].why), "BPF unavailable");
		return;
	}

	if (f->fentry && group_resolved(f, true, &missing)) {
		span = RXC_FENTRY;
	} else if (f->kprobe && group_resolved(f, false, &missing)) {
		span = RXC_KPROBE;
	} else if (!f->fentry && !f->kprobe) {
		snprintf(no_span, sizeof(no_span), "no fentry (%.60s), no kprobe (%.60s)",
			 f->why_fentry[0] ? f->why_fentry : "refused",
			 f->why_kprobe[0] ? f->why_kprobe : "refused");
	} else {
		snprintf(no_span, sizeof(no_span), "no span function resolved for stage %.40s",
			 missing);
	}

	for (unsigned i = 0; i < N_SPAN_GROUP; i++) {
		enum stage s = span_group[i];
		struct rxc_choice *c = &out[s];

		if (span != RXC_NONE) {
			c->method = span;
			c->calls = span;
			snprintf(c->why, sizeof(c->why), "%s on %s, exclusive of nested stages",
				 span == RXC_FENTRY ? "fentry/fexit" : "kprobe/kretprobe", f->fn[s]);
		} else if (f->perf_event) {
			c->method = RXC_SAMPLE;
			c->calls = tp;
			snprintf(c->why, sizeof(c->why), "%.150s: stack sampling%s%s", no_span,
				 tp != RXC_NONE ? ", calls from " : "",
				 tp != RXC_NONE ? method_name(tp) : "");
		} else {
			c->method = RXC_NONE;
			c->calls = tp;
			snprintf(c->why, sizeof(c->why), "%.150s, no perf_event sampling (%.60s)", no_span,
				 f->why_perf[0] ? f->why_perf : "refused");
		}
	}

	/* xdp: no kernel function of its own; sampled by its JIT symbol, else inside poll. */
	if (span == RXC_NONE && f->perf_event && f->xdp_sym) {
		out[STAGE_XDP].method = RXC_SAMPLE;
		out[STAGE_XDP].calls = tp;
		snprintf(out[STAGE_XDP].why, sizeof(out[STAGE_XDP].why),
			 "stack sampling on the XDP program's JIT symbol; calls = packets");
	} else {
		snprintf(out[STAGE_XDP].why, sizeof(out[STAGE_XDP].why),
			 "counted inside poll (%s)",
			 span != RXC_NONE ? "poll span includes the XDP run" :
			 "XDP program symbol not in kallsyms");
	}

	/* irq: exact tracepoint span, when the device has IRQs. */
	if (!f->dev_irqs) {
		snprintf(out[STAGE_IRQ].why, sizeof(out[STAGE_IRQ].why),
			 "no device hard IRQs known (veth testbed has none)");
	} else if (tp != RXC_NONE) {
		out[STAGE_IRQ].method = out[STAGE_IRQ].calls = tp;
		snprintf(out[STAGE_IRQ].why, sizeof(out[STAGE_IRQ].why),
			 "irq:irq_handler_entry/exit span, device IRQs only");
	} else {
		snprintf(out[STAGE_IRQ].why, sizeof(out[STAGE_IRQ].why), "no tracepoints (%.90s)",
			 f->why_tp);
	}

	/* app: a recvmmsg span would include the time blocked waiting for packets, so the CPU time
	 * comes from sampling the recvmsg path; the span only counts calls. */
	out[STAGE_APP].calls = tp;
	if (f->perf_event) {
		out[STAGE_APP].method = RXC_SAMPLE;
		snprintf(out[STAGE_APP].why, sizeof(out[STAGE_APP].why),
			 "stack sampling on the recvmsg path (a syscall span would include blocking); "
			 "calls counted by the receiver itself");
	} else {
		snprintf(out[STAGE_APP].why, sizeof(out[STAGE_APP].why), "no tracepoints, no sampling");
	}

	/* cs: calls from /proc/stat ctxt (bumped where sched_switch fires), time by sampling. */
	out[STAGE_CS].calls = tp;
	if (f->perf_event) {
		out[STAGE_CS].method = RXC_SAMPLE;
		snprintf(out[STAGE_CS].why, sizeof(out[STAGE_CS].why),
			 "stack sampling in __schedule & co., all CPUs; calls from /proc/stat ctxt");
	} else {
		snprintf(out[STAGE_CS].why, sizeof(out[STAGE_CS].why),
			 "no sampling: only /proc/stat ctxt counts");
	}

	snprintf(out[STAGE_FORWARD].why, sizeof(out[STAGE_FORWARD].why),
		 "not on the local-delivery path measured");
	snprintf(out[STAGE_TX].why, sizeof(out[STAGE_TX].why),
		 "not on the local-delivery path measured");
}
