/* RXC_FAULT: faults injected on purpose, for tests/calibrate/faults*.sh (docs/faults.md). Unset,
 * as everywhere outside those tests, it changes nothing. One fault per run, RXC_FAULT=KIND:ARG:
 *   pause:setup  pause:step  pause:write
 *                stop at that point of a run (one line on stderr) until a signal, at most 60 s:
 *                setup with the testbed built and no probe loaded yet, step inside the first
 *                measurement window, write with the measurements written to an unnamed
 *                temporary file not yet linked in as --out
 *   load:PROG    the kernel is asked to load BPF program PROG with an unknown flag (it refuses)
 *   attach:PROG  program PROG is attached to a raw tracepoint that does not exist
 *   tracepoint:TP
 *                the check before the load looks for RXC_FAULT_NO_TP for TP's programs */
#ifndef RXC_FAULT_H
#define RXC_FAULT_H

#define RXC_FAULT_NO_TP "rxc_fault_no_such_tracepoint"

/* ARG when RXC_FAULT is KIND:ARG, else NULL. */
const char *rxc_fault(const char *kind);
/* With RXC_FAULT=pause:PHASE: says so on stderr and waits for a signal (rxc_stop) or 60 s. */
void rxc_fault_pause(const char *phase);

#endif
