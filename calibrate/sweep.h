/* `rxcalibrate run`: the rate sweep. For each rate: set the sender, warm up, snapshot every counter
 * (probes, sender, receiver, /proc/net/snmp of the receiving namespace, softnet_stat, veth drops),
 * measure, snapshot again, turn the deltas into per-stage rows. The CSV is written only when every
 * step finished; an interrupted run leaves no file behind. */
#ifndef RXC_SWEEP_H
#define RXC_SWEEP_H

#include "cli.h"

/* Returns a process exit status (0 ok, 1 runtime error, 2 bad input/environment,
 * 128 + N after signal N: SIGINT 130, SIGTERM 143). */
int sweep_run(const struct run_opts *o);

/* Held (flock) by the one `rxcalibrate run` allowed at a time; holds its pid. */
#define RXC_RUN_LOCK "/run/rxcalibrate.lock"

/* Set by SIGINT/SIGTERM to the signal's number; every wait in the sweep checks it. */
extern volatile int rxc_stop;

#endif
