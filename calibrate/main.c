/* rxcalibrate: measure the Linux receive path per stage with eBPF (see docs/rxcalibrate.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fit.h"
#include "methods.h"
#include "probes.h"
#include "sweep.h"
#include "validate.h"
#include "sysinfo.h"
#include "testbed.h"

static const char usage_main[] =
	"Usage: rxcalibrate COMMAND [OPTIONS]\n"
	"Measure how often each receive-path stage runs and how much CPU it takes, with eBPF.\n\n"
	"Commands:\n"
	"  probe     show the kernel, budgets, device and the probe method per stage\n"
	"  run       sweep traffic rates on the built-in testbed (or --dev) and write measurements.csv\n"
	"  fit       fit per-stage unit costs to measurements.csv, write a calibration file\n"
	"  validate  compare the model's prediction with measurements at held-out rates\n"
	"  cleanup   remove namespaces and veths left by killed runs\n"
	"  help      this text; 'rxcalibrate COMMAND --help' for a command\n\n"
	"Examples:\n"
	"  rxcalibrate probe\n"
	"  rxcalibrate run --rates 100M,200M,500M --duration 2\n"
	"  rxcalibrate fit --in measurements.csv --out calibration.cfg\n"
	"  rxcalibrate cleanup\n";

static const char usage_probe[] =
	"Usage: rxcalibrate probe [--dev IFACE] [--poll-fn NAME] [-v]\n"
	"Print kernel version, BTF, HZ, NAPI/softirq budgets, the device's driver, ring, interrupt\n"
	"moderation, queues and IRQs, and for every stage the attach method rxcalibrate would use\n"
	"and why. Methods are found by trying to load and attach tiny programs. Needs root.\n\n"
	"  --dev IFACE      describe this interface (default: the testbed's veth_poll)\n"
	"  --poll-fn NAME   the driver's NAPI poll function if it cannot be guessed\n"
	"  -v, --verbose    libbpf messages\n\n"
	"Examples:\n"
	"  rxcalibrate probe\n"
	"  rxcalibrate probe --dev eth0\n";

static const char usage_run[] =
	"Usage: rxcalibrate run --rates LIST [OPTIONS]\n"
	"Drive UDP traffic at each rate (payload bits/s, as iperf3 -b counts) through the testbed\n"
	"(two network namespaces, veth, XDP_PASS so the rx veth runs NAPI), measure every stage\n"
	"with eBPF and write one CSV row per (rate, stage). Needs root. One run at a time\n"
	"(lock " RXC_RUN_LOCK "). Exit status: 0, 1 failure, 2 bad option or environment,\n"
	"128 + N on signal N (SIGINT 130, SIGTERM 143). A failed or interrupted run writes no\n"
	"CSV (an older one is left as it was).\n\n"
	"  --rates LIST       comma-separated rates with SI suffixes: 100M,200M,1G\n"
	"  --duration S       measurement per step (default 2s; 500ms, 3s ...)\n"
	"  --warmup S         traffic before each measurement (default 0.5s)\n"
	"  --canary T         time a fixed copy-and-load loop on each testbed CPU for T before\n"
	"                     the first step and after each, traffic paused (default 150ms; 0:\n"
	"                     off): the host's slowing of a vCPU, which the guest does not\n"
	"                     see, in the columns canary_*_ns (built-in testbed only; off\n"
	"                     with --inferred, whose workload holds a CPU)\n"
	"  --napi MODE        softirq (default): NAPI runs on the sender's CPU after each send;\n"
	"                     threaded: NAPI kthread pinned to --napi-cpu, batches up to 64\n"
	"  --out FILE         CSV output (default measurements.csv), written atomically\n"
	"  --generator GEN    builtin (default): the paced sendmmsg sender and recvmmsg receiver\n"
	"                     threads; iperf3: per step an iperf3 server in the rx namespace\n"
	"                     (pinned to --rx-cpu) and a UDP client in the tx namespace (pinned\n"
	"                     to --tx-cpu, -u -b RATE -l SIZE -J, -t covering warm-up and\n"
	"                     window), as the paper did; packets received = Udp InDatagrams,\n"
	"                     app calls = packets (one recv per datagram). Needs the iperf3\n"
	"                     program (apt-get install iperf3); not with --dev\n"
	"  --variant NAME     testbed only, built-in generator: drop the UDP test flow in the rx\n"
	"                     namespace, named as rxmodel's variants: baseline (default),\n"
	"                     xdp-drop (the rx veth's XDP program returns XDP_DROP),\n"
	"                     netfilter-drop (nftables rule at INPUT; needs nft, package\n"
	"                     nftables), tc-drop (clsact ingress BPF filter, TC_ACT_SHOT).\n"
	"                     Removed with the testbed; the rule's drop count is printed at the end\n"
	"  --size BYTES       UDP payload (default 1472, 18..1472)\n"
	"  --tx-cpu N         sender CPU (default 0)\n"
	"  --rx-cpu N         receiving application's CPU (default 1, or 0 on one CPU)\n"
	"  --napi-cpu N       threaded NAPI kthread's CPU (default: --rx-cpu)\n"
	"  --sampler CLOCK    what takes the stack samples: tick (default where the kernel\n"
	"                     has it, rxcalibrate probe says): the scheduler tick, HZ per busy\n"
	"                     CPU, adds no timer interrupt; perf: cpu-clock perf events at\n"
	"                     --sample-hz, each sample a timer interrupt of its own\n"
	"  --sample-hz N      perf sampler's samples per second per CPU (implies --sampler\n"
	"                     perf; default 1000, 250 with --probes lean; costly in a VM,\n"
	"                     raise it on bare metal for precision)\n"
	"  --probes SET       full (default): NET_RX spans timed by the softirq tracepoints;\n"
	"                     lean: no program per frame: frames from the testbed's XDP\n"
	"                     counter, NET_RX calls from /proc/softirqs, NET_RX spans and\n"
	"                     napi_poll timed in four slices of 1/64 of each window. Testbed\n"
	"                     with the built-in sender only (rxcalibrate.md, the lean probe set)\n"
	"  --rcvbuf BYTES     receiver's SO_RCVBUF (default: kernel default)\n"
	"  --dev IFACE        measure this interface instead; an external generator sends each\n"
	"                     rate when told on stderr (settings of the NIC are never changed)\n"
	"  --passive          with --dev: one step of whatever traffic flows\n"
	"  --no-probes        traffic only (for the probe-overhead benchmark)\n"
	"  --rx-busy          the built-in receiver polls (recvmmsg MSG_DONTWAIT), never\n"
	"                     sleeps, so no packet pays a wakeup; it takes its CPU whole\n"
	"  --net-rx-time-every N\n"
	"                     time one NET_RX invocation in N (power of two, default 1: all),\n"
	"                     at random; calls stay exact, the time is scaled (rxcalibrate.md)\n"
	"  --detail           count GRO and netif_receive_skb per packet with their own\n"
	"                     tracepoints (default: from napi_poll work; always with --dev)\n"
	"  --quiet            no per-step details or summary table\n"
	"  --inferred         the paper's cross-check: a CPU-bound workload (process\n"
	"                     'rxc-inferred', SCHED_OTHER, nice 0) pinned to the receive CPU;\n"
	"                     its throughput without traffic (measured once before the sweep)\n"
	"                     and at each step gives the CPU stolen, (1 - rate/baseline) * 1e9\n"
	"                     ns/s, printed beside the eBPF total (total ip proc) and their\n"
	"                     ratio; CSV columns inferred_*\n"
	"  --inferred-cpu N   the workload's CPU (default: where the rx veth's NAPI runs: --tx-cpu\n"
	"                     in softirq mode, --napi-cpu in threaded mode; required with --dev)\n"
	"  --inferred-cmd CMD run CMD instead of the built-in loop, once per window and once for\n"
	"                     the baseline. Only 'openssl speed' is supported, for one digest or\n"
	"                     cipher at one block size, with -elapsed (wall-clock divisor),\n"
	"                     -seconds S (S <= --duration) and -bytes B; its line 'Doing ALG ...:\n"
	"                     N ALG's in Ts' gives N/T ops/s. Words split on blanks, no shell\n"
	"  -v, --verbose      methods per stage, commands run, drop reasons, libbpf messages\n\n"
	"Examples:\n"
	"  rxcalibrate run --rates 100M,200M,500M,800M,1G\n"
	"  rxcalibrate run --rates 1G,2G --napi threaded --napi-cpu 1 --out threaded.csv\n"
	"  rxcalibrate run --dev eth0 --passive --duration 10\n"
	"  rxcalibrate run --rates 100M,200M,500M --generator iperf3\n"
	"  rxcalibrate run --rates 10M,400M --inferred\n"
	"  rxcalibrate run --rates 200M --napi threaded --variant netfilter-drop --out nf.csv\n"
	"  rxcalibrate run --rates 100M,400M --duration 2 --inferred \\\n"
	"      --inferred-cmd \"openssl speed -elapsed -seconds 2 -bytes 16384 sha256\"\n";

static const char usage_cleanup[] =
	"Usage: rxcalibrate cleanup [-v]\n"
	"Remove network namespaces rxc<pid>t/rxc<pid>r (and with them their veths and XDP programs)\n"
	"left by rxcalibrate runs that were killed. Namespaces of running rxcalibrate processes are\n"
	"kept. Needs root.\n\n"
	"Examples:\n"
	"  rxcalibrate cleanup\n"
	"  rxcalibrate cleanup -v\n";

static const char usage_fit[] =
	"Usage: rxcalibrate fit [--in FILE] [--out FILE] [--name NAME] [--canary-tol PCT]\n"
	"                       [--drops FILE]... [--cold-onset auto|off|US] [-v]\n"
	"Fit per-stage unit costs to the rate steps of measurements.csv by weighted, non-negative\n"
	"least squares (GSL): cpu_ns = per_call*calls + per_packet*packets + per_byte*bytes, bytes =\n"
	"packets * (payload + 46); in steps whose receiver runs on another CPU than the receive\n"
	"path (softirq's default) also its wake-ups (transport); a cold cost of each poll's\n"
	"first packet after a gap (the stages before the socket; in threaded steps also\n"
	"transport, and the ramp from an onset: --cold-onset);\n"
	"with steps of both placements (the receiver on the receive path's CPU and on another:\n"
	"columns rx_cpu, napi_cpu; experiments/validate-testbed.sh LOCAL=1 makes such a file)\n"
	"a cost per packet read on another CPU (the stages after softirq). Only what the steps\n"
	"can tell apart is fitted (per_byte needs two payload sizes, the remote cost two\n"
	"placements). Prints the costs with standard errors, R^2, residuals per step and the\n"
	"leave-one-rate-out cross-validation error, and writes a libconfig calibration for\n"
	"rxmodel --calibration, with provenance of this machine. With --drops, also the drop's\n"
	"own work (drop_ns) at the stage where each drop variant drops, which no baseline step\n"
	"has: the nftables rule, the free of the dropped skb. No privileges needed\n"
	"(docs/fit.md).\n\n"
	"  --in FILE       measurements (default measurements.csv, from rxcalibrate run)\n"
	"  --out FILE      calibration file (default calibration.cfg), written atomically\n"
	"  --name NAME     calibration name (default measured)\n"
	"  --canary-tol PCT  leave out the steps whose speed canary (rxcalibrate run --canary)\n"
	"                  is more than PCT % above the steps' median: the host slowed a vCPU\n"
	"  --drops FILE    measurements of a drop variant (rxcalibrate run --variant, same NAPI\n"
	"                  mode; repeatable, up to 8): drop_ns of its drop stage (xdp-drop:\n"
	"                  xdp, tc-drop: ip, netfilter-drop: ip_to_transport) = what that\n"
	"                  stage took per dropped packet beyond the baseline costs at the\n"
	"                  step's counts. The baseline costs themselves come from --in only\n"
	"  --cold-onset auto|off|US  threaded steps: where a poll's cold cost starts, in us\n"
	"                  without a poll; auto (default): the onset of 0-150 us with the least\n"
	"                  chi^2; off: no cold cost in threaded steps (docs/fit.md, \"Cold polls\n"
	"                  after a halt\")\n"
	"  -v, --verbose   also the standard deviation assumed for each step's cpu_ns (its weight)\n"
	"                  and the chi^2 at each cold onset tried\n\n"
	"Examples:\n"
	"  rxcalibrate fit\n"
	"  rxcalibrate fit --in measurements.csv --out configs/calibration-testbed.cfg --name testbed\n"
	"  rxcalibrate run --rates 100M,200M,400M,600M --out m.csv && rxcalibrate fit --in m.csv\n"
	"  rxcalibrate run --rates 200M,200M --variant netfilter-drop --out nf.csv\n"
	"  rxcalibrate fit --in m.csv --drops nf.csv --out with-drops.cfg\n"
	"  rxcalibrate fit --in threaded.csv --cold-onset off --out no-onset.cfg\n";

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

static void print_val(const char *k, long v)
{
	if (v < 0)
		printf("  %-22s unknown\n", k);
	else
		printf("  %-22s %ld\n", k, v);
}

/* The stack sampler a run would use: the scheduler tick where this kernel lets a program see it,
 * else cpu-clock perf events (calibrate/probes.c). */
