/* Parsing and printing of rates, sizes and durations with SI suffixes, shared by both tools.
 * All parsers return 0 or -EINVAL/-ERANGE and leave *out untouched on error. */
#ifndef RX_UNITS_H
#define RX_UNITS_H

#include <stdint.h>

/* "800M", "10G", "1.5G", "2500000", "1e9": a non-negative finite rate in units/s.
 * Suffixes k K M G T are powers of 1000. Trailing "bps", "bit/s", "pps" or "/s" is accepted. */
int parse_rate(const char *s, double *out);

/* "1", "0.5s", "500ms", "50us", "100ns": a duration in ns, > 0 unless @allow_zero. */
int parse_duration_ns(const char *s, uint64_t *out, int allow_zero);

/* "212992", "208K", "4Ki", "1M": bytes; K/M/G are 1000s, Ki/Mi/Gi are 1024s. */
int parse_bytes(const char *s, uint64_t *out);

/* Comma-separated list of rates ("100M,200M,1G"); returns count or -errno. */
int parse_rate_list(const char *s, double *out, int max);

/* Formats @v with an SI suffix into @buf ("10G", "1.49M"). */
const char *format_si(double v, char *buf, int len);

#endif
