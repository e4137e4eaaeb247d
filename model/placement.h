/* VNF placement: a chain of network functions sharing the traffic, server types, and which
 * function runs on which server with how many cores and rx queues (file format in
 * docs/placement.md).
 *
 * Model: a function instance owns its cores and rx queues (flows steered to its queues, VNFs
 * pinned). Its q queues are q identical shards, each one rx queue with cores/q cores: the poll
 * runs on the shard's first core and, for local delivery, one worker thread with its own socket
 * on the second (on the first when the shard has one core). A shard carries share x total / q of
 * the function's traffic (q summed over every placement of the function), so one simulation of
 * one shard stands for every shard of the instance. Servers only add up cores, queues and NIC
 * bits: functions on the same server do not otherwise interact.
 *
 * placement_load never leaves a half-checked placement: on error it returns -errno and writes
 * "file:line: message" into @err. */
#ifndef RX_PLACEMENT_H
#define RX_PLACEMENT_H

#include <stdio.h>

#include "config.h"
#include "report.h"
#include "sim.h"

#define PL_MAX_FUNCS 16
#define PL_MAX_SERVERS 16
#define PL_MAX_ENTRIES 64

struct pl_function {
	char name[NAME_LEN];
	double share;		/* of the total traffic; the shares sum to 1 */
	char variant[NAME_LEN];	/* applied to the base scenario first */
	uint32_t stages;	/* path.stages override, 0: the variant's */
	int end;		/* path.end override, -1: the variant's */
	double app_ns;		/* the function's own work per packet */
	int cores_per_queue;	/* cores of one shard for --search, 0: try 1 and 2 (socket) */
	int line;
};

struct pl_server {
	char name[NAME_LEN];
	int cores, queues;
	double nic_bps;
	int line;
};

/* One function on one server (machine @instance of type @server). */
struct pl_entry {
	int fn, server, instance;
	int cores, queues;
	int line;
};

struct placement {
	char path[PATH_MAX];
	char name[NAME_LEN];
	struct model_config base;	/* the base scenario (defaults, file, command line) */
	struct pl_function fn[PL_MAX_FUNCS];
	int nfn;
	struct pl_server srv[PL_MAX_SERVERS];
	int nsrv;
	struct pl_entry ent[PL_MAX_ENTRIES];
	int nent;
};

/* Loads @path and the base scenario it names (its calibration, or @cal_override). The base is
 * loaded into @p->base, which the caller may then change (seed, duration) before building
 * shard configs. */
int placement_load(struct placement *p, const char *path, const char *cal_override, char *err,
		   int errlen);

/* Checks the entries against the servers: cores a multiple of queues, each machine's cores,
 * queues and NIC bits (at @total_bw) within its type. 0 or -EINVAL with file:line in @err. */
int placement_check(const struct placement *p, double total_bw, char *err, int errlen);

/* Total rx queues given to function @fn over every entry. */
int placement_fn_queues(const struct placement *p, int fn);

/* The simulation of one shard of function @fn: @cores cores and one queue carrying
 * share x @total_bw / @fn_queues, on a NIC of @nic_bps. 0 or -EINVAL. */
int placement_shard_config(const struct placement *p, int fn, int cores, int fn_queues,
			   double total_bw, double nic_bps, struct model_config *out, char *err,
			   int errlen);

/* Offered bits/s on the wire of function @fn at @total_bw (payload bits/s). */
double placement_fn_wire_bps(const struct placement *p, int fn, double total_bw);

/* Limits of --search (and --capacity): loss share (ring, backlog, socket), p99 latency (the
 * application's when there is one, else at the end of the path), busiest core. */
struct pl_limits {
	double drop, p99_ns, cpu;
	int have_drop, have_p99, have_cpu;
	char text[128];
};

int pl_limits_parse(const char *arg, struct pl_limits *lim);
/* 1 when @r meets every limit. */
int pl_limits_meet(const struct pl_limits *lim, const struct sim_results *r);
double pl_loss(const struct sim_results *r);
double pl_p99_ns(const struct sim_results *r);
double pl_max_core(const struct sim_results *r);

/* Search outcome of one function: the fewest cores meeting the limits, as queues x cores per
 * queue, and the runs of every shape with one core fewer (none of which met them). */
struct pl_found {
	int cores, queues, cpq;		/* cores 0: none up to max_cores */
	int max_cores;
	int nfewer;
	int fewer_queues[2], fewer_cpq[2];
	struct sim_results fewer[2];
};

/* Report of an evaluated placement (@res[i] is the shard result of entry i). With @lim and
 * @found, also the search (limits, per function the run one shard smaller). */
void placement_write(FILE *f, enum report_format fmt, const struct placement *p,
		     double total_bw, const struct sim_results *res, const struct pl_limits *lim,
		     const struct pl_found *found);

/* First-fit decreasing by cores of functions sized @cores[fn] x @queues[fn] onto machines of
 * server type 0, within its cores, queues and NIC; fills p->ent. -ENOSPC with the function
 * named in @err when one does not fit an empty machine. */
int placement_pack(struct placement *p, const int *cores, const int *queues, double total_bw,
		   char *err, int errlen);

#endif
