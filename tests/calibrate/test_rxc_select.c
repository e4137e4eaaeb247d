/* methods_select(): the attach method per stage for given feature sets. Expected values come from
 * the preference order of DESIGN.md section 5 (fentry, kprobe, tracepoints, stack sampling) and
 * from this machine's probe output (no kprobes, fentry EPERM, tp_btf and perf_event available). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "methods.h"

static const enum stage group[] = { STAGE_SOFTIRQ, STAGE_POLL, STAGE_GRO, STAGE_SKB_PREP,
				    STAGE_IP, STAGE_IP_TO_TRANSPORT, STAGE_TRANSPORT };

static void resolve_all(struct rxc_features *f, bool btf)
{
	static const char *fn[STAGE_COUNT] = {
		[STAGE_SOFTIRQ] = "net_rx_action", [STAGE_POLL] = "veth_poll",
		[STAGE_GRO] = "gro_receive_skb", [STAGE_SKB_PREP] = "napi_complete_done",
		[STAGE_IP] = "netif_receive_skb_list_internal",
		[STAGE_IP_TO_TRANSPORT] = "ip_local_deliver", [STAGE_TRANSPORT] = "udp_rcv",
	};
	for (int s = 0; s < STAGE_COUNT; s++) {
		f->fn[s] = fn[s];
		f->fn_btf[s] = btf && fn[s];
	}
}

static void everything_prefers_fentry(void **state)
{
	struct rxc_features f = { .bpf = true, .btf = true, .fentry = true, .kprobe = true,
				  .tp_btf = true, .raw_tp = true, .perf_event = true };
	struct rxc_choice ch[STAGE_COUNT];

	(void)state;
	resolve_all(&f, true);
	methods_select(&f, ch);
	for (size_t i = 0; i < sizeof(group) / sizeof(group[0]); i++) {
		assert_int_equal(ch[group[i]].method, RXC_FENTRY);
		assert_non_null(strstr(ch[group[i]].why, f.fn[group[i]]));
	}
	/* inside the poll span: no separate xdp figure */
	assert_int_equal(ch[STAGE_XDP].method, RXC_NONE);
	assert_int_equal(ch[STAGE_CS].method, RXC_SAMPLE);
	assert_int_equal(ch[STAGE_CS].calls, RXC_TP_BTF);
}

static void kprobe_when_fentry_refused(void **state)
{
	struct rxc_features f = { .bpf = true, .kprobe = true, .raw_tp = true,
				  .perf_event = true };
	struct rxc_choice ch[STAGE_COUNT];

	(void)state;
	resolve_all(&f, false);
	methods_select(&f, ch);
	for (size_t i = 0; i < sizeof(group) / sizeof(group[0]); i++)
		assert_int_equal(ch[group[i]].method, RXC_KPROBE);
	assert_int_equal(ch[STAGE_APP].calls, RXC_RAW_TP);
}

static void fentry_needs_btf_for_every_stage(void **state)
{
	struct rxc_features f = { .bpf = true, .fentry = true, .kprobe = true, .tp_btf = true,
				  .perf_event = true };
	struct rxc_choice ch[STAGE_COUNT];

	(void)state;
	resolve_all(&f, true);
	f.fn_btf[STAGE_POLL] = false;	/* driver in a module without BTF */
	methods_select(&f, ch);
	for (size_t i = 0; i < sizeof(group) / sizeof(group[0]); i++)
		assert_int_equal(ch[group[i]].method, RXC_KPROBE);
}

/* This machine: kernel 6.18, fentry EPERM, no kprobe PMU, tp_btf + perf_event. */
static void this_machine_samples(void **state)
{
	struct rxc_features f = { .bpf = true, .btf = true, .tp_btf = true, .raw_tp = true,
				  .perf_event = true, .xdp_sym = true };
	struct rxc_choice ch[STAGE_COUNT];

	(void)state;
	resolve_all(&f, true);
	strcpy(f.why_fentry, "load: Operation not permitted");
	strcpy(f.why_kprobe, "no kprobe PMU");
	methods_select(&f, ch);
	for (size_t i = 0; i < sizeof(group) / sizeof(group[0]); i++) {
		assert_int_equal(ch[group[i]].method, RXC_SAMPLE);
		assert_int_equal(ch[group[i]].calls, RXC_TP_BTF);
		assert_non_null(strstr(ch[group[i]].why, "Operation not permitted"));
	}
	assert_int_equal(ch[STAGE_XDP].method, RXC_SAMPLE);
	assert_int_equal(ch[STAGE_IRQ].method, RXC_NONE);	/* veth: no device IRQ */
	assert_int_equal(ch[STAGE_APP].method, RXC_SAMPLE);
	assert_int_equal(ch[STAGE_FORWARD].method, RXC_NONE);
}

static void span_group_is_all_or_nothing(void **state)
{
	struct rxc_features f = { .bpf = true, .kprobe = true, .tp_btf = true,
				  .perf_event = true };
	struct rxc_choice ch[STAGE_COUNT];

	(void)state;
	resolve_all(&f, false);
	f.fn[STAGE_GRO] = NULL;		/* no GRO function on this kernel */
	methods_select(&f, ch);
	for (size_t i = 0; i < sizeof(group) / sizeof(group[0]); i++)
		assert_int_equal(ch[group[i]].method, RXC_SAMPLE);
	assert_non_null(strstr(ch[STAGE_POLL].why, "gro"));
}

static void irq_uses_tracepoint_with_device_irqs(void **state)
{
	struct rxc_features f = { .bpf = true, .raw_tp = true, .dev_irqs = true };
	struct rxc_choice ch[STAGE_COUNT];

	(void)state;
	methods_select(&f, ch);
	assert_int_equal(ch[STAGE_IRQ].method, RXC_RAW_TP);
	/* nothing to time the packet path with: none, and says why */
	assert_int_equal(ch[STAGE_POLL].method, RXC_NONE);
	assert_non_null(strstr(ch[STAGE_POLL].why, "perf_event"));
}

static void no_bpf_no_methods(void **state)
{
	struct rxc_features f = { 0 };
	struct rxc_choice ch[STAGE_COUNT];

	(void)state;
	methods_select(&f, ch);
	for (int s = 0; s < STAGE_COUNT; s++) {
		assert_int_equal(ch[s].method, RXC_NONE);
		assert_string_equal(ch[s].why, "BPF unavailable");
	}
	assert_string_equal(method_name(RXC_SAMPLE), "perf_event");
	assert_string_equal(method_name(RXC_TP_BTF), "tp_btf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(everything_prefers_fentry),
		cmocka_unit_test(kprobe_when_fentry_refused),
		cmocka_unit_test(fentry_needs_btf_for_every_stage),
		cmocka_unit_test(this_machine_samples),
		cmocka_unit_test(span_group_is_all_or_nothing),
		cmocka_unit_test(irq_uses_tracepoint_with_device_irqs),
		cmocka_unit_test(no_bpf_no_methods),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
