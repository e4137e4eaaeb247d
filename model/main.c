/* rxmodel: command line of the receive-path simulator. */
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "config.h"
#include "report.h"
#include "sim.h"
#include "units.h"

#define MAX_RUNS 256

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rxmodel --config FILE [options]\n"
		"\n"
		"Discrete-event model of the Linux receive path: predicts CPU time per stage, drops\n"
		"by cause and latency for a traffic rate, driven by a calibration file.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE        scenario (libconfig; keys in docs/config.md)\n"
		"  -C, --calibration FILE   per-stage costs (overrides the scenario's 'calibration')\n"
		"  -b, --bw RATE            offered UDP payload bits/s, as iperf3 -b (e.g. 800M, 10G)\n"
		"  -p, --pps RATE           offered packets/s instead of --bw\n"
		"  -s, --sweep LIST         run at each bit rate of a comma list (100M,1G,10G)\n"
		"  -V, --variant NAME       run a variant; repeat to compare (baseline, xdp-drop,\n"
		"                           no-netfilter, skip-transport, gro-off, forward, or a\n"
		"                           variant the config defines)\n"
		"      --size BYTES|imix    Ethernet frame size (64..65535) or the 7:4:1 IMIX\n"
		"      --arrivals KIND      constant, poisson or onoff\n"
		"  -d, --duration TIME      simulated time measured (default from config, 1s)\n"
		"  -w, --warmup TIME        simulated time before measuring (default 0.1s)\n"
		"  -S, --seed N             random seed (same seed, same output)\n"
		"  -f, --format FMT         table (default), csv, json, or measurements (the columns\n"
		"                           of rxcalibrate's measurements.csv, for testing the fit)\n"
		"  -o, --output FILE        write the report to FILE (atomically) instead of stdout\n"
		"      --capacity LIMITS    find the largest --bw meeting every limit of\n"
		"                           drop=SHARE%%, p99=TIME, cpu=SHARE%% (max busy core)\n"
		"  -j, --jobs N             simulations run in parallel (default: CPUs online)\n"
		"  -q, --quiet              no progress on stderr\n"
		"      --stats              print simulator speed and peak memory on stderr\n"
		"  -h, --help               this help\n"
		"\n"
		"Examples:\n"
		"  rxmodel --config configs/gilan.cfg --bw 10G\n"
		"  rxmodel --config configs/gilan.cfg --sweep 1G,5G,10G,20G --format csv -o sweep.csv\n"
		"  rxmodel --config configs/gilan.cfg --bw 10G --variant baseline --variant xdp-drop \\\n"
		"          --variant no-netfilter --variant skip-transport --variant gro-off\n"
		"  rxmodel --config configs/gilan.cfg --size 64 --pps 14.88M --duration 0.2s\n"
		"  rxmodel --config configs/gilan.cfg --capacity drop=0.1%%,p99=500us\n");
}

/* Runs simulations on several threads; results land by index, so output order and content do
 * not depend on the number of threads. */
struct jobs {
	const struct model_config *cfgs;
	struct sim_results *res;
	const char *const *labels;
	int n, next, done, quiet, tty;
	int *ret;
	char (*err)[ERR_LEN];
	pthread_mutex_t lock;
};

static void progress_tty(void *arg, double done)
{
	(void)arg;
	fprintf(stderr, "\rrxmodel: %3.0f %% simulated", 100 * done);
}

static void *jobs_worker(void *arg)
{
	struct jobs *j = arg;

	for (;;) {
		int i;

		pthread_mutex_lock(&j->lock);
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n)
			return NULL;
		j->ret[i] = sim_simulate_progress(&j->cfgs[i], &j->res[i], j->err[i], ERR_LEN,
						  j->n == 1 && j->tty && !j->quiet ? progress_tty :
										     NULL,
						  NULL);
		pthread_mutex_lock(&j->lock);
		j->done++;
		if (!j->quiet && j->n > 1)
			fprintf(stderr, "rxmodel: [%d/%d] %s at %.4g bit/s done\n", j->done, j->n,
				j->labels[i], j->cfgs[i].bw_bps);
		pthread_mutex_unlock(&j->lock);
	}
}