static void print_sampler(const struct rxc_features *f, const struct rxc_host *h)
{
	struct ksyms *ks = NULL;
	const struct ksym *k = NULL;

	if ((f->tp_btf || f->raw_tp) && h->hz > 0 && ksyms__load(&ks) == 0)
		k = tick_fn_find(ks);
	if (k)
		printf("  %-22s the scheduler tick, %d Hz per busy CPU (%s hrtimer_expire_entry "
		       "on %s): no timer interrupt of its own\n", "stack sampler", h->hz,
		       f->tp_btf ? "tp_btf" : "raw_tp", k->name);
	else
		printf("  %-22s cpu-clock perf events at --sample-hz (%s)\n", "stack sampler",
		       !(f->tp_btf || f->raw_tp) ? "no tracepoints for the tick" :
		       h->hz <= 0 ? "HZ unknown" : "the tick's hrtimer function is not in kallsyms");
	ksyms__free(ks);
}

static int cmd_probe(int argc, char **argv)
{
	struct probe_opts o;
	struct rxc_features f;
	struct rxc_choice ch[STAGE_COUNT];
	struct rxc_host h;
	struct rxc_dev d;
	char err[256];
	int r;

	r = probe_opts_parse(argc, argv, &o, err, sizeof(err));
	if (r == 1) {
		fputs(usage_probe, stdout);
		return 0;
	}
	if (r) {
		fprintf(stderr, "rxcalibrate probe: %s\n", err);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "rxcalibrate probe: needs root (BPF loads, kallsyms addresses)\n");
		return 2;
	}
	host_read(&h);
	printf("kernel                   %s\n", h.kernel);
	printf("cpu                      %s (%d online)\n", h.cpu_model, h.ncpus);
	printf("btf                      %s\n", h.btf ? "yes (/sys/kernel/btf/vmlinux)" : "no");
	print_val("HZ", h.hz ? h.hz : -1);
	print_val("netdev_budget", h.netdev_budget);
	print_val("netdev_budget_usecs", h.netdev_budget_usecs);
	print_val("dev_weight", h.dev_weight);
	print_val("netdev_max_backlog", h.netdev_max_backlog);
	memset(&d, 0, sizeof(d));
	if (o.dev) {
		if (dev_read(o.dev, &d)) {
			fprintf(stderr, "rxcalibrate probe: --dev: no interface '%s'\n", o.dev);
			return 2;
		}
		if (o.poll_fn)
			snprintf(d.poll_fn, sizeof(d.poll_fn), "%s", o.poll_fn);
		printf("device %s\n", d.name);
		printf("  %-22s %s\n", "driver", d.driver[0] ? d.driver : "unknown");
		printf("  %-22s %s\n", "poll function", d.poll_fn[0] ? d.poll_fn : "not resolved");
		print_val("rx ring", d.rx_ring);
		print_val("rx ring max", d.rx_ring_max);
		print_val("rx-usecs", d.rx_usecs);
		print_val("rx-frames", d.rx_frames);
		print_val("adaptive-rx", d.adaptive_rx);
		print_val("rx queues", d.rx_queues);
		print_val("combined channels", d.combined);
		print_val("threaded NAPI", d.threaded);
		printf("  %-22s", "IRQs");
		for (int i = 0; i < d.nirqs; i++)
			printf(" %d", d.irqs[i]);
		printf("%s\n", d.nirqs ? "" : " none found");
	} else {
		printf("device                   built-in testbed (veth, XDP_PASS, veth_poll)\n");
	}
	r = features_detect(&f, o.dev ? (d.poll_fn[0] ? d.poll_fn : NULL) : "veth_poll",
			    o.verbose);
	if (r == -EPERM) {
		fprintf(stderr, "rxcalibrate probe: kallsyms shows no addresses\n");
		return 2;
	}
	f.dev_irqs = d.nirqs > 0;
	f.xdp_sym = !o.dev;	/* the testbed's XDP program is JITed and in kallsyms */
	printf("methods (tried on this kernel)\n");
	printf("  %-22s %s\n", "fentry/fexit", f.fentry ? "yes" : f.why_fentry);
	printf("  %-22s %s\n", "kprobe/kretprobe", f.kprobe ? "yes" : f.why_kprobe);
	printf("  %-22s %s\n", "tp_btf", f.tp_btf ? "yes" : f.why_tp);
	printf("  %-22s %s\n", "raw_tp", f.raw_tp ? "yes" : f.why_tp);
	printf("  %-22s %s\n", "perf_event sampling", f.perf_event ? "yes" : f.why_perf);
	printf("  %-22s %s\n", "bpf_stats (run time)", f.bpf_stats ? "yes" : "no");
	print_sampler(&f, &h);
	printf("span functions resolved\n");
	for (int s = 0; s < STAGE_COUNT; s++)
		if (stage_span_candidates(s)[0] || s == STAGE_POLL)
			printf("  %-22s %s%s\n", stage_name(s), f.fn[s] ? f.fn[s] : "none",
			       f.fn[s] && !f.fn_btf[s] ? " (not in BTF)" : "");
	methods_select(&f, ch);
	printf("stage methods\n");
	for (int s = 0; s < STAGE_COUNT; s++)
		printf("  %-16s %-10s calls: %-8s %s\n", stage_name(s), method_name(ch[s].method),
		       method_name(ch[s].calls), ch[s].why);
	return f.bpf ? 0 : 1;
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	char err[256];
	int r = run_opts_parse(argc, argv, &o, ncpus(), err, sizeof(err));

	if (r == 1) {
		fputs(usage_run, stdout);
		return 0;
	}
	if (r) {
		fprintf(stderr, "rxcalibrate run: %s\n", err);
		return 2;
	}
	return sweep_run(&o);
}

