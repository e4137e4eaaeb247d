/* Log2 histograms of durations as text: "K:N K:N ...", slot K counting values in [2^K, 2^(K+1))
 * ns (slot 0: [0, 2)), only the non-empty slots, ascending. rxcalibrate writes the receiver's
 * wake-up latency so (measurements.csv column rx_wake_hist) and rxmodel reads the same text as
 * cpu.idle_exit_hist, the distribution it draws a shallow idle exit from. */
#ifndef RX_LOGHIST_H
#define RX_LOGHIST_H

#include <stddef.h>
#include <stdint.h>

#define LOGHIST_SLOTS 32
/* The slot from which a wake-up counts as slow: 2^15 ns = 32.8 us, the gap in the testbed's
 * latency histograms between a vCPU the host still polled and one it had halted
 * (docs/fit.md, "Idle exits for the model") */
#define LOGHIST_SLOW_SLOT 15
/* room for the text of LOGHIST_SLOTS slots with 64-bit counts */
#define LOGHIST_TEXT 800

/* Writes counts @n[0..LOGHIST_SLOTS) into @buf; "" when all are 0. Returns the length, or
 * -ENOSPC when @len is too short. */
int loghist_format(const uint64_t *n, char *buf, size_t len);

/* Parses @s into counts @w[0..LOGHIST_SLOTS) (zeroed first). 0, or -EINVAL with a message
 * naming the offending item in @err: a slot outside 0..31, a repeated or descending slot, a
 * count that is not a finite number >= 0, counts whose sum overflows, no non-zero count. */
int loghist_parse(const char *s, double *w, char *err, size_t len);

/* The slot of @ns ([0, 2): slot 0, as the probes count; beyond the last: the last). */
int loghist_slot(double ns);

/* Lower and upper bound of slot @k, ns. */
double loghist_lo(int k);
double loghist_hi(int k);

/* Mean of the distribution that is uniform within each slot, ns (0 for no weight). */
double loghist_mean(const double *w);

/* Linear histograms of durations as text, for distributions too narrow for log2 slots: bins
 * of USHIST_WIDTH_US, "K:N ..." with K the bin's lower edge in us (0, 2, ..., 510), only the
 * non-empty bins, ascending; the last bin also counts everything longer. rxcalibrate writes
 * the sender's timer lateness so (measurements.csv tx_wake_hist) and rxmodel reads it as
 * traffic.sender_wake_hist. Same contracts as the loghist_ functions. */
#define USHIST_BINS 256
#define USHIST_WIDTH_US 2
/* room for the text of all bins with 64-bit counts */
#define USHIST_TEXT (USHIST_BINS * 26)
int ushist_format(const uint64_t *n, char *buf, size_t len);
int ushist_parse(const char *s, double *w, char *err, size_t len);
int ushist_bin(double ns);
/* the bins' midpoints weighted, ns */
double ushist_mean(const double *w);

/* A timer sleep's length class, for a lateness that depends on it (a short sleep ends while
 * the vCPU still polls, a long one after it halted): [0, 16), [16, 32), [32, 64) and 64 us or
 * more: 0..SLEEP_CLASSES - 1. */
#define SLEEP_CLASSES 4
int sleep_class(double ns);

/* Parses SLEEP_CLASSES linear histograms joined by '|' (measurements.csv tx_wake_by_sleep)
 * into @w, @present[c] saying whether class c has one (an empty part: no sleep of that
 * length); "" is all absent. 0, or -EINVAL with a message naming the class. */
int ushist_parse_classes(const char *s, double (*w)[USHIST_BINS], int *present, char *err,
			 size_t len);
/* Writes SLEEP_CLASSES histograms @n joined by '|' into @buf (the text the above parses);
 * the length, or -ENOSPC (then "") */
int ushist_format_classes(const uint64_t (*n)[USHIST_BINS], char *buf, size_t len);

#endif