/* Returns the index of the first failed run, or -1. */
static int jobs_run(struct jobs *j, int threads)
{
	pthread_t tid[64];
	int started = 0;

	if (threads > j->n)
		threads = j->n;
	if (threads > 64)
		threads = 64;
	pthread_mutex_init(&j->lock, NULL);
	for (int t = 1; t < threads; t++)
		if (pthread_create(&tid[started], NULL, jobs_worker, j) == 0)
			started++;
	jobs_worker(j);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&j->lock);
	if (j->n == 1 && j->tty && !j->quiet)
		fprintf(stderr, "\r%30s\r", "");
	for (int i = 0; i < j->n; i++)
		if (j->ret[i])
			return i;
	return -1;
}

struct capacity {
	double drop, p99_ns, cpu;
	int have_drop, have_p99, have_cpu;
	char text[128];
};

static int parse_capacity(const char *arg, struct capacity *cap)
{
	char buf[256], *save = NULL, *tok;

	memset(cap, 0, sizeof(*cap));
	snprintf(cap->text, sizeof(cap->text), "%s", arg);
	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		double v;

		if (!eq)
			return -EINVAL;
		*eq++ = 0;
		if (!strcmp(tok, "p99")) {
			uint64_t ns;

			if (parse_duration_ns(eq, &ns, 0))
				return -EINVAL;
			cap->p99_ns = (double)ns;
			cap->have_p99 = 1;
			continue;
		}
		v = strtod(eq, &end);
		if (end == eq || !isfinite(v) || v < 0)
			return -EINVAL;
		if (*end == '%') {
			v /= 100;
			end++;
		}
		if (*end || v > 1)
			return -EINVAL;
		if (!strcmp(tok, "drop")) {
			cap->drop = v;
			cap->have_drop = 1;
		} else if (!strcmp(tok, "cpu")) {
			cap->cpu = v;
			cap->have_cpu = 1;
		} else
			return -EINVAL;
	}
	return cap->have_drop || cap->have_p99 || cap->have_cpu ? 0 : -EINVAL;
}

static int meets(const struct capacity *cap, const struct sim_results *r)
{
	double p99 = r->lat_app_n ? r->lat_app[3] : r->lat_sock[3], busy = 0;

	for (int k = 0; k < r->cores; k++)
		busy = fmax(busy, r->core_util[k][CTX_COUNT] - r->core_util[k][CTX_BG]);
	/* loss the operator did not ask for: ring, backlog and socket drops (a rule's or XDP's
	 * drops are the function working) */
	uint64_t lost = r->dropped[DROP_RING] + r->dropped[DROP_BACKLOG] + r->dropped[DROP_SOCKET];
	double loss = r->arrivals ? (double)lost / (double)r->arrivals : 0;

	if (cap->have_drop && loss > cap->drop)
		return 0;
	if (cap->have_p99 && p99 > cap->p99_ns)
		return 0;
	if (cap->have_cpu && busy > cap->cpu)
		return 0;
	return 1;
}