static int cmd_fit(int argc, char **argv)
{
	struct fit_opts o;
	char err[256];
	int r = fit_opts_parse(argc, argv, &o, err, sizeof(err));

	if (r == 1) {
		fputs(usage_fit, stdout);
		return 0;
	}
	if (r) {
		fprintf(stderr, "rxcalibrate fit: %s\n", err);
		return 2;
	}
	return fit_main(&o);
}

static int cmd_cleanup(int argc, char **argv)
{
	bool verbose = false;
	int n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_cleanup, stdout);
			return 0;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			verbose = true;
		} else {
			fprintf(stderr, "rxcalibrate cleanup: %s: unknown option\n", argv[i]);
			return 2;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "rxcalibrate cleanup: needs root (ip netns del)\n");
		return 2;
	}
	n = testbed_cleanup_stale(verbose);
	if (n < 0) {
		fprintf(stderr, "rxcalibrate cleanup: /run/netns: %s\n", strerror(-n));
		return 1;
	}
	printf("removed %d namespace%s\n", n, n == 1 ? "" : "s");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(usage_main, cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "cleanup"))
		return cmd_cleanup(argc - 1, argv + 1);
	if (!strcmp(cmd, "fit"))
		return cmd_fit(argc - 1, argv + 1);
	if (!strcmp(cmd, "validate"))
		return validate_main(argc - 1, argv + 1);
	fprintf(stderr,
		"rxcalibrate: unknown command '%s' (probe, run, fit, validate, cleanup, help)\n",
		cmd);
	return 2;
}
