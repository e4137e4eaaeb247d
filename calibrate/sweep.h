/* `rxcalibrate run`: the rate sweep. For each rate: set the sender, warm up, snapshot every counter
 * (probes, sender, receiver, /proc/net/snmp of the receiving namespace, softnet_stat, veth drops),
 * measure, snapshot again, turn the deltas into per-stage rows. The CSV is written only when every
 * step finished; an interrupted run leaves no file behind. */
#ifndef RXC_SWEEP_H
#define RXC_SWEEP_H

#include "cli.h"

/* Returns a process exit status (0 ok, 1 runtime error, 2 bad input/environment, 130 signal). */
int sweep_run(const struct run_opts *o);

/* Set by SIGINT/SIGTERM; every wait in the sweep checks it. */
extern volatile int rxc_stop;

#endif