static int bad_option(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, "rxmodel: %s %s: %s\n", opt, arg ? arg : "", why);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "calibration", required_argument, NULL, 'C' },
		{ "bw", required_argument, NULL, 'b' },
		{ "pps", required_argument, NULL, 'p' },
		{ "sweep", required_argument, NULL, 's' },
		{ "variant", required_argument, NULL, 'V' },
		{ "size", required_argument, NULL, 1 },
		{ "arrivals", required_argument, NULL, 2 },
		{ "capacity", required_argument, NULL, 3 },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "seed", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 4 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *config = NULL, *calibration = NULL, *output = NULL, *size = NULL,
		   *arrivals = NULL, *variants[MAX_VARIANTS];
	double bw = -1, pps = -1, sweep[MAX_RUNS];
	int nsweep = 0, nvariants = 0, quiet = 0, have_cap = 0, stats = 0, opt;
	long njobs = sysconf(_SC_NPROCESSORS_ONLN);
	struct timespec t0, t1;
	uint64_t duration = 0, warmup = UINT64_MAX, seed = UINT64_MAX;
	enum report_format fmt = FMT_TABLE;
	struct capacity cap;
	struct model_config base, *cfgs = NULL;
	struct sim_results *res = NULL;
	struct run_record *runs = NULL;
	const char **labels = NULL;
	int *rets = NULL;
	char (*errs)[ERR_LEN] = NULL;
	struct report_meta meta = { 0 };
	char err[ERR_LEN];
	struct afile af = { 0 };
	int nruns = 0, ret = 1;
	FILE *out = stdout;

	gsl_set_error_handler_off();
	while ((opt = getopt_long(argc, argv, "c:C:b:p:s:V:d:w:S:f:o:j:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			calibration = optarg;
			break;
		case 'b':
			if (parse_rate(optarg, &bw) || bw <= 0)
				return bad_option("--bw", optarg,
						  "not a positive rate (e.g. 800M, 10G, 1.5G)");
			break;
		case 'p':
			if (parse_rate(optarg, &pps) || pps <= 0)
				return bad_option("--pps", optarg,
						  "not a positive rate (e.g. 1.2M, 14.88M)");
			break;
		case 's':
			nsweep = parse_rate_list(optarg, sweep, MAX_RUNS);
			if (nsweep <= 0)
				return bad_option("--sweep", optarg,
						  "not a comma list of rates (e.g. 100M,1G,10G)");
			for (int i = 0; i < nsweep; i++)
				if (sweep[i] <= 0)
					return bad_option("--sweep", optarg, "rates must be > 0");
			break;
		case 'V':
			if (nvariants == MAX_VARIANTS)
				return bad_option("--variant", optarg, "too many variants");
			variants[nvariants++] = optarg;
			break;
		case 1:
			size = optarg;
			break;
		case 2:
			arrivals = optarg;
			break;
		case 3:
			if (parse_capacity(optarg, &cap))
				return bad_option("--capacity", optarg,
						  "expected drop=SHARE%, p99=TIME and/or cpu=SHARE% "
						  "(e.g. drop=0.1%,p99=500us)");
			have_cap = 1;
			break;
		case 'd':
			if (parse_duration_ns(optarg, &duration, 0))
				return bad_option("--duration", optarg,
						  "not a positive duration (e.g. 1s, 200ms)");
			break;
		case 'w':
			if (parse_duration_ns(optarg, &warmup, 1))
				return bad_option("--warmup", optarg, "not a duration (e.g. 0.1s)");
			break;
		case 'S': {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || errno || optarg[0] == '-')
				return bad_option("--seed", optarg, "not a non-negative integer");
			seed = v;
			break;
		}
		case 'f':
			if (!strcmp(optarg, "table"))
				fmt = FMT_TABLE;
			else if (!strcmp(optarg, "csv"))
				fmt = FMT_CSV;
			else if (!strcmp(optarg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(optarg, "measurements"))
				fmt = FMT_MEASUREMENTS;
			else
				return bad_option("--format", optarg,
						  "one of table, csv, json, measurements");
			break;
		case 'o':
			output = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 4:
			stats = 1;
			break;
		case 'j': {
			char *end;

			njobs = strtol(optarg, &end, 10);
			if (!*optarg || *end || njobs < 1 || njobs > 64)
				return bad_option("--jobs", optarg, "a number of threads from 1 to 64");
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "rxmodel: try --help\n");
			return 2;
		}
	}
	if (optind < argc)
		return bad_option("argument", argv[optind], "unexpected (options start with --)");
	if (!config) {
		fprintf(stderr, "rxmodel: --config FILE is required (try --help)\n");
		return 2;
	}
	if ((bw > 0) + (pps > 0) + (nsweep > 0) + have_cap > 1) {
		fprintf(stderr, "rxmodel: give one of --bw, --pps, --sweep and --capacity\n");
		return 2;
	}

	if (size && strcmp(size, "imix")) {
		char *end;
		long v = strtol(size, &end, 10);

		if (!*size || *end || v < 64 || v > 65535)
			return bad_option("--size", size, "a frame size 64..65535 or imix");
	}
	if (arrivals && strcmp(arrivals, "constant") && strcmp(arrivals, "poisson") &&
	    strcmp(arrivals, "onoff"))
		return bad_option("--arrivals", arrivals, "one of constant, poisson, onoff");

	config_defaults(&base);
	if (config_load(&base, config, calibration, err, sizeof(err))) {
		fprintf(stderr, "rxmodel: %s\n", err);
		return 1;
	}
	if (bw > 0) {
		base.bw_bps = bw;
		base.pps = 0;
	}
	if (pps > 0)
		base.pps = pps;
	if (duration)
		base.duration_ns = duration;
	if (warmup != UINT64_MAX)
		base.warmup_ns = warmup;
	if (seed != UINT64_MAX)
		base.seed = seed;
	if (size) {
		char *end;
		long v;

		if (!strcmp(size, "imix")) {
			static const uint32_t s[] = { 64, 594, 1518 };
			static const double w[] = { 7, 4, 1 };

			base.nsizes = 3;
			memcpy(base.size, s, sizeof(s));
			memcpy(base.size_weight, w, sizeof(w));
		} else {
			v = strtol(size, &end, 10);
			if (!*size || *end || v < 64 || v > 65535)
				return bad_option("--size", size, "a frame size 64..65535 or imix");
			base.nsizes = 1;
			base.size[0] = (uint32_t)v;
			base.size_weight[0] = 1;
		}
	}
	if (arrivals) {
		if (!strcmp(arrivals, "constant"))
			base.arrivals = ARR_CONSTANT;
		else if (!strcmp(arrivals, "poisson"))
			base.arrivals = ARR_POISSON;
		else if (!strcmp(arrivals, "onoff"))
			base.arrivals = ARR_ONOFF;
		else
			return bad_option("--arrivals", arrivals, "one of constant, poisson, onoff");
	}
	if (!nvariants)
		variants[nvariants++] = "baseline";
	/* check every variant before running anything */
	for (int v = 0; v < nvariants; v++) {
		struct model_config probe = base;

		if (config_apply_variant(&probe, variants[v], err, sizeof(err))) {
			fprintf(stderr, "rxmodel: %s\n", err);
			return 2;
		}
		if (config_validate(&probe, err, sizeof(err))) {
			fprintf(stderr, "rxmodel: variant %s: %s\n", variants[v], err);
			return 1;
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	{
		int nrates = nsweep ? nsweep : 1, total = nrates * nvariants;

		cfgs = calloc(total + 1, sizeof(*cfgs));
		res = calloc(total + 1, sizeof(*res));
		runs = calloc(total + 1, sizeof(*runs));
		labels = calloc(total + 1, sizeof(*labels));
		rets = calloc(total + 1, sizeof(*rets));
		errs = calloc(total + 1, sizeof(*errs));
		if (!cfgs || !res || !runs || !labels || !rets || !errs) {
			fprintf(stderr, "rxmodel: out of memory\n");
			goto out;
		}
		for (int r = 0; r < nrates; r++)
			for (int v = 0; v < nvariants; v++) {
				struct model_config *c = &cfgs[nruns];

				*c = base;
				if (nsweep) {
					c->bw_bps = sweep[r];
					c->pps = 0;
				}
				config_apply_variant(c, variants[v], err, sizeof(err));
				runs[nruns].cfg = c;
				runs[nruns].variant = variants[v];
				runs[nruns].res = &res[nruns];
				labels[nruns] = variants[v];
				nruns++;
			}
		if (!have_cap) {
			struct jobs j = { .cfgs = cfgs, .res = res, .labels = labels, .n = nruns,
					  .quiet = quiet, .tty = isatty(2), .ret = rets, .err = errs };
			int bad = jobs_run(&j, njobs > 0 ? (int)njobs : 1);

			if (bad >= 0) {
				fprintf(stderr, "rxmodel: %s\n", errs[bad]);
				goto out;
			}
		}
	}

	if (have_cap) {
		/* per variant, bisection on the offered bit rate (limits are monotone in load),
		 * from the line rate down */
		int kept = 0;

		meta.capacity = cap.text;
		meta.capacity_bps = -1;
		meta.capacity_run = -1;
		for (int v = 0; v < nruns; v++) {
			struct model_config *c = &cfgs[v];
			double mean_frame = config_mean_frame(c);
			double hi = c->line_rate_bps / frame_wire_bits(mean_frame) * 8 *
				    frame_payload(mean_frame);
			double lo = 0, found = -1;
			struct sim_results r;

			for (int it = 0; it < 14; it++) {
				double mid = it == 0 ? hi : (lo + hi) / 2;

				c->bw_bps = mid;
				c->pps = 0;
				if (!quiet)
					fprintf(stderr, "rxmodel: capacity %s step %d: %.4g bit/s\n",
						variants[v], it + 1, mid);
				if (sim_simulate(c, &r, err, sizeof(err))) {
					fprintf(stderr, "rxmodel: %s\n", err);
					goto out;
				}
				if (meets(&cap, &r)) {
					found = mid;
					res[v] = r;
					if (it == 0)
						break;
					lo = mid;
				} else {
					hi = mid;
				}
			}
			if (found < 0) {
				fprintf(stderr, "rxmodel: capacity: variant %s meets %s at no rate\n",
					variants[v], cap.text);
				continue;
			}
			c->bw_bps = found;
			if (meta.capacity_run < 0) {
				meta.capacity_bps = found;
				meta.capacity_run = kept;
			}
			cfgs[kept] = cfgs[v];
			res[kept] = res[v];
			runs[kept].cfg = &cfgs[kept];
			runs[kept].variant = variants[v];
			runs[kept].res = &res[kept];
			kept++;
		}
		nruns = kept;
	}

	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (stats) {
		struct rusage ru;
		double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		double sim_s = 0, pkts = 0;

		getrusage(RUSAGE_SELF, &ru);
		for (int i = 0; i < nruns; i++) {
			sim_s += (double)(cfgs[i].duration_ns + cfgs[i].warmup_ns) / 1e9;
			/* frames the NIC saw, warm-up included, at the offered rate */
			pkts += fmin(res[i].offered_pps, res[i].line_pps) *
				(double)(cfgs[i].duration_ns + cfgs[i].warmup_ns) / 1e9;
		}
		fprintf(stderr,
			"rxmodel: stats: %.3g s simulated, %.4g frames, %.3f s wall, %.2f M frames/s "
			"wall, peak RSS %ld KiB\n",
			sim_s, pkts, wall, pkts / wall / 1e6, ru.ru_maxrss);
	}
	meta.config_path = config;
	if (output) {
		int e = afile_open(&af, output);

		if (e) {
			fprintf(stderr, "rxmodel: --output %s: %s\n", output, strerror(-e));
			goto out;
		}
		out = af.f;
	}
	report_write(out, fmt, runs, nruns, &meta);
	if (output) {
		int e = afile_commit(&af);

		out = stdout;
		if (e) {
			fprintf(stderr, "rxmodel: --output %s: %s\n", output, strerror(-e));
			goto out;
		}
	} else if (fflush(stdout)) {
		fprintf(stderr, "rxmodel: writing the report: %s\n", strerror(errno));
		goto out;
	}
	ret = have_cap && meta.capacity_bps < 0 ? 3 : 0;
out:
	if (output)
		afile_abort(&af);
	free(cfgs);
	free(res);
	free(runs);
	free(labels);
	free(rets);
	free(errs);
	return ret;
}
