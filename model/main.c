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
#include "placement.h"
#include "report.h"
#include "sim.h"
#include "units.h"

#define MAX_RUNS 256

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rxmodel --config FILE [options]\n"
		"       rxmodel --placement FILE --bw TOTAL [--search LIMITS] [options]\n"
		"\n"
		"Discrete-event model of the Linux receive path: predicts CPU time per stage, drops\n"
		"by cause and latency for a traffic rate, driven by a calibration file.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE        scenario (libconfig; keys in docs/config.md)\n"
		"  -C, --calibration FILE   per-stage costs (overrides the scenario's 'calibration')\n"
		"      --host WHICH         whose idle exits and sender lines to simulate: scenario\n"
		"                           (default) or calibration (its host group: the machine\n"
		"                           the costs were measured on, e.g. to predict the testbed)\n"
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
		"      --placement FILE     evaluate a VNF placement (docs/placement.md) at --bw TOTAL:\n"
		"                           per server and function CPU, loss and p99 latency\n"
		"      --search LIMITS      with --placement: per function the fewest cores meeting\n"
		"                           LIMITS (as --capacity), packed onto the fewest servers\n"
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
		"  rxmodel --config configs/testbed-threaded.cfg --calibration mine.cfg --host calibration \\\n"
		"          --bw 300M\n"
		"  rxmodel --config configs/gilan.cfg --capacity drop=0.1%%,p99=500us\n"
		"  rxmodel --placement configs/gilan-chain.cfg --bw 40G\n"
		"  rxmodel --placement configs/gilan-chain.cfg --bw 40G --search drop=0.1%%,p99=500us\n");
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

/* Writes the report of @p whole (to @output atomically, or stdout); 0 or 1. */
static int placement_report(const struct placement *p, double bw, const struct sim_results *res,
			    const struct pl_limits *lim, const struct pl_found *found,
			    enum report_format fmt, const char *output)
{
	struct afile af = { 0 };
	FILE *out = stdout;
	int e;

