#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inferred.h"
#include "units.h"

const char *napi_mode_name(enum napi_mode m)
{
	return m == NAPI_THREADED ? "threaded" : "softirq";
}

const char *generator_name(enum rxc_generator g)
{
	return g == GEN_IPERF3 ? "iperf3" : "builtin";
}

const char *probe_set_name(enum probe_set p)
{
	return p == PROBES_LEAN ? "lean" : "full";
}

void run_opts_defaults(struct run_opts *o, int ncpus)
{
	memset(o, 0, sizeof(*o));
	o->duration_ns = 2000000000ull;
	o->warmup_ns = 500000000ull;
	o->canary_ns = 150000000ull;
	o->napi = NAPI_SOFTIRQ;
	o->out = "measurements.csv";
	o->tx_cpu = 0;
	o->rx_cpu = ncpus > 1 ? 1 : 0;
	o->napi_cpu = -1;
	o->payload = 1472;
	o->sample_hz = RXC_SAMPLE_HZ;
	o->net_rx_time_every = 1;
	o->inferred_cpu = -1;
}

static int int_arg(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

#define FAIL(...)                                  \
	do {                                       \
		snprintf(err, len, __VA_ARGS__);   \
		return -EINVAL;                    \
	} while (0)

enum { O_RATES = 256, O_DURATION, O_WARMUP, O_NAPI, O_OUT, O_DEV, O_PASSIVE, O_TXCPU, O_RXCPU,
       O_NAPICPU, O_SIZE, O_SAMPLE_HZ, O_RCVBUF, O_NOPROBES, O_DETAIL, O_QUIET, O_POLLFN, O_IN, O_NAME,
       O_INFERRED, O_INFERRED_CPU, O_INFERRED_CMD, O_GENERATOR, O_VARIANT, O_RX_BUSY,
       O_NETRX_EVERY, O_PROBES, O_SAMPLER, O_CANARY, O_DROPS,
       O_COLD_ONSET };

int run_opts_parse(int argc, char **argv, struct run_opts *o, int ncpus, char *err, size_t len)
{
	static const struct option lo[] = {
		{ "rates", required_argument, NULL, O_RATES },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "canary", required_argument, NULL, O_CANARY },
		{ "napi", required_argument, NULL, O_NAPI },
		{ "out", required_argument, NULL, O_OUT },
		{ "dev", required_argument, NULL, O_DEV },
		{ "passive", no_argument, NULL, O_PASSIVE },
		{ "tx-cpu", required_argument, NULL, O_TXCPU },
		{ "rx-cpu", required_argument, NULL, O_RXCPU },
		{ "napi-cpu", required_argument, NULL, O_NAPICPU },
		{ "size", required_argument, NULL, O_SIZE },
		{ "sample-hz", required_argument, NULL, O_SAMPLE_HZ },
		{ "sampler", required_argument, NULL, O_SAMPLER },
		{ "rcvbuf", required_argument, NULL, O_RCVBUF },
		{ "no-probes", no_argument, NULL, O_NOPROBES },
		{ "rx-busy", no_argument, NULL, O_RX_BUSY },
		{ "net-rx-time-every", required_argument, NULL, O_NETRX_EVERY },
		{ "detail", no_argument, NULL, O_DETAIL },
		{ "probes", required_argument, NULL, O_PROBES },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "inferred", no_argument, NULL, O_INFERRED },
		{ "inferred-cpu", required_argument, NULL, O_INFERRED_CPU },
		{ "inferred-cmd", required_argument, NULL, O_INFERRED_CMD },
		{ "generator", required_argument, NULL, O_GENERATOR },
		{ "variant", required_argument, NULL, O_VARIANT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool hz_given = false, every_given = false, sampler_given = false;
	int c, n;

	run_opts_defaults(o, ncpus);
	optind = 0;	/* full re-initialisation (glibc), so the parser can run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", lo, NULL)) != -1) {
		switch (c) {
		case O_RATES:
			n = parse_rate_list(optarg, o->rates, RXC_MAX_RATES);
			if (n <= 0)
				FAIL("--rates: '%s' is not a comma-separated list of rates "
				     "(e.g. 100M,200M,1G; at most %d)", optarg, RXC_MAX_RATES);
			for (int i = 0; i < n; i++)
				if (!(o->rates[i] > 0))
					FAIL("--rates: rate %d of '%s' must be > 0", i + 1, optarg);
			o->nrates = n;
			break;
		case O_DURATION:
			if (parse_duration_ns(optarg, &o->duration_ns, 0) ||
			    o->duration_ns < 100000000ull)
				FAIL("--duration: '%s' is not a duration >= 0.1s (e.g. 2, 500ms)",
				     optarg);
			break;
		case O_WARMUP:
			if (parse_duration_ns(optarg, &o->warmup_ns, 1))
				FAIL("--warmup: '%s' is not a duration (e.g. 0.5, 200ms, 0)",
				     optarg);
			break;
		case O_CANARY:
			if (parse_duration_ns(optarg, &o->canary_ns, 1) ||
			    (o->canary_ns && o->canary_ns < 10000000ull) || o->canary_ns > 2000000000ull)
				FAIL("--canary: '%s' is not 0 or a duration from 10ms to 2s (e.g. 150ms)",
				     optarg);
			break;
		case O_NAPI:
			if (!strcmp(optarg, "softirq"))
				o->napi = NAPI_SOFTIRQ;
			else if (!strcmp(optarg, "threaded"))
				o->napi = NAPI_THREADED;
			else
				FAIL("--napi: '%s' is neither softirq nor threaded", optarg);
			break;
		case O_GENERATOR:
			if (!strcmp(optarg, "builtin"))
				o->generator = GEN_BUILTIN;
			else if (!strcmp(optarg, "iperf3"))
				o->generator = GEN_IPERF3;
			else
				FAIL("--generator: '%s' is neither builtin nor iperf3", optarg);
			break;
		case O_VARIANT:
			if (tb_variant_parse(optarg, &o->variant))
				FAIL("--variant: '%s' is not a testbed variant (%s)", optarg,
				     tb_variant_list());
			break;
		case O_OUT:
			if (!*optarg)
				FAIL("--out: empty file name");
			o->out = optarg;
			break;
		case O_DEV:
			if (!*optarg || strlen(optarg) >= 16)
				FAIL("--dev: '%s' is not an interface name", optarg);
			o->dev = optarg;
			break;
		case O_PASSIVE:
			o->passive = true;
			break;
		case O_TXCPU:
			if (int_arg(optarg, 0, ncpus - 1, &o->tx_cpu))
				FAIL("--tx-cpu: '%s' is not a CPU of this machine (0..%d)", optarg,
				     ncpus - 1);
			break;
		case O_RXCPU:
			if (int_arg(optarg, 0, ncpus - 1, &o->rx_cpu))
				FAIL("--rx-cpu: '%s' is not a CPU of this machine (0..%d)", optarg,
				     ncpus - 1);
			break;
		case O_NAPICPU:
			if (int_arg(optarg, 0, ncpus - 1, &o->napi_cpu))
				FAIL("--napi-cpu: '%s' is not a CPU of this machine (0..%d)", optarg,
				     ncpus - 1);
			break;
		case O_SIZE:
			if (int_arg(optarg, 18, 1472, &o->payload))
				FAIL("--size: '%s' is not a UDP payload size in 18..1472 bytes",
				     optarg);
			break;
		case O_SAMPLE_HZ:
			if (int_arg(optarg, 100, 100000, &o->sample_hz))
				FAIL("--sample-hz: '%s' is not a sampling rate in 100..100000",
				     optarg);
			hz_given = true;
			break;
		case O_SAMPLER:
			if (!strcmp(optarg, "tick"))
				o->sampler = SAMPLER_TICK;
			else if (!strcmp(optarg, "perf"))
				o->sampler = SAMPLER_PERF;
			else
				FAIL("--sampler: '%s' is neither tick nor perf", optarg);
			sampler_given = true;
			break;
		case O_RCVBUF:
			if (parse_bytes(optarg, &o->rcvbuf) || o->rcvbuf > (1ull << 30))
				FAIL("--rcvbuf: '%s' is not a size up to 1Gi (e.g. 4Mi)", optarg);
			break;
		case O_NOPROBES:
			o->no_probes = true;
			break;
		case O_RX_BUSY:
			o->rx_busy = true;
			break;
		case O_NETRX_EVERY:
			if (int_arg(optarg, 1, 65536, &o->net_rx_time_every) ||
			    (o->net_rx_time_every & (o->net_rx_time_every - 1)))
				FAIL("--net-rx-time-every: '%s' is not a power of two in 1..65536",
				     optarg);
			every_given = true;
			break;
		case O_PROBES:
			if (!strcmp(optarg, "full"))
				o->probes = PROBES_FULL;
			else if (!strcmp(optarg, "lean"))
				o->probes = PROBES_LEAN;
			else
				FAIL("--probes: '%s' is neither full nor lean", optarg);
			break;
		case O_DETAIL:
			o->detail = true;
			break;
		case O_QUIET:
			o->quiet = true;
			break;
		case O_INFERRED:
			o->inferred = true;
			break;
		case O_INFERRED_CPU:
			if (int_arg(optarg, 0, ncpus - 1, &o->inferred_cpu))
				FAIL("--inferred-cpu: '%s' is not a CPU of this machine (0..%d)",
				     optarg, ncpus - 1);
			break;
		case O_INFERRED_CMD:
			if (inferred_cmd_check(optarg, &o->inferred_seconds, err, len))
				return -EINVAL;
			o->inferred_cmd = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			return 1;
		case ':':
			FAIL("%s: missing value", argv[optind - 1]);
		default:
			FAIL("%s: unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		FAIL("'%s': unexpected argument", argv[optind]);
	if (!o->inferred && o->inferred_cpu >= 0)
		FAIL("--inferred-cpu: needs --inferred");
	if (!o->inferred && o->inferred_cmd)
		FAIL("--inferred-cmd: needs --inferred");
	if (o->inferred && o->passive)
		FAIL("--inferred: needs a baseline without traffic, which --passive cannot give");
	if (o->inferred && o->dev && o->inferred_cpu < 0)
		FAIL("--inferred-cpu: required with --dev (the CPU the device's traffic is "
		     "steered to)");
	if (o->inferred_cmd && (uint64_t)o->inferred_seconds * 1000000000ull > o->duration_ns)
		FAIL("--inferred-cmd: -seconds %d is longer than --duration", o->inferred_seconds);
	if (o->passive && !o->dev)
		FAIL("--passive: needs --dev IFACE");
	if (o->generator == GEN_IPERF3 && o->dev)
		FAIL("--generator: iperf3 runs on the built-in testbed; with --dev the generator "
		     "runs on another machine (start it when told)");
	if (o->variant != TB_BASELINE && o->dev)
		FAIL("--variant: the drop variants are set up on the built-in testbed, not on --dev");
	if (o->variant != TB_BASELINE && o->generator == GEN_IPERF3)
		FAIL("--variant: only with the built-in generator (a step of iperf3 starts when its "
		     "datagrams reach the socket, which the drop variants prevent)");
	if (o->rx_busy && (o->dev || o->generator == GEN_IPERF3))
		FAIL("--rx-busy: only for the built-in receiver on the testbed");
	if (o->probes == PROBES_LEAN && o->dev)
		FAIL("--probes lean: needs the built-in testbed and sender (their threads anchor the "
		     "NET_RX estimate); with --dev use the full set");
	if (o->probes == PROBES_LEAN && o->generator == GEN_IPERF3)
		FAIL("--probes lean: needs the built-in sender (its thread anchors the NET_RX "
		     "estimate), not iperf3");
	if (o->probes == PROBES_LEAN && every_given)
		FAIL("--net-rx-time-every: times NET_RX spans, which --probes lean does not trace");
	if (o->probes == PROBES_LEAN && o->no_probes)
		FAIL("--probes: makes no sense with --no-probes");
	if (hz_given && sampler_given && o->sampler == SAMPLER_TICK)
		FAIL("--sample-hz: the tick sampler runs at the kernel's HZ; --sample-hz is for "
		     "--sampler perf");
	if (hz_given)
		o->sampler = SAMPLER_PERF;
	if (o->probes == PROBES_LEAN && !hz_given)
		o->sample_hz = RXC_LEAN_SAMPLE_HZ;
	if (!o->nrates && !o->passive)
		FAIL("--rates: missing (e.g. --rates 100M,200M,500M)");
	if (o->passive && o->nrates)
		FAIL("--passive: measures whatever flows, --rates makes no sense with it");
	if (o->napi_cpu < 0)
		o->napi_cpu = o->rx_cpu;
	if (o->inferred && o->inferred_cpu < 0)	/* where the rx veth's NAPI runs */
		o->inferred_cpu = o->napi == NAPI_THREADED ? o->napi_cpu : o->tx_cpu;
	return 0;
}

int probe_opts_parse(int argc, char **argv, struct probe_opts *o, char *err, size_t len)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, O_DEV },
		{ "poll-fn", required_argument, NULL, O_POLLFN },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", lo, NULL)) != -1) {
		switch (c) {
		case O_DEV:
			if (!*optarg || strlen(optarg) >= 16)
				FAIL("--dev: '%s' is not an interface name", optarg);
			o->dev = optarg;
			break;
		case O_POLLFN:
			o->poll_fn = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			return 1;
		case ':':
			FAIL("%s: missing value", argv[optind - 1]);
		default:
			FAIL("%s: unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		FAIL("'%s': unexpected argument", argv[optind]);
	return 0;
}

int fit_opts_parse(int argc, char **argv, struct fit_opts *o, char *err, size_t len)
{
	static const struct option lo[] = {
		{ "in", required_argument, NULL, O_IN },
		{ "out", required_argument, NULL, O_OUT },
		{ "name", required_argument, NULL, O_NAME },
		{ "canary-tol", required_argument, NULL, O_CANARY },
		{ "drops", required_argument, NULL, O_DROPS },
		{ "cold-onset", required_argument, NULL, O_COLD_ONSET },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->in = "measurements.csv";
	o->out = "calibration.cfg";
	o->name = "measured";
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", lo, NULL)) != -1) {
		switch (c) {
		case O_IN:
			if (!*optarg)
				FAIL("--in: empty file name");
			o->in = optarg;
			break;
		case O_OUT:
			if (!*optarg)
				FAIL("--out: empty file name");
			o->out = optarg;
			break;
		case O_DROPS:
			if (!*optarg)
				FAIL("--drops: empty file name");
			if (o->ndrops >= FIT_MAX_DROP_FILES)
				FAIL("--drops: more than %d files", FIT_MAX_DROP_FILES);
			for (int i = 0; i < o->ndrops; i++)
				if (!strcmp(o->drops[i], optarg))
					FAIL("--drops %s: given twice (its steps would count twice)",
					     optarg);
			o->drops[o->ndrops++] = optarg;
			break;
		case O_NAME:
			if (!*optarg || strlen(optarg) >= 64 || strpbrk(optarg, "\"\\\n"))
				FAIL("--name: '%s' is not a name (1..63 characters, no quotes)",
				     optarg);
			o->name = optarg;
			break;
		case O_CANARY: {
			char *end;

			o->canary_tol = strtod(optarg, &end);
			if (!*optarg || *end || !(o->canary_tol > 0 && o->canary_tol <= 1000))
				FAIL("--canary-tol: '%s' is not a share in %% above 0, at most 1000",
				     optarg);
			break;
		}
		case O_COLD_ONSET: {
			char *end;

			o->cold_mode = !strcmp(optarg, "auto") ? FIT_COLD_AUTO
				       : !strcmp(optarg, "off") ? FIT_COLD_OFF
								 : FIT_COLD_FIXED;
			if (o->cold_mode != FIT_COLD_FIXED)
				break;
			o->cold_onset_us = strtod(optarg, &end);
			if (!*optarg || *end ||
			    !(o->cold_onset_us >= 0 && o->cold_onset_us <= 10000))
				FAIL("--cold-onset: '%s' is not auto, off or microseconds from 0 to "
				     "10000", optarg);
			break;
		}
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			return 1;
		case ':':
			FAIL("%s: missing value", argv[optind - 1]);
		default:
			FAIL("%s: unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		FAIL("'%s': unexpected argument", argv[optind]);
	if (!strcmp(o->in, o->out))
		FAIL("--out: '%s' is the input file", o->out);
	for (int i = 0; i < o->ndrops; i++)
		if (!strcmp(o->drops[i], o->out))
			FAIL("--out: '%s' is a --drops file", o->out);
	return 0;
}
