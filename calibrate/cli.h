/* Command-line options of `rxcalibrate run`, `probe` and `fit`, parsed into structs so the
 * parsing can be tested without privileges. Parsers return 0, 1 for --help, or -EINVAL with one
 * message naming the option in @err. */
#ifndef RXC_CLI_H
#define RXC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fit.h"
#include "testbed.h"

#define RXC_MAX_RATES 64

enum napi_mode { NAPI_SOFTIRQ, NAPI_THREADED };

/* Which probes run (docs/rxcalibrate.md, "The lean probe set"): full = NET_RX spans timed by the
 * softirq tracepoints; lean = one tracepoint program per frame (napi_poll), NET_RX time from the
 * samples taken on the sender thread's back, scaled by its exact CPU time. */
enum probe_set { PROBES_FULL, PROBES_LEAN };

#define RXC_SAMPLE_HZ 1000		/* default --sample-hz, full set */
#define RXC_LEAN_SAMPLE_HZ 250		/* default --sample-hz, lean set */

/* The stack sampler's clock: the kernel's scheduler tick (default where this kernel has it: no
 * timer interrupt of its own) or cpu-clock perf events at --sample-hz. */
enum sampler { SAMPLER_TICK, SAMPLER_PERF };

/* Who sends and receives on the testbed: the built-in sender/receiver threads, or an iperf3
 * client and server per step (calibrate/iperf.h). */
enum rxc_generator { GEN_BUILTIN, GEN_IPERF3 };

struct run_opts {
	double rates[RXC_MAX_RATES];	/* UDP payload bits/s */
	int nrates;
	uint64_t duration_ns, warmup_ns;
	/* the speed canary's time on each testbed CPU between steps (canary.h; 0: off) */
	uint64_t canary_ns;
	enum napi_mode napi;
	enum rxc_generator generator;
	const char *out;
	const char *dev;		/* external traffic on a named interface */
	bool passive;
	int tx_cpu, rx_cpu, napi_cpu;	/* -1: default */
	int payload;
	int sample_hz;
	enum sampler sampler;
	uint64_t rcvbuf;
	bool no_probes;
	bool rx_busy;			/* built-in receiver polls without sleeping (benchmarks) */
	int net_rx_time_every;		/* time one NET_RX invocation in N (a power of two) */
	bool detail;			/* per-packet GRO/netif_receive_skb tracepoints */
	enum probe_set probes;
	bool quiet;			/* no summary table */
	enum tb_variant variant;	/* testbed only: where the test flow is dropped */
	bool verbose;
	/* --inferred: CPU stolen from a pinned CPU-bound workload (calibrate/inferred.h) */
	bool inferred;
	int inferred_cpu;		/* default: the NAPI CPU (--tx-cpu in softirq mode,
					 * --napi-cpu in threaded mode); required with --dev */
	const char *inferred_cmd;	/* NULL: built-in workload; else "openssl speed ..." */
	int inferred_seconds;		/* the command's -seconds */
};

struct probe_opts {
	const char *dev;
	const char *poll_fn;
	bool verbose;
};

void run_opts_defaults(struct run_opts *o, int ncpus);
int run_opts_parse(int argc, char **argv, struct run_opts *o, int ncpus, char *err, size_t len);
int probe_opts_parse(int argc, char **argv, struct probe_opts *o, char *err, size_t len);
/* `rxcalibrate fit`: defaults --in measurements.csv, --out calibration.cfg, --name measured. */
int fit_opts_parse(int argc, char **argv, struct fit_opts *o, char *err, size_t len);

const char *napi_mode_name(enum napi_mode m);
const char *generator_name(enum rxc_generator g);
const char *probe_set_name(enum probe_set p);

#endif