	if (output) {
		if ((e = afile_open(&af, output))) {
			fprintf(stderr, "rxmodel: --output %s: %s\n", output, strerror(-e));
			return 1;
		}
		out = af.f;
	}
	placement_write(out, fmt, p, bw, res, lim, found);
	if (output) {
		if ((e = afile_commit(&af))) {
			fprintf(stderr, "rxmodel: --output %s: %s\n", output, strerror(-e));
			afile_abort(&af);
			return 1;
		}
	} else if (fflush(stdout)) {
		fprintf(stderr, "rxmodel: writing the report: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* --placement: one simulation per entry (a shard of it), run in parallel. With @lim, first the
 * search: per function, rounds q = 1, 2, ... queues of cores_per_queue cores until the shard
 * meets the limits (every still-open function of a round runs in parallel), then first-fit
 * decreasing onto servers of the first type. Returns the exit status. */
static int run_placement(struct placement *p, double bw, const struct pl_limits *lim, int njobs,
			 int quiet, enum report_format fmt, const char *output)
{
	int n = PL_MAX_ENTRIES > PL_MAX_FUNCS ? PL_MAX_ENTRIES : PL_MAX_FUNCS;
	struct model_config *cfgs = calloc(n, sizeof(*cfgs));
	struct sim_results *res = calloc(n, sizeof(*res));
	struct sim_results *best = calloc(PL_MAX_FUNCS, sizeof(*best));
	const char **labels = calloc(n, sizeof(*labels));
	int *rets = calloc(n, sizeof(*rets)), idx[PL_MAX_ENTRIES];
	char(*errs)[ERR_LEN] = calloc(n, sizeof(*errs));
	struct pl_found *found = calloc(PL_MAX_FUNCS, sizeof(*found));
	char err[ERR_LEN];
	int ret = 1, bad;

	if (!cfgs || !res || !found || !best || !labels || !rets || !errs) {
		fprintf(stderr, "rxmodel: out of memory\n");
		goto out;
	}
	if (lim) {
		const struct pl_server *v = &p->srv[0];
		int cores[PL_MAX_FUNCS] = { 0 }, queues[PL_MAX_FUNCS] = { 0 }, open = 0;
		int shape_q[PL_MAX_ENTRIES], shape_cpq[PL_MAX_ENTRIES];

		for (int f = 0; f < p->nfn; f++) {
			found[f].max_cores = v->cores < MAX_CORES ? v->cores : MAX_CORES;
			if (p->fn[f].share > 0)
				open++;
			else
				found[f].max_cores = 0;
		}
		/* linear in cores: round c runs every shape of c cores of every open function */
		for (int c = 1; open; c++) {
			struct jobs j = { .cfgs = cfgs, .res = res, .labels = labels, .quiet = 1,
					  .tty = 0, .ret = rets, .err = errs };

			for (int f = 0; f < p->nfn; f++) {
				if (found[f].cores || c > found[f].max_cores)
					continue;
				/* shapes: 2 cores per queue first (the worker off the poll core) */
				for (int cpq = 2; cpq >= 1; cpq--) {
					int q = c / cpq;

					if (c % cpq || (p->fn[f].cores_per_queue &&
							cpq != p->fn[f].cores_per_queue) ||
					    q > v->queues || q > MAX_QUEUES)
						continue;
					if (placement_shard_config(p, f, cpq, q, bw, v->nic_bps,
								   &cfgs[j.n], err, sizeof(err))) {
						fprintf(stderr, "rxmodel: %s\n", err);
						goto out;
					}
					labels[j.n] = p->fn[f].name;
					shape_q[j.n] = q;
					shape_cpq[j.n] = cpq;
					idx[j.n++] = f;
				}
			}
			if (!j.n) {
				for (int f = 0; f < p->nfn; f++)
					if (p->fn[f].share > 0 && !found[f].cores)
						fprintf(stderr,
							"rxmodel: search: %s meets %s with no size up "
							"to %d cores on one %s\n",
							p->fn[f].name, lim->text, found[f].max_cores,
							v->name);
				ret = 3;
				goto out;
			}
			if (!quiet)
				fprintf(stderr, "rxmodel: search: %d run%s at %d core%s\n", j.n,
					j.n == 1 ? "" : "s", c, c == 1 ? "" : "s");
			if ((bad = jobs_run(&j, njobs)) >= 0) {
				fprintf(stderr, "rxmodel: %s\n", errs[bad]);
				goto out;
			}
			for (int k = 0; k < j.n; k++) {
				int f = idx[k];

				if (found[f].cores == c || !pl_limits_meet(lim, &res[k]))
					continue;
				found[f].cores = c;
				found[f].queues = shape_q[k];
				found[f].cpq = shape_cpq[k];
				best[f] = res[k];
				cores[f] = c;
				queues[f] = shape_q[k];
				open--;
			}
			for (int k = 0; k < j.n; k++) {
				int f = idx[k], m;

				if (found[f].cores == c)
					continue;
				/* still open: this round is the "one core fewer" of the next */
				if (k == 0 || idx[k - 1] != f)
					found[f].nfewer = 0;
				m = found[f].nfewer++;
				found[f].fewer[m] = res[k];
				found[f].fewer_queues[m] = shape_q[k];
				found[f].fewer_cpq[m] = shape_cpq[k];
			}
		}
		if (placement_pack(p, cores, queues, bw, err, sizeof(err))) {
			fprintf(stderr, "rxmodel: %s\n", err);
			ret = 3;
			goto out;
		}
		for (int i = 0; i < p->nent; i++)
			res[i] = best[p->ent[i].fn];
	} else {
		struct jobs j = { .cfgs = cfgs, .res = res, .labels = labels, .n = p->nent,
				  .quiet = quiet, .tty = isatty(2), .ret = rets, .err = errs };

		if (placement_check(p, bw, err, sizeof(err))) {
			fprintf(stderr, "rxmodel: %s\n", err);
			goto out;
		}
		for (int i = 0; i < p->nent; i++) {
			const struct pl_entry *e = &p->ent[i];

			if (placement_shard_config(p, e->fn, e->cores / e->queues,
						   placement_fn_queues(p, e->fn), bw,
						   p->srv[e->server].nic_bps, &cfgs[i], err,
						   sizeof(err))) {
				fprintf(stderr, "rxmodel: %s\n", err);
				goto out;
			}
			labels[i] = p->fn[e->fn].name;
		}
		if ((bad = jobs_run(&j, njobs)) >= 0) {
			fprintf(stderr, "rxmodel: %s\n", errs[bad]);
			goto out;
		}
	}
	ret = placement_report(p, bw, res, lim, lim ? found : NULL, fmt, output);
out:
	free(cfgs);
	free(res);
	free(found);
	free(best);
	free(labels);
	free(rets);
	free(errs);
	return ret;
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
		{ "placement", required_argument, NULL, 5 },
		{ "search", required_argument, NULL, 6 },
		{ "host", required_argument, NULL, 7 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *placement_file = NULL, *config = NULL, *calibration = NULL, *output = NULL, *size = NULL,
		   *arrivals = NULL, *variants[MAX_VARIANTS];
	double bw = -1, pps = -1, sweep[MAX_RUNS];
	int nsweep = 0, nvariants = 0, quiet = 0, have_cap = 0, have_search = 0, stats = 0, opt;
	int host_cal = 0;	/* --host calibration */
	struct placement *pl = NULL;
	long njobs = sysconf(_SC_NPROCESSORS_ONLN);
	struct timespec t0, t1;
	uint64_t duration = 0, warmup = UINT64_MAX, seed = UINT64_MAX;
	enum report_format fmt = FMT_TABLE;
	struct pl_limits cap, search;
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
			if (pl_limits_parse(optarg, &cap))
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
		case 5:
			placement_file = optarg;
			break;
		case 6:
			if (pl_limits_parse(optarg, &search))
				return bad_option("--search", optarg,
						  "expected drop=SHARE%, p99=TIME and/or cpu=SHARE% "
						  "(e.g. drop=0.1%,p99=500us)");
			have_search = 1;
			break;
		case 7:
			if (strcmp(optarg, "calibration") && strcmp(optarg, "scenario"))
				return bad_option("--host", optarg, "calibration or scenario");
			host_cal = !strcmp(optarg, "calibration");
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
	if (placement_file) {
		if (config || nsweep || pps > 0 || have_cap || nvariants || fmt == FMT_MEASUREMENTS ||
		    host_cal) {
			fprintf(stderr, "rxmodel: --placement takes --bw and --search, not --config, "
					"--pps, --sweep, --capacity, --variant, --host or --format "
					"measurements\n");
			return 2;
		}
		if (!(bw > 0)) {
			fprintf(stderr, "rxmodel: --placement needs --bw TOTAL (e.g. --bw 40G)\n");
			return 2;
		}
	} else if (have_search) {
		fprintf(stderr, "rxmodel: --search needs --placement FILE\n");
		return 2;
	} else if (!config) {
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
	if (placement_file) {
		pl = calloc(1, sizeof(*pl));
		if (!pl) {
			fprintf(stderr, "rxmodel: out of memory\n");
			return 1;
		}
		if (placement_load(pl, placement_file, calibration, err, sizeof(err))) {
			fprintf(stderr, "rxmodel: %s\n", err);
			free(pl);
			return 1;
		}
		base = pl->base;
	} else if (config_load(&base, config, calibration, err, sizeof(err)) ||
		   (host_cal && config_apply_host(&base, err, sizeof(err)))) {
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
	if (pl) {
		pl->base = base;
		ret = run_placement(pl, bw, have_search ? &search : NULL, (int)njobs, quiet, fmt,
				    output);
		free(pl);
		return ret;
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
				if (pl_limits_meet(&cap, &r)) {
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
