/* Reports of simulation results: aligned table (for people), CSV (one row per run, for gnuplot
 * and spreadsheets) and JSON (one document, schema in docs/report.md). */
#ifndef RX_REPORT_H
#define RX_REPORT_H

#include <stdio.h>

#include "config.h"
#include "sim.h"

/* FMT_MEASUREMENTS writes rxcalibrate's measurements.csv columns (docs/measurements-csv.md) from
 * the simulation, method "model": synthetic measurements for testing the fit. */
enum report_format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_MEASUREMENTS };

struct run_record {
	const struct model_config *cfg;	/* the config as run (rate and variant applied) */
	const char *variant;
	const struct sim_results *res;
};

struct report_meta {
	const char *config_path;
	const char *capacity;		/* capacity limits text, or NULL */
	double capacity_bps;		/* capacity found (< 0: none met) */
	int capacity_run;		/* index of the run at that rate, -1 */
};

void report_write(FILE *f, enum report_format fmt, const struct run_record *runs, int n,
		  const struct report_meta *meta);

#endif
