#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "units.h"

/* Simple IMIX (7:4:1 of 64, 594, 1518-byte frames), as used by Agilent/Spirent test gear. */
static const uint32_t imix_size[] = { 64, 594, 1518 };
static const double imix_weight[] = { 7, 4, 1 };

const char *const builtin_variant_names[] = { "baseline", "xdp-drop", "no-netfilter",
					      "skip-transport", "gro-off", "forward", NULL };

void config_defaults(struct model_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "default");
	c->cores = 2;
	c->hz = 1000;
	c->slice_us = 3000;
	c->wakeup_gran_us = 1000;
	c->halt_poll_grow = 2;		/* KVM's defaults (virt/kvm/kvm_main.c) */
	c->halt_poll_grow_start_us = 10;
	c->halt_poll_shrink = 0;

	c->nic_mode = NIC_RING;
	c->line_rate_bps = 10e9;
	c->queues = 1;
	c->ring = 512;
	c->refill_batch = 32;
	c->itr_us = 50;
	c->itr_min_us = 2;
	c->itr_max_us = 126;
	c->n_irq_cpu = 1;

	c->napi_mode = NAPI_SOFTIRQ;
	c->weight = 64;
	c->budget = 300;
	c->budget_usecs = 0; /* 0: the kernel default, 2 * USEC_PER_SEC / HZ (two jiffies) */
	c->n_thread_cpu = 1;
	c->max_restart = 10;
	c->max_softirq_us = 2000;
	c->defer_to_ksoftirqd = 1;

	c->bw_bps = 1e9;
	c->arrivals = ARR_POISSON;
	c->on_us = 100;
	c->off_us = 100;
	c->flows = 1;
	c->burst = 1;
	c->nsizes = 1;
	c->size[0] = 1518;
	c->size_weight[0] = 1;

	c->path_mask = (1u << STAGE_POLL) | (1u << STAGE_GRO) | (1u << STAGE_SKB_PREP) |
		       (1u << STAGE_IP) | (1u << STAGE_IP_TO_TRANSPORT) | (1u << STAGE_TRANSPORT);
	c->path_end = END_SOCKET;

	c->rcvbuf = 212992;
	c->truesize = 2304;
	c->app_enabled = 1;
	c->app_cpu = 1;
	c->app_batch = 1;
	c->sender_cpu = -1;
	c->bg_cpu = 0;

	c->duration_ns = 1000000000ull;
	c->warmup_ns = 100000000ull;
	c->seed = 1;
	c->batches = 20;
}

/* ---- error reporting: config_fail (config.h) ---- */

int config_fail(const struct config_err *l, const config_setting_t *s, const char *fmt, ...)
{
	char msg[ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s && config_setting_source_file(s) && strcmp(config_setting_source_file(s), l->file))
		/* from an @include: libconfig opened include_dir/NAME (config_parse_file) */
		snprintf(l->err, l->errlen, "%s%s%s:%d: %s", s->config->include_dir ?: "",
			 s->config->include_dir ? "/" : "", config_setting_source_file(s),
			 config_setting_source_line(s), msg);
	else if (s && config_setting_source_line(s))
		snprintf(l->err, l->errlen, "%s:%d: %s", l->file, config_setting_source_line(s), msg);
	else
		snprintf(l->err, l->errlen, "%s: %s", l->file, msg);
	config_one_line(l->err);
	return -EINVAL;
}

void config_one_line(char *msg)
{
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static const char *path_of(const config_setting_t *s, char *buf, int len)
{
	const config_setting_t *chain[16];
	int n = 0, off = 0;

	for (; s && n < 16; s = config_setting_parent(s))
		if (config_setting_name(s))
			chain[n++] = s;
	buf[0] = 0;
	while (n-- > 0 && off < len)
		off += snprintf(buf + off, len - off, "%s%s", off ? "." : "",
				config_setting_name(chain[n]));
	return buf;
}

/* ---- typed getters: each checks the type and names the key on error ----------------------- */

static int get_num(struct config_err *l, const config_setting_t *s, double *out)
{
	char p[128];

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*out = (double)config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_FLOAT:
		*out = config_setting_get_float(s);
		if (!isfinite(*out))
			return config_fail(l, s, "%s: not a finite number", path_of(s, p, sizeof(p)));
		return 0;
	default:
		return config_fail(l, s, "%s: expected a number", path_of(s, p, sizeof(p)));
	}
}

static int get_nonneg(struct config_err *l, const config_setting_t *s, double *out)
{
	char p[128];
	double v = 0;
	int err = get_num(l, s, &v);

	if (err)
		return err;
	if (v < 0)
		return config_fail(l, s, "%s: must not be negative (got %g)", path_of(s, p, sizeof(p)), v);
	*out = v;
	return 0;
}

/* A stage's `cov`: TERM_COUNT² finite numbers, row by row, symmetric (to 1e-6 of the larger),
 * with no negative variance on the diagonal. */
static int get_cov(struct config_err *l, const config_setting_t *s, struct stage_cost *sc)
{
	char p[128];

	if ((config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) ||
	    config_setting_length(s) != TERM_COUNT * TERM_COUNT)
		return config_fail(l, s, "%s: expected an array of %d numbers (the %d x %d covariance "
				  "of per_call, per_packet, per_byte, deep_wake, per_wake, wake_idle, "
				  "cold, remote, row by row)", path_of(s, p, sizeof(p)),
				  TERM_COUNT * TERM_COUNT, TERM_COUNT, TERM_COUNT);
	for (int i = 0; i < TERM_COUNT * TERM_COUNT; i++) {
		int err = get_num(l, config_setting_get_elem(s, i), &sc->cov[i / TERM_COUNT][i % TERM_COUNT]);

		if (err)
			return err;
	}
	for (int i = 0; i < TERM_COUNT; i++) {
		if (sc->cov[i][i] < 0)
			return config_fail(l, s, "%s: variance %d is negative (%g)",
					  path_of(s, p, sizeof(p)), i + 1, sc->cov[i][i]);
		for (int j = 0; j < i; j++) {
			if (fabs(sc->cov[i][j] - sc->cov[j][i]) >
			    1e-6 * fmax(fabs(sc->cov[i][j]), fabs(sc->cov[j][i])))
				return config_fail(l, s, "%s: not symmetric (elements %d,%d and %d,%d)",
						  path_of(s, p, sizeof(p)), i + 1, j + 1, j + 1, i + 1);
			/* a correlation beyond ±1 (to rounding) is no covariance */
			if (fabs(sc->cov[i][j]) > (1 + 1e-6) * sqrt(fmax(0, sc->cov[i][i] *
									  sc->cov[j][j])) + 1e-300)
				return config_fail(l, s, "%s: element %d,%d is larger than the variances "
						  "allow (|c_ij| <= sqrt(c_ii c_jj))",
						  path_of(s, p, sizeof(p)), i + 1, j + 1);
		}
	}
	sc->has_cov = 1;
	return 0;
}

static int get_int(struct config_err *l, const config_setting_t *s, long lo, long hi, int *out)
{
	char p[128];
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return config_fail(l, s, "%s: expected an integer", path_of(s, p, sizeof(p)));
	v = config_setting_get_int64(s);
	if (v < lo || v > hi)
		return config_fail(l, s, "%s: %lld is out of range [%ld, %ld]", path_of(s, p, sizeof(p)), v,
			    lo, hi);
	*out = (int)v;
	return 0;
}

static int get_bool(struct config_err *l, const config_setting_t *s, int *out)
{
	char p[128];

	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return config_fail(l, s, "%s: expected true or false", path_of(s, p, sizeof(p)));
	*out = config_setting_get_bool(s);
	return 0;
}

static int get_str(struct config_err *l, const config_setting_t *s, const char **out)
{
	char p[128];

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return config_fail(l, s, "%s: expected a string", path_of(s, p, sizeof(p)));
	*out = config_setting_get_string(s);
	return 0;
}

static int copy_str(struct config_err *l, const config_setting_t *s, char *dst, size_t len)
{
	const char *v = NULL;
	int err = get_str(l, s, &v);

	if (err)
		return err;
	snprintf(dst, len, "%s", v);
	return 0;
}

/* A rate given as a number or as a string with SI suffix ("40G"). */
static int get_rate(struct config_err *l, const config_setting_t *s, double *out)
{
	char p[128];

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (parse_rate(config_setting_get_string(s), out))
			return config_fail(l, s, "%s: '%s' is not a rate (e.g. 800M, 10G, 1.5G)",
				    path_of(s, p, sizeof(p)), config_setting_get_string(s));
		return 0;
	}
	return get_nonneg(l, s, out);
}

static int get_dur(struct config_err *l, const config_setting_t *s, uint64_t *out, int allow_zero)
{
	char p[128];
	double v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (parse_duration_ns(config_setting_get_string(s), out, allow_zero))
			return config_fail(l, s, "%s: '%s' is not a duration (e.g. 1s, 500ms)",
				    path_of(s, p, sizeof(p)), config_setting_get_string(s));
		return 0;
	}
	if (get_nonneg(l, s, &v))
		return -EINVAL;
	if ((!allow_zero && v <= 0) || v > 1e9)
		return config_fail(l, s, "%s: duration %g s out of range", path_of(s, p, sizeof(p)), v);
	*out = (uint64_t)llround(v * 1e9);
	return 0;
}

static int get_bytes(struct config_err *l, const config_setting_t *s, uint64_t *out)
{
	char p[128];
	double v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (parse_bytes(config_setting_get_string(s), out))
			return config_fail(l, s, "%s: '%s' is not a byte count", path_of(s, p, sizeof(p)),
				    config_setting_get_string(s));
		return 0;
	}
	if (get_nonneg(l, s, &v))
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

static int get_int_array(struct config_err *l, const config_setting_t *s, int lo, int hi, int *out,
			 int max, int *n)
{
	char p[128];
	int len;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
		return config_fail(l, s, "%s: expected a list of integers [a, b, ...]",
			    path_of(s, p, sizeof(p)));
	len = config_setting_length(s);
	if (len < 1 || len > max)
		return config_fail(l, s, "%s: needs 1 to %d elements", path_of(s, p, sizeof(p)), max);
	for (int i = 0; i < len; i++)
		if (get_int(l, config_setting_get_elem(s, i), lo, hi, &out[i]))
			return -EINVAL;
	*n = len;
	return 0;
}

/* A histogram given as text (model/loghist.h): parsed by @parse into @w; @has says it is set */
static int get_hist(struct config_err *l, const config_setting_t *s,
		    int (*parse)(const char *, double *, char *, size_t), double *w, int *has)
{
	const char *v = NULL;
	char msg[160], p[128];
	int err = get_str(l, s, &v);

	if (!err && parse(v, w, msg, sizeof(msg)))
		err = config_fail(l, s, "%s: %s", path_of(s, p, sizeof(p)), msg);
	*has = !err;
	return err;
}

/* traffic.sender_wake_by_sleep: a list of SLEEP_CLASSES strings, each a linear histogram or
 * "" (none for sleeps of that length), into @w and @has */
static int get_wake_by_sleep(struct config_err *l, const config_setting_t *s,
			     double w[SLEEP_CLASSES][USHIST_BINS], int has[SLEEP_CLASSES])
{
	char p[128], msg[160];

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
		return config_fail(l, s, "%s: expected a list of %d strings (sleeps under 16, 32, 64 "
				   "us, longer)", path_of(s, p, sizeof(p)), SLEEP_CLASSES);
	if (config_setting_length(s) != SLEEP_CLASSES)
		return config_fail(l, s, "%s: needs %d strings (sleeps under 16, 32, 64 us, longer), "
				   "not %d", path_of(s, p, sizeof(p)), SLEEP_CLASSES,
				   config_setting_length(s));
	for (int k = 0; k < SLEEP_CLASSES; k++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)k);
		const char *v = NULL;

		if (get_str(l, e, &v))
			return -EINVAL;
		has[k] = 0;
		if (strspn(v, " \t") == strlen(v))
			continue;
		if (ushist_parse(v, w[k], msg, sizeof(msg)))
			return config_fail(l, e, "%s[%d]: %s", path_of(s, p, sizeof(p)), k, msg);
		has[k] = 1;
	}
	return 0;
}

static int get_stage(struct config_err *l, const config_setting_t *s, int *out)
{
	const char *v = NULL;
	int st = 0;

	if (get_str(l, s, &v))
		return -EINVAL;
	st = stage_lookup(v);
	if (st < 0)
		return config_fail(l, s, "unknown stage '%s' (see docs/config.md for the stage names)", v);
	*out = st;
	return 0;
}

static int get_stage_mask(struct config_err *l, const config_setting_t *s, uint32_t *mask)
{
	char p[128];
	int st = 0;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
		return config_fail(l, s, "%s: expected a list of stage names", path_of(s, p, sizeof(p)));
	*mask = 0;
	for (int i = 0; i < config_setting_length(s); i++) {
		if (get_stage(l, config_setting_get_elem(s, i), &st))
			return -EINVAL;
		if (!stage_table[st].per_packet)
			return config_fail(l, config_setting_get_elem(s, i),
				    "stage '%s' is not on a packet's path (irq, softirq, app and cs "
				    "always run)",
				    stage_table[st].name);
		*mask |= 1u << st;
	}
	return 0;
}

static int get_enum(struct config_err *l, const config_setting_t *s, const char *const *names, int *out)
{
	char p[128], list[128] = "";
	const char *v = NULL;

	if (get_str(l, s, &v))
		return -EINVAL;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(v, names[i])) {
			*out = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	}
	return config_fail(l, s, "%s: '%s' is not one of: %s", path_of(s, p, sizeof(p)), v, list);
}

static int unknown(struct config_err *l, const config_setting_t *s)
{
	char p[128];

	return config_fail(l, s, "unknown key '%s'", path_of(s, p, sizeof(p)));
}

static int need_group(struct config_err *l, const config_setting_t *s)
{
	char p[128];

	if (!config_setting_is_group(s))
		return config_fail(l, s, "%s: expected a group { ... }", path_of(s, p, sizeof(p)));
	return 0;
}

#define KEY(k) (!strcmp(name, k))
#define FOR_EACH_KEY(grp)                                                                          \
	for (int i_ = 0; i_ < config_setting_length(grp); i_++)                                    \
		for (config_setting_t *s = config_setting_get_elem(grp, i_); s; s = NULL)          \
			for (const char *name = config_setting_name(s); name; name = NULL)

/* ---- calibration -------------------------------------------------------------------------- */

static const char *const dist_names[] = { "fixed", "gamma", "exponential", NULL };

static int load_stage_cost(struct config_err *l, config_setting_t *g, struct stage_cost *sc)
{
	int err = 0, d;

	if (need_group(l, g))
		return -EINVAL;
	memset(sc, 0, sizeof(*sc));
	sc->present = 1;
	FOR_EACH_KEY(g)
	{
		if (KEY("per_call_ns"))
			err = get_nonneg(l, s, &sc->per_call_ns);
		else if (KEY("per_packet_ns"))
			err = get_nonneg(l, s, &sc->per_packet_ns);
		else if (KEY("per_byte_ns"))
			err = get_nonneg(l, s, &sc->per_byte_ns);
		else if (KEY("per_call_se"))
			err = get_nonneg(l, s, &sc->per_call_se);
		else if (KEY("per_packet_se"))
			err = get_nonneg(l, s, &sc->per_packet_se);
		else if (KEY("per_byte_se"))
			err = get_nonneg(l, s, &sc->per_byte_se);
		else if (KEY("cv"))
			err = get_nonneg(l, s, &sc->cv);
		else if (KEY("netfilter_share")) {
			err = get_nonneg(l, s, &sc->netfilter_share);
			if (!err && sc->netfilter_share > 1)
				err = config_fail(l, s, "netfilter_share must be within [0, 1]");
		} else if (KEY("dist")) {
			err = get_enum(l, s, dist_names, &d);
			sc->dist = d;
		} else if (KEY("skb_build_ns"))
			err = get_nonneg(l, s, &sc->skb_build_ns);
		else if (KEY("per_wake_ns"))
			err = get_nonneg(l, s, &sc->per_wake_ns);
		else if (KEY("per_wake_se"))
			err = get_nonneg(l, s, &sc->per_wake_se);
		else if (KEY("deep_wake_ns"))
			err = get_nonneg(l, s, &sc->deep_wake_ns);
		else if (KEY("deep_wake_se"))
			err = get_nonneg(l, s, &sc->deep_wake_se);
		else if (KEY("deep_wake_after_us"))
			err = get_nonneg(l, s, &sc->deep_wake_after_us);
		else if (KEY("wake_idle_ns"))
			err = get_nonneg(l, s, &sc->wake_idle_ns);
		else if (KEY("wake_idle_se"))
			err = get_nonneg(l, s, &sc->wake_idle_se);
		else if (KEY("wake_idle_after_us"))
			err = get_nonneg(l, s, &sc->wake_idle_after_us);
		else if (KEY("remote_ns"))
			err = get_nonneg(l, s, &sc->remote_ns);
		else if (KEY("remote_se"))
			err = get_nonneg(l, s, &sc->remote_se);
		else if (KEY("drop_ns"))
			err = get_nonneg(l, s, &sc->drop_ns);
		else if (KEY("drop_se"))
			err = get_nonneg(l, s, &sc->drop_se);
		else if (KEY("head_share")) {
			err = get_nonneg(l, s, &sc->head_share);
			if (!err && sc->head_share > 1)
				err = config_fail(l, s, "head_share must be within [0, 1]");
			sc->has_head = 1;
		} else if (KEY("head_share_se"))
			err = get_nonneg(l, s, &sc->head_share_se);
		else if (KEY("drop_source"))
			continue; /* provenance of drop_ns, informational */
		else if (KEY("cov"))
			err = get_cov(l, s, sc);
		else if (KEY("cold_ns"))
			err = get_nonneg(l, s, &sc->cold_ns);
		else if (KEY("cold_se"))
			err = get_nonneg(l, s, &sc->cold_se);
		else if (KEY("cold_after_us"))
			err = get_nonneg(l, s, &sc->cold_after_us);
		else if (KEY("cold_from_us"))
			err = get_nonneg(l, s, &sc->cold_from_us);
		else if (KEY("source"))
			err = copy_str(l, s, sc->source, sizeof(sc->source));
		else if (KEY("fit") || KEY("r2") || KEY("cv_error") || KEY("n") || KEY("method"))
			continue; /* fit quality, informational */
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	if ((sc->per_wake_ns > 0 || sc->deep_wake_ns > 0 || sc->per_wake_se > 0 ||
	     sc->deep_wake_se > 0 || sc->deep_wake_after_us > 0 || sc->wake_idle_ns > 0 ||
	     sc->wake_idle_se > 0 || sc->wake_idle_after_us > 0) &&
	    strcmp(config_setting_name(g), "transport"))
		return config_fail(l, g, "stage '%s': per_wake_ns, wake_idle_ns, deep_wake_ns and "
				  "their parameters belong to stage transport (the socket enqueue wakes the "
				  "application)", config_setting_name(g));
	if (sc->wake_idle_ns > 0 && sc->wake_idle_after_us <= 0)
		return config_fail(l, g, "stage '%s': wake_idle_ns needs wake_idle_after_us > 0",
				  config_setting_name(g));
	if (sc->cold_ns > 0 && sc->cold_after_us <= 0)
		return config_fail(l, g, "stage '%s': cold_ns needs cold_after_us > 0",
				  config_setting_name(g));
	if ((sc->cold_ns > 0 || sc->cold_se > 0 || sc->cold_after_us > 0 || sc->cold_from_us > 0) &&
	    (!strcmp(config_setting_name(g), "irq") || !strcmp(config_setting_name(g), "app") ||
	     !strcmp(config_setting_name(g), "cs")))
		return config_fail(l, g, "stage '%s': cold_ns belongs to the stages a poll runs for "
				  "its packets", config_setting_name(g));
	if ((sc->remote_ns > 0 || sc->remote_se > 0) &&
	    (!strcmp(config_setting_name(g), "irq") || !strcmp(config_setting_name(g), "app") ||
	     !strcmp(config_setting_name(g), "cs") || !strcmp(config_setting_name(g), "softirq")))
		return config_fail(l, g, "stage '%s': remote_ns belongs to the stages a poll runs for "
				  "its packets after the softirq stage", config_setting_name(g));
	if (!stage_can_drop(stage_lookup(config_setting_name(g)))) {
		if (sc->drop_ns > 0 || sc->drop_se > 0)
			return config_fail(l, g, "stage '%s': drop_ns belongs to the stages a rule can "
					  "drop a packet in (path.drop)", config_setting_name(g));
		if (sc->has_head || sc->head_share_se > 0)
			return config_fail(l, g, "stage '%s': head_share belongs to the stages a rule "
					  "can drop a packet in (path.drop)", config_setting_name(g));
	}
	if (sc->deep_wake_ns > 0 && sc->deep_wake_after_us <= 0)
		return config_fail(l, g, "stage '%s': deep_wake_ns needs deep_wake_after_us > 0",
				  config_setting_name(g));
	if (sc->skb_build_ns > sc->per_packet_ns)
		return config_fail(l, g, "stage '%s': skb_build_ns is part of per_packet_ns and cannot "
				  "exceed it", config_setting_name(g));
	if (sc->dist != DIST_FIXED && sc->cv <= 0 && sc->dist == DIST_GAMMA)
		return config_fail(l, g, "stage '%s': dist \"gamma\" needs cv > 0", config_setting_name(g));
	return 0;
}

/* provenance.rates_requested_bps: the fit's rates, kept once each (up to the array's size) */
static int get_fit_rates(struct config_err *l, const config_setting_t *s, struct calibration *out)
{
	char p[128];
	int cap = CAL_MAX_FIT_RATES;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
		return config_fail(l, s, "%s: expected a list of rates in bit/s",
				   path_of(s, p, sizeof(p)));
	for (int i = 0; i < config_setting_length(s); i++) {
		double v;
		int k;

		if (get_nonneg(l, config_setting_get_elem(s, (unsigned)i), &v))
			return -EINVAL;
		for (k = 0; k < out->nfit_rates && out->fit_rates[k] != v; k++)
			;
		if (k == out->nfit_rates && out->nfit_rates < cap)
			out->fit_rates[out->nfit_rates++] = v;
	}
	return 0;
}

/* calibration.host: the lines of the host the costs were measured on (struct cal_host) */
static int load_host(struct config_err *l, config_setting_t *g, struct cal_host *h)
{
	int err = 0;
	double call = -1, frame = -1;

	if (need_group(l, g))
		return -EINVAL;
	FOR_EACH_KEY(g)
	{
		if (KEY("idle_exit_hist"))
			err = get_hist(l, s, loghist_parse, h->idle_exit_hist, &h->has_idle_exit_hist);
		else if (KEY("idle_exit_deep_us"))
			err = get_nonneg(l, s, &h->idle_exit_deep_us);
		else if (KEY("halt_poll_us"))
			err = get_nonneg(l, s, &h->halt_poll_us);
		else if (KEY("sender_call_us"))
			err = get_nonneg(l, s, &call);
		else if (KEY("sender_frame_us"))
			err = get_nonneg(l, s, &frame);
		else if (KEY("sender_wake_hist"))
			err = get_hist(l, s, ushist_parse, h->sender_wake_hist,
				       &h->has_sender_wake_hist);
		else if (KEY("sender_wake_by_sleep"))
			err = get_wake_by_sleep(l, s, h->sender_wake_by_sleep,
						h->has_sender_wake_by_sleep);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	if ((call >= 0) != (frame >= 0) || (call >= 0 && !(call > 0 || frame > 0)))
		return config_fail(l, g, "calibration.host: sender_call_us and sender_frame_us go "
				  "together, one of them > 0");
	if (call >= 0) {
		h->has_sender_cost = 1;
		h->sender_call_us = call;
		h->sender_frame_us = frame;
	}
	if (!h->has_sender_cost && h->has_sender_wake_hist)
		return config_fail(l, g, "calibration.host: sender_wake_hist is the sender thread's "
				  "wake-up: it needs sender_call_us and sender_frame_us");
	for (int k = 0; k < SLEEP_CLASSES; k++)
		if (!h->has_sender_cost && h->has_sender_wake_by_sleep[k])
			return config_fail(l, g, "calibration.host: sender_wake_by_sleep is the sender "
					  "thread's wake-up: it needs sender_call_us and "
					  "sender_frame_us");
	if (h->halt_poll_us > 0 && !(h->idle_exit_deep_us > 0))
		return config_fail(l, g, "calibration.host: halt_poll_us decides which wake-ups take "
				  "idle_exit_deep_us, which is not given");
	h->present = 1;
	return 0;
}

static int load_calibration_group(struct config_err *l, config_setting_t *cal, struct calibration *out)
{
	int err = 0;

	if (need_group(l, cal))
		return -EINVAL;
	FOR_EACH_KEY(cal)
	{
		if (KEY("name"))
			err = copy_str(l, s, out->name, sizeof(out->name));
		else if (KEY("description") || KEY("fit"))
			continue;
		else if (KEY("provenance")) {
			config_setting_t *v;

			if (need_group(l, s))
				return -EINVAL;
			if ((v = config_setting_get_member(s, "method")) &&
			    (err = copy_str(l, v, out->method, sizeof(out->method))))
				return err;
			if ((v = config_setting_get_member(s, "kernel")) &&
			    (err = copy_str(l, v, out->kernel, sizeof(out->kernel))))
				return err;
			if ((v = config_setting_get_member(s, "cpu")) &&
			    (err = copy_str(l, v, out->cpu, sizeof(out->cpu))))
				return err;
			if ((v = config_setting_get_member(s, "rates_requested_bps")) &&
			    (err = get_fit_rates(l, v, out)))
				return err;
			for (int r = 0; r < 3; r++) {
				static const char *const key[3] = { "canary_rx_ns", "canary_app_ns",
								    "canary_tx_ns" };

				if ((v = config_setting_get_member(s, key[r])) &&
				    (err = get_nonneg(l, v, &out->canary_ns[r])))
					return err;
			}
		} else if (KEY("stages")) {
			if (need_group(l, s))
				return -EINVAL;
			for (int j = 0; j < config_setting_length(s); j++) {
				config_setting_t *g = config_setting_get_elem(s, j);
				int st = stage_lookup(config_setting_name(g));

				if (st < 0)
					return config_fail(l, g,
						    "unknown stage '%s' (this calibration was made "
						    "for another stage set?)",
						    config_setting_name(g));
				if ((err = load_stage_cost(l, g, &out->stage[st])))
					return err;
			}
		} else if (KEY("host"))
			err = load_host(l, s, &out->host);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	return 0;
}

/* ---- reading a file, @include ----
 * libconfig 1.5 opens `@include "NAME"` as include_dir/NAME (include_dir: the directory of the
 * file given to config_parse_file), with no check of what it opens: a directory makes its scanner
 * exit(2), a FIFO or a device blocks or reads forever, a cycle stops at depth 10 naming no file,
 * and one include_dir serves every level. So before libconfig reads anything, every @include
 * its scanner would act on is checked here, and refused with FILE:LINE unless it is a relative
 * path to a regular file, not already being read, at most INCLUDE_DEPTH deep, and (nested) in a
 * file of include_dir itself, where "relative to the including file" is what libconfig does. */
#define INCLUDE_DEPTH 10		/* libconfig's MAX_INCLUDE_DEPTH */
#define CONFIG_MAX_BYTES (16 << 20)	/* a scenario is a few kB; /dev/zero is not one */

struct include_chain {
	const char *dir;		/* include_dir, NULL: names are opened as written */
	struct stat dir_st;
	struct stat file[INCLUDE_DEPTH + 1];
	int n;
};

/* Whole file as a NUL-terminated string (*out, to free), or -errno with the message in @l. */
static int slurp(const char *path, struct config_err *l, const char *who, int line, char **out)
{
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 0;
	char *buf = NULL;
	int e = 0;

	if (!f)
		e = errno;
	while (f && !e) {
		if (cap - n < 4096) {
			char *nb = cap >= CONFIG_MAX_BYTES ? NULL : realloc(buf, cap += 65536);

			if (!nb) {
				e = cap >= CONFIG_MAX_BYTES ? EFBIG : ENOMEM;
				break;
			}
			buf = nb;
		}
		n += fread(buf + n, 1, cap - n - 1, f);
		if (ferror(f))
			e = EIO;
		else if (feof(f))
			break;
	}
	if (f)
		fclose(f);
	if (!e && memchr(buf, 0, n))
		e = EILSEQ;
	if (e) {
		free(buf);
		if (who)
			snprintf(l->err, l->errlen, "%s:%d: %s: %s", who, line, path,
				 e == EILSEQ ? "a NUL byte: not a text file" : strerror(e));
		else
			snprintf(l->err, l->errlen, "%s: %s", path,
				 e == EILSEQ ? "a NUL byte: not a text file" : strerror(e));
		config_one_line(l->err);
		return -e;
	}
	buf[n] = 0;
	*out = buf;
	return 0;
}

static int include_fail(struct config_err *l, const char *file, int line, const char *name,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int include_fail(struct config_err *l, const char *file, int line, const char *name,
			const char *fmt, ...)
{
	char msg[ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s:%d: @include \"%s\": %s", file, line, name, msg);
	config_one_line(l->err);
	return -EINVAL;
}

/* Checks the @include lines of @text (the contents of @file) as libconfig 1.5's scanner finds
 * them: at the start of a line, outside comments and strings. */
static int check_includes(const char *file, const char *text, struct include_chain *ch,
			  struct config_err *l)
{
	enum { CODE, BLOCK_COMMENT, LINE_COMMENT, STRING } st = CODE;
	int line = 1, ret = 0;

	for (const char *p = text; *p; p++) {
		const char *q = p;
		char name[PATH_MAX], full[PATH_MAX + 8];
		size_t n = 0;
		struct stat sb;
		char *sub = NULL;

		if (*p == '\n') {
			line++;
			if (st == LINE_COMMENT)
				st = CODE;
			continue;
		}
		if (st == BLOCK_COMMENT) {
			if (p[0] == '*' && p[1] == '/')
				st = CODE, p++;
			continue;
		}
		if (st == LINE_COMMENT)
			continue;
		if (st == STRING) {
			if (*p == '\\' && p[1] && p[1] != '\n')
				p++;
			else if (*p == '"')
				st = CODE;
			continue;
		}
		if (*p == '"') {
			st = STRING;
			continue;
		}
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			st = LINE_COMMENT;
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			st = BLOCK_COMMENT, p++;
			continue;
		}
		if (p != text && p[-1] != '\n')
			continue;
		/* ^[ \t]*@include[ \t]+" */
		q += strspn(q, " \t");
		if (strncmp(q, "@include", 8) || !strchr(" \t", q[8]) || !q[8])
			continue;
		q += 8 + strspn(q + 8, " \t");
		if (*q != '"')
			continue;
		for (q++; *q && *q != '"'; q++) {
			if (*q == '\\' && (q[1] == '\\' || q[1] == '"'))
				q++;
			else if (*q == '\\')
				return include_fail(l, file, line, "", "a backslash that libconfig "
						    "does not read (only \\\\ and \\\")");
			if (n + 1 < sizeof(name))
				name[n++] = *q;
		}
		name[n] = 0;
		if (!*q)
			return include_fail(l, file, line, name, "no closing quote");
		if (name[0] == '/' && ch->dir)
			return include_fail(l, file, line, name, "an absolute path (libconfig 1.5 "
					    "reads it below %s/): write it relative to %s/",
					    ch->dir, ch->dir);
		if (ch->n > 0) { /* nested: libconfig reads it from ch->dir, not from file's dir */
			char d[PATH_MAX];
			struct stat ds;

			config_dir_join(file, ".", d, sizeof(d));
			if (stat(d, &ds) || ds.st_dev != ch->dir_st.st_dev ||
			    ds.st_ino != ch->dir_st.st_ino)
				return include_fail(l, file, line, name,
						    "nested @include in a file outside %s/ (libconfig "
						    "1.5 would read %s/%s, not the file next to %s)",
						    ch->dir ? ch->dir : ".", ch->dir ? ch->dir : ".",
						    name, file);
		}
		if (ch->dir)
			snprintf(full, sizeof(full), "%s/%s", ch->dir, name);
		else
			snprintf(full, sizeof(full), "%s", name);
		if (ch->n >= INCLUDE_DEPTH)
			return include_fail(l, file, line, name, "more than %d levels of @include",
					    INCLUDE_DEPTH);
		if (stat(full, &sb))
			return include_fail(l, file, line, name, "%s: %s", full, strerror(errno));
		if (!S_ISREG(sb.st_mode))
			return include_fail(l, file, line, name, "%s is not a regular file", full);
		for (int i = 0; i <= ch->n; i++)
			if (ch->file[i].st_dev == sb.st_dev && ch->file[i].st_ino == sb.st_ino)
				return include_fail(l, file, line, name, "an include cycle (%s is "
						    "already being read)", full);
		if ((ret = slurp(full, l, file, line, &sub)))
			return ret;
		ch->file[++ch->n] = sb;
		ret = check_includes(full, sub, ch, l);
		ch->n--;
		free(sub);
		if (ret)
			return ret;
		p = q;
	}
	return 0;
}

int config_parse_file(config_t *cfg, const char *path, struct config_err *l)
{
	struct include_chain ch = { 0 };
	char dir[PATH_MAX], *text = NULL, *ef;
	int ret;

	if ((ret = slurp(path, l, NULL, 0, &text)))
		return ret;
	if (strchr(path, '/')) {
		config_dir_join(path, ".", dir, sizeof(dir));
		dir[strlen(dir) - 2] = 0; /* "DIR/." -> "DIR" ("/." -> "") */
		ch.dir = dir;
	}
	if (stat(ch.dir ? (*dir ? dir : "/") : ".", &ch.dir_st) || stat(path, &ch.file[0]))
		memset(&ch.file[0], 0, sizeof(ch.file[0])); /* a pipe: no cycle through itself */
	ret = check_includes(path, text, &ch, l);
	if (!ret) {
		if (ch.dir)
			config_set_include_dir(cfg, *dir ? dir : "");
		if (config_read_string(cfg, text) != CONFIG_TRUE) {
			ef = (char *)config_error_file(cfg);
			snprintf(l->err, l->errlen, "%s%s%s:%d: %s", ef && ch.dir ? dir : "",
				 ef && ch.dir ? "/" : "", ef ? ef : path, config_error_line(cfg),
				 config_error_text(cfg));
			config_one_line(l->err);
			ret = -EINVAL;
		}
	}
	free(text);
	return ret;
}

int calibration_load(struct calibration *cal, const char *path, char *err, int errlen)
{
	struct config_err l = { path, err, errlen };
	config_t cfg;
	config_setting_t *root, *g;
	int ret;

	memset(cal, 0, sizeof(*cal));
	snprintf(cal->path, sizeof(cal->path), "%s", path);
	config_init(&cfg);
	ret = config_parse_file(&cfg, path, &l);
	if (ret)
		goto out;
	root = config_root_setting(&cfg);
	g = config_setting_get_member(root, "calibration");
	if (!g) {
		ret = config_fail(&l, NULL, "no 'calibration' group: not a calibration file");
		goto out;
	}
	for (int i = 0; i < config_setting_length(root); i++)
		if (config_setting_get_elem(root, i) != g) {
			ret = unknown(&l, config_setting_get_elem(root, i));
			goto out;
		}
	ret = load_calibration_group(&l, g, cal);
	if (!ret && !cal->stage[STAGE_POLL].present)
		ret = config_fail(&l, g, "calibration has no 'poll' stage");
out:
	config_destroy(&cfg);
	return ret;
}

/* ---- scenario ----------------------------------------------------------------------------- */

static const char *const nic_mode_names[] = { "ring", "backlog", NULL };
static const char *const napi_mode_names[] = { "softirq", "threaded", NULL };
static const char *const arrival_names[] = { "constant", "poisson", "onoff", NULL };
static const char *const end_names[] = { "socket", "forward", "consume", NULL };

static int load_cpu(struct config_err *l, config_setting_t *g, struct model_config *c)
{
	int err = 0;

	FOR_EACH_KEY(g)
	{
		if (KEY("cores"))
			err = get_int(l, s, 1, MAX_CORES, &c->cores);
		else if (KEY("hz"))
			err = get_int(l, s, 100, 10000, &c->hz);
		else if (KEY("sched_slice_us"))
			err = get_nonneg(l, s, &c->slice_us);
		else if (KEY("wakeup_granularity_us"))
			err = get_nonneg(l, s, &c->wakeup_gran_us);
		else if (KEY("idle_exit_us"))
			err = get_nonneg(l, s, &c->idle_exit_us);
		else if (KEY("idle_exit_cv"))
			err = get_nonneg(l, s, &c->idle_exit_cv);
		else if (KEY("idle_exit_deep_us"))
			err = get_nonneg(l, s, &c->idle_exit_deep_us);
		else if (KEY("idle_exit_deep_after_us"))
			err = get_nonneg(l, s, &c->idle_exit_deep_after_us);
		else if (KEY("idle_exit_hist"))
			err = get_hist(l, s, loghist_parse, c->idle_exit_hist, &c->has_idle_exit_hist);
		else if (KEY("halt_poll_us"))
			err = get_nonneg(l, s, &c->halt_poll_us);
		else if (KEY("halt_poll_grow"))
			err = get_int(l, s, 0, 1000, &c->halt_poll_grow);
		else if (KEY("halt_poll_grow_start_us"))
			err = get_nonneg(l, s, &c->halt_poll_grow_start_us);
		else if (KEY("halt_poll_shrink"))
			err = get_int(l, s, 0, 1000, &c->halt_poll_shrink);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	if (c->has_idle_exit_hist && (c->idle_exit_us > 0 || c->idle_exit_cv > 0))
		return config_fail(l, g, "cpu.idle_exit_hist is the shallow idle exit's distribution: "
				  "set it or cpu.idle_exit_us (with idle_exit_cv), not both");
	if (c->idle_exit_deep_after_us > 0 && c->halt_poll_us > 0)
		return config_fail(l, g, "cpu.idle_exit_deep_after_us and cpu.halt_poll_us both decide "
				  "which wake-ups are deep: set one");
	if ((c->idle_exit_deep_us > 0) != (c->idle_exit_deep_after_us > 0 || c->halt_poll_us > 0))
		return config_fail(l, g, "cpu.idle_exit_deep_us goes with cpu.idle_exit_deep_after_us "
				  "or cpu.halt_poll_us: both > 0, or neither");
	return 0;
}

static int load_nic(struct config_err *l, config_setting_t *g, struct model_config *c)
{
	int err = 0, e;

	FOR_EACH_KEY(g)
	{
		if (KEY("mode")) {
			err = get_enum(l, s, nic_mode_names, &e);
			c->nic_mode = e;
		} else if (KEY("line_rate"))
			err = get_rate(l, s, &c->line_rate_bps);
		else if (KEY("queues"))
			err = get_int(l, s, 1, MAX_QUEUES, &c->queues);
		else if (KEY("ring"))
			err = get_int(l, s, 1, 1 << 20, &c->ring);
		else if (KEY("refill_batch"))
			err = get_int(l, s, 1, 1 << 20, &c->refill_batch);
		else if (KEY("itr_us"))
			err = get_nonneg(l, s, &c->itr_us);
		else if (KEY("adaptive_itr"))
			err = get_bool(l, s, &c->adaptive_itr);
		else if (KEY("itr_min_us"))
			err = get_nonneg(l, s, &c->itr_min_us);
		else if (KEY("itr_max_us"))
			err = get_nonneg(l, s, &c->itr_max_us);
		else if (KEY("irq_cpus"))
			err = get_int_array(l, s, 0, MAX_CORES - 1, c->irq_cpu, MAX_QUEUES,
					    &c->n_irq_cpu);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	return 0;
}

static int load_napi(struct config_err *l, config_setting_t *g, struct model_config *c)
{
	int err = 0, e;

	FOR_EACH_KEY(g)
	{
		if (KEY("mode")) {
			err = get_enum(l, s, napi_mode_names, &e);
			c->napi_mode = e;
		} else if (KEY("weight"))
			err = get_int(l, s, 1, 1 << 16, &c->weight);
		else if (KEY("budget"))
			err = get_int(l, s, 1, 1 << 20, &c->budget);
		else if (KEY("budget_usecs"))
			err = get_int(l, s, 1, 100000000, &c->budget_usecs);
		else if (KEY("thread_cpus"))
			err = get_int_array(l, s, 0, MAX_CORES - 1, c->thread_cpu, MAX_QUEUES,
					    &c->n_thread_cpu);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	return 0;
}

static int load_softirq(struct config_err *l, config_setting_t *g, struct model_config *c)
{
	int err = 0;

	FOR_EACH_KEY(g)
	{
		if (KEY("max_restart"))
			err = get_int(l, s, 1, 1000, &c->max_restart);
		else if (KEY("max_time_us"))
			err = get_int(l, s, 1, 10000000, &c->max_softirq_us);
		else if (KEY("defer_to_ksoftirqd"))
			err = get_bool(l, s, &c->defer_to_ksoftirqd);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	return 0;
}

static int load_sizes(struct config_err *l, config_setting_t *sizes, config_setting_t *weights,
		      struct model_config *c)
{
	int n;
	char p[128];

	if (config_setting_type(sizes) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(sizes) != CONFIG_TYPE_LIST)
		return config_fail(l, sizes, "traffic.sizes: expected a list of frame sizes");
	n = config_setting_length(sizes);
	if (n < 1 || n > MAX_SIZES)
		return config_fail(l, sizes, "traffic.sizes: needs 1 to %d sizes", MAX_SIZES);
	if (weights && config_setting_length(weights) != n)
		return config_fail(l, weights, "traffic.weights: %d weights for %d sizes",
			    config_setting_length(weights), n);
	for (int i = 0; i < n; i++) {
		int v;
		double w = 1;

		if (get_int(l, config_setting_get_elem(sizes, i), 64, 65535, &v))
			return -EINVAL;
		if (weights) {
			config_setting_t *we = config_setting_get_elem(weights, i);

			if (get_nonneg(l, we, &w))
				return -EINVAL;
		}
		c->size[i] = v;
		c->size_weight[i] = w;
	}
	c->nsizes = n;
	(void)p;
	return 0;
}

static int load_traffic(struct config_err *l, config_setting_t *g, struct model_config *c)
{
	int err = 0, e;
	config_setting_t *sizes = NULL, *weights = NULL;

	FOR_EACH_KEY(g)
	{
		if (KEY("bw")) {
			if (config_setting_get_member(g, "pps"))
				return config_fail(l, s, "traffic: give bw or pps, not both");
			err = get_rate(l, s, &c->bw_bps);
			c->pps = 0;
		} else if (KEY("pps"))
			err = get_rate(l, s, &c->pps);
		else if (KEY("arrivals")) {
			err = get_enum(l, s, arrival_names, &e);
			c->arrivals = e;
		} else if (KEY("on_us"))
			err = get_nonneg(l, s, &c->on_us);
		else if (KEY("off_us"))
			err = get_nonneg(l, s, &c->off_us);
		else if (KEY("flows"))
			err = get_int(l, s, 1, 1 << 20, &c->flows);
		else if (KEY("burst"))
			err = get_int(l, s, 1, 1 << 16, &c->burst);
		else if (KEY("burst_us"))
			err = get_nonneg(l, s, &c->burst_us);
		else if (KEY("sender_wakes"))
			err = get_bool(l, s, &c->sender_wakes);
		else if (KEY("sender_cpu"))
			err = get_int(l, s, -1, MAX_CORES - 1, &c->sender_cpu);
		else if (KEY("sender_call_us"))
			err = get_nonneg(l, s, &c->sender_call_us);
		else if (KEY("sender_frame_us"))
			err = get_nonneg(l, s, &c->sender_frame_us);
		else if (KEY("sender_wake_hist"))
			err = get_hist(l, s, ushist_parse, c->sender_wake_hist, &c->has_sender_wake_hist);
		else if (KEY("sender_wake_by_sleep"))
			err = get_wake_by_sleep(l, s, c->sender_wake_by_sleep,
						c->has_sender_wake_by_sleep);
		else if (KEY("size")) {
			if (config_setting_type(s) == CONFIG_TYPE_STRING) {
				if (strcmp(config_setting_get_string(s), "imix"))
					err = config_fail(l, s, "traffic.size: a frame size in bytes or "
							 "\"imix\"");
				else {
					c->nsizes = 3;
					memcpy(c->size, imix_size, sizeof(imix_size));
					memcpy(c->size_weight, imix_weight, sizeof(imix_weight));
				}
			} else {
				int v;

				err = get_int(l, s, 64, 65535, &v);
				c->nsizes = 1;
				c->size[0] = v;
				c->size_weight[0] = 1;
			}
		} else if (KEY("sizes"))
			sizes = s;
		else if (KEY("weights"))
			weights = s;
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	if (weights && !sizes)
		return config_fail(l, weights, "traffic.weights given without traffic.sizes");
	if (sizes)
		return load_sizes(l, sizes, weights, c);
	return 0;
}

static int load_drops(struct config_err *l, config_setting_t *g, double *drop)
{
	int st = 0;

	if (need_group(l, g))
		return -EINVAL;
	FOR_EACH_KEY(g)
	{
		st = stage_lookup(name);
		if (st < 0)
			return config_fail(l, s, "unknown stage '%s'", name);
		if (get_nonneg(l, s, &drop[st]))
			return -EINVAL;
		if (drop[st] > 1)
			return config_fail(l, s, "drop share for '%s' must be within [0, 1]", name);
	}
	return 0;
}

static int load_path(struct config_err *l, config_setting_t *g, struct model_config *c)
{
	int err = 0, e;

	FOR_EACH_KEY(g)
	{
		if (KEY("stages"))
			err = get_stage_mask(l, s, &c->path_mask);
		else if (KEY("end")) {
			err = get_enum(l, s, end_names, &e);
			c->path_end = e;
		} else if (KEY("drop"))
			err = load_drops(l, s, c->drop);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	return 0;
}

static int load_socket(struct config_err *l, config_setting_t *g, struct model_config *c)
{
	int err = 0, v;

	FOR_EACH_KEY(g)
	{
		if (KEY("rcvbuf"))
			err = get_bytes(l, s, &c->rcvbuf);
		else if (KEY("truesize")) {
			err = get_int(l, s, 1, 1 << 20, &v);
			c->truesize = v;
		} else
			err = unknown(l, s);
		if (err)
			return err;
	}
	return 0;
}

static int load_thread(struct config_err *l, config_setting_t *g, int *enabled, int *cpu, int *batch)
{
	int err = 0;

	FOR_EACH_KEY(g)
	{
		if (KEY("enabled"))
			err = get_bool(l, s, enabled);
		else if (KEY("cpu"))
			err = get_int(l, s, 0, MAX_CORES - 1, cpu);
		else if (batch && KEY("batch"))
			err = get_int(l, s, 1, 1024, batch);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	return 0;
}

static int load_run(struct config_err *l, config_setting_t *g, struct model_config *c)
{
	int err = 0;

	FOR_EACH_KEY(g)
	{
		if (KEY("duration"))
			err = get_dur(l, s, &c->duration_ns, 0);
		else if (KEY("warmup"))
			err = get_dur(l, s, &c->warmup_ns, 1);
		else if (KEY("seed")) {
			if ((config_setting_type(s) != CONFIG_TYPE_INT &&
			     config_setting_type(s) != CONFIG_TYPE_INT64) ||
			    config_setting_get_int64(s) < 0)
				err = config_fail(l, s, "run.seed: expected a non-negative integer");
			else
				c->seed = (uint64_t)config_setting_get_int64(s);
		} else if (KEY("batches"))
			err = get_int(l, s, 2, 1000, &c->batches);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	return 0;
}

static int load_variant(struct config_err *l, config_setting_t *g, struct variant *v)
{
	int err = 0, e;

	if (need_group(l, g))
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->path_end = -1;
	v->app_cpu = v->napi_cpu = -1;
	for (int s = 0; s < STAGE_COUNT; s++) {
		v->drop[s] = -1;
		v->scale[s] = 1;
	}
	FOR_EACH_KEY(g)
	{
		if (KEY("name"))
			err = copy_str(l, s, v->name, sizeof(v->name));
		else if (KEY("description"))
			err = copy_str(l, s, v->description, sizeof(v->description));
		else if (KEY("skip"))
			err = get_stage_mask(l, s, &v->skip_mask);
		else if (KEY("add"))
			err = get_stage_mask(l, s, &v->add_mask);
		else if (KEY("drop"))
			err = load_drops(l, s, v->drop);
		else if (KEY("scale")) {
			if (need_group(l, s))
				return -EINVAL;
			for (int j = 0; j < config_setting_length(s); j++) {
				config_setting_t *m = config_setting_get_elem(s, j);
				int st = stage_lookup(config_setting_name(m));

				if (st < 0)
					return config_fail(l, m, "unknown stage '%s'",
						    config_setting_name(m));
				if ((err = get_nonneg(l, m, &v->scale[st])))
					return err;
			}
		} else if (KEY("netfilter")) {
			int on = 1;

			err = get_bool(l, s, &on);
			v->netfilter_off = !on;
		} else if (KEY("end")) {
			err = get_enum(l, s, end_names, &e);
			v->path_end = e;
		} else if (KEY("app_cpu"))
			err = get_int(l, s, 0, MAX_CORES - 1, &v->app_cpu);
		else if (KEY("napi_cpu"))
			err = get_int(l, s, 0, MAX_CORES - 1, &v->napi_cpu);
		else
			err = unknown(l, s);
		if (err)
			return err;
	}
	if (!v->name[0])
		return config_fail(l, g, "variant without a name");
	return 0;
}

static int load_variants(struct config_err *l, config_setting_t *g, struct model_config *c)
{
	if (!config_setting_is_list(g))
		return config_fail(l, g, "variants: expected a list ( { name = ...; }, ... )");
	if (config_setting_length(g) > MAX_VARIANTS)
		return config_fail(l, g, "variants: at most %d", MAX_VARIANTS);
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *e = config_setting_get_elem(g, i);

		if (load_variant(l, e, &c->variant[i]))
			return -EINVAL;
		for (int j = 0; j < i; j++)
			if (!strcmp(c->variant[j].name, c->variant[i].name))
				return config_fail(l, e, "variant '%s' defined twice", c->variant[i].name);
	}
	c->nvariants = config_setting_length(g);
	return 0;
}

void config_dir_join(const char *file, const char *rel, char *out, size_t len)
{
	const char *slash = strrchr(file, '/');

	if (rel[0] == '/' || !slash)
		snprintf(out, len, "%s", rel);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - file), file, rel);
}

int config_load(struct model_config *c, const char *path, const char *cal_override, char *err,
		int errlen)
{
	struct config_err l = { path, err, errlen };
	config_t cfg;
	config_setting_t *root;
	int ret = 0;

	snprintf(c->path, sizeof(c->path), "%s", path);
	config_init(&cfg);
	ret = config_parse_file(&cfg, path, &l);
	if (ret)
		goto out;
	root = config_root_setting(&cfg);
	FOR_EACH_KEY(root)
	{
		int g = config_setting_is_group(s);

		if (KEY("calibration")) {
			const char *v = NULL;

			if ((ret = get_str(&l, s, &v)))
				goto out;
			config_dir_join(path, v, c->calibration_path, sizeof(c->calibration_path));
			continue;
		}
		if (KEY("variants")) {
			if ((ret = load_variants(&l, s, c)))
				goto out;
			continue;
		}
		if (!g && (KEY("scenario") || KEY("cpu") || KEY("nic") || KEY("napi") ||
			   KEY("softirq") || KEY("traffic") || KEY("path") || KEY("socket") ||
			   KEY("app") || KEY("background") || KEY("run"))) {
			ret = need_group(&l, s);
			goto out;
		}
		if (KEY("scenario")) {
			config_setting_t *v;

			for (int j = 0; j < config_setting_length(s); j++) {
				v = config_setting_get_elem(s, j);
				if (!strcmp(config_setting_name(v), "name"))
					ret = copy_str(&l, v, c->name, sizeof(c->name));
				else if (!strcmp(config_setting_name(v), "description"))
					ret = get_str(&l, v, &(const char *){ NULL });
				else
					ret = unknown(&l, v);
				if (ret)
					goto out;
			}
		} else if (KEY("cpu"))
			ret = load_cpu(&l, s, c);
		else if (KEY("nic"))
			ret = load_nic(&l, s, c);
		else if (KEY("napi"))
			ret = load_napi(&l, s, c);
		else if (KEY("softirq"))
			ret = load_softirq(&l, s, c);
		else if (KEY("traffic"))
			ret = load_traffic(&l, s, c);
		else if (KEY("path"))
			ret = load_path(&l, s, c);
		else if (KEY("socket"))
			ret = load_socket(&l, s, c);
		else if (KEY("app"))
			ret = load_thread(&l, s, &c->app_enabled, &c->app_cpu, &c->app_batch);
		else if (KEY("background"))
			ret = load_thread(&l, s, &c->bg_enabled, &c->bg_cpu, NULL);
		else if (KEY("run"))
			ret = load_run(&l, s, c);
		else
			ret = unknown(&l, s);
		if (ret)
			goto out;
	}
	if (cal_override && *cal_override)
		snprintf(c->calibration_path, sizeof(c->calibration_path), "%s", cal_override);
	if (!c->calibration_path[0]) {
		ret = config_fail(&l, NULL, "no calibration: name one with 'calibration = \"FILE\";' or "
				     "--calibration FILE");
		goto out;
	}
	ret = calibration_load(&c->cal, c->calibration_path, err, errlen);
	if (ret && ret != -EINVAL && !(cal_override && *cal_override)) {
		/* the file named by this scenario cannot be opened: say where it was named */
		char why[ERR_LEN];

		snprintf(why, sizeof(why), "%s", err);
		ret = config_fail(&l, config_setting_get_member(config_root_setting(&cfg),
								 "calibration"),
				  "calibration: %s", why);
	}
out:
	config_destroy(&cfg);
	return ret;
}

int config_apply_host(struct model_config *c, char *err, int errlen)
{
	const struct cal_host *h = &c->cal.host;

	if (!h->present) {
		snprintf(err, (size_t)errlen, "%s: no host group to take the idle exits and sender "
			 "from (a calibration fitted before rxcalibrate fit wrote one, or written by "
			 "hand)", c->cal.path);
		return -ENOENT;
	}
	c->host_from_cal = 1;
	if (h->has_idle_exit_hist) {
		memcpy(c->idle_exit_hist, h->idle_exit_hist, sizeof(c->idle_exit_hist));
		c->has_idle_exit_hist = 1;
		c->idle_exit_us = c->idle_exit_cv = 0;
	}
	if (h->halt_poll_us > 0) {
		c->halt_poll_us = h->halt_poll_us;
		c->idle_exit_deep_after_us = 0;
	}
	/* a deep exit needs a rule for which wake-ups take it: the host's or the scenario's */
	if (h->idle_exit_deep_us > 0 && (c->halt_poll_us > 0 || c->idle_exit_deep_after_us > 0))
		c->idle_exit_deep_us = h->idle_exit_deep_us;
	/* the sender's lines replace those of a scenario that simulates the sender as a thread
	 * (traffic.sender_call_us or sender_frame_us, as the testbed scenarios do); any other
	 * sender (none on a core, or traffic.sender_wakes) is left as the scenario has it */
	if (!(c->sender_call_us > 0 || c->sender_frame_us > 0) || !h->has_sender_cost)
		return 0;	/* (the wake-up histograms come only with the costs: load_host) */
	c->host_sender_from_cal = 1;
	c->sender_call_us = h->sender_call_us;
	c->sender_frame_us = h->sender_frame_us;
	if (h->has_sender_wake_hist) {
		memcpy(c->sender_wake_hist, h->sender_wake_hist, sizeof(c->sender_wake_hist));
		c->has_sender_wake_hist = 1;
	}
	for (int k = 0; k < SLEEP_CLASSES; k++)
		if (h->has_sender_wake_by_sleep[k]) {
			memcpy(c->sender_wake_by_sleep, h->sender_wake_by_sleep,
			       sizeof(c->sender_wake_by_sleep));
			memcpy(c->has_sender_wake_by_sleep, h->has_sender_wake_by_sleep,
			       sizeof(c->has_sender_wake_by_sleep));
			break;
		}
	return 0;
}

/* ---- consistency, variants, derived values ------------------------------------------------ */

static int verr(char *err, int errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int config_validate(const struct model_config *c, char *err, int errlen)
{
	const char *f = c->path[0] ? c->path : "config";
	double wsum = 0;

	for (int i = 0; i < c->n_irq_cpu; i++)
		if (c->irq_cpu[i] >= c->cores)
			return verr(err, errlen, "%s: nic.irq_cpus: cpu %d but only %d cores", f,
				    c->irq_cpu[i], c->cores);
	for (int i = 0; i < c->n_thread_cpu; i++)
		if (c->thread_cpu[i] >= c->cores)
			return verr(err, errlen, "%s: napi.thread_cpus: cpu %d but only %d cores", f,
				    c->thread_cpu[i], c->cores);
	if (c->app_enabled && c->app_cpu >= c->cores)
		return verr(err, errlen, "%s: app.cpu %d but only %d cores", f, c->app_cpu,
			    c->cores);
	if (c->sender_cpu >= c->cores)
		return verr(err, errlen, "%s: traffic.sender_cpu %d but only %d cores", f,
			    c->sender_cpu, c->cores);
	if (c->sender_wakes && c->arrivals != ARR_CONSTANT)
		return verr(err, errlen, "%s: traffic.sender_wakes delays a paced sender's bursts: "
			    "it needs traffic.arrivals = \"constant\"", f);
	if (c->sender_wakes && !c->has_idle_exit_hist && !(c->idle_exit_us > 0))
		return verr(err, errlen, "%s: traffic.sender_wakes draws the sender's wake-up from the "
			    "idle exit: set cpu.idle_exit_hist or cpu.idle_exit_us", f);
	if (c->sender_call_us > 0 || c->sender_frame_us > 0) {
		if (c->sender_cpu < 0)
			return verr(err, errlen, "%s: traffic.sender_call_us/sender_frame_us put the "
				    "sender's CPU on a core: set traffic.sender_cpu", f);
		if (c->arrivals != ARR_CONSTANT)
			return verr(err, errlen, "%s: traffic.sender_call_us/sender_frame_us model a "
				    "paced sender: they need traffic.arrivals = \"constant\"", f);
		if (c->sender_wakes)
			return verr(err, errlen, "%s: traffic.sender_wakes and sender_call_us/"
				    "sender_frame_us: the sender thread wakes through its core's own "
				    "idle exit; drop sender_wakes", f);
		if (c->bg_enabled && c->bg_cpu == c->sender_cpu)
			return verr(err, errlen, "%s: background.cpu and traffic.sender_cpu are both "
				    "%d: the sender thread's CPU would count as the background's", f,
				    c->bg_cpu);
	}
	for (int k = 0; k < SLEEP_CLASSES; k++)
		if (c->has_sender_wake_by_sleep[k] && !(c->sender_call_us > 0 || c->sender_frame_us > 0))
			return verr(err, errlen, "%s: traffic.sender_wake_by_sleep is the sender thread's "
				    "wake-up: set traffic.sender_call_us or sender_frame_us", f);
	if (c->has_sender_wake_hist && !(c->sender_call_us > 0 || c->sender_frame_us > 0))
		return verr(err, errlen, "%s: traffic.sender_wake_hist is the sender thread's wake-up: "
			    "set traffic.sender_call_us or sender_frame_us", f);
	if (c->bg_enabled && c->bg_cpu >= c->cores)
		return verr(err, errlen, "%s: background.cpu %d but only %d cores", f, c->bg_cpu,
			    c->cores);
	if (c->line_rate_bps <= 0)
		return verr(err, errlen, "%s: nic.line_rate must be > 0", f);
	if (!(config_offered_pps(c) > 0))
		return verr(err, errlen, "%s: traffic: the offered rate (bw or pps) must be > 0", f);
	if (c->path_end == END_SOCKET && !c->app_enabled)
		return verr(err, errlen,
			    "%s: path.end is \"socket\" but app.enabled is false: nothing would "
			    "read the socket",
			    f);
	if (c->nic_mode == NIC_RING && c->refill_batch > c->ring)
		return verr(err, errlen, "%s: nic.refill_batch (%d) larger than nic.ring (%d)", f,
			    c->refill_batch, c->ring);
	if (c->adaptive_itr && c->itr_min_us > c->itr_max_us)
		return verr(err, errlen, "%s: nic.itr_min_us > nic.itr_max_us", f);
	for (int i = 0; i < c->nsizes; i++)
		wsum += c->size_weight[i];
	if (!(wsum > 0))
		return verr(err, errlen, "%s: traffic.weights: all zero", f);
	if (c->arrivals == ARR_ONOFF && (c->on_us <= 0 || c->off_us < 0))
		return verr(err, errlen, "%s: traffic.on_us must be > 0 for onoff arrivals", f);
	if (!(c->path_mask & ((1u << STAGE_POLL) | (1u << STAGE_XDP))))
		return verr(err, errlen, "%s: path.stages: needs 'poll' (or 'xdp')", f);
	if (c->path_end == END_SOCKET && !(c->path_mask & (1u << STAGE_TRANSPORT)))
		return verr(err, errlen,
			    "%s: path.end is \"socket\" but 'transport' is not in path.stages", f);
	if (c->duration_ns == 0)
		return verr(err, errlen, "%s: run.duration must be > 0", f);
	return 0;
}

static int builtin_variant(const char *name, struct variant *v)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->path_end = -1;
	v->app_cpu = v->napi_cpu = -1;
	for (int s = 0; s < STAGE_COUNT; s++) {
		v->drop[s] = -1;
		v->scale[s] = 1;
	}
	if (!strcmp(name, "baseline")) {
		snprintf(v->description, sizeof(v->description), "the scenario as configured");
	} else if (!strcmp(name, "xdp-drop")) {
		snprintf(v->description, sizeof(v->description),
			 "an XDP program drops every packet in the driver, before any skb");
		v->add_mask = 1u << STAGE_XDP;
		v->drop[STAGE_XDP] = 1;
	} else if (!strcmp(name, "no-netfilter")) {
		snprintf(v->description, sizeof(v->description),
			 "no netfilter hooks: ip and ip_to_transport lose their netfilter share");
		v->netfilter_off = 1;
	} else if (!strcmp(name, "skip-transport")) {
		snprintf(v->description, sizeof(v->description),
			 "the function consumes packets after IP: no transport, socket or app");
		v->skip_mask = 1u << STAGE_TRANSPORT;
		v->path_end = END_CONSUME;
	} else if (!strcmp(name, "gro-off")) {
		snprintf(v->description, sizeof(v->description), "GRO disabled (ethtool -K gro off)");
		v->skip_mask = 1u << STAGE_GRO;
	} else if (!strcmp(name, "forward")) {
		snprintf(v->description, sizeof(v->description),
			 "packets are routed out again instead of delivered locally");
		v->skip_mask = (1u << STAGE_IP_TO_TRANSPORT) | (1u << STAGE_TRANSPORT);
		v->add_mask = (1u << STAGE_FORWARD) | (1u << STAGE_TX);
		v->path_end = END_FORWARD;
	} else
		return -ENOENT;
	return 0;
}

int config_apply_variant(struct model_config *c, const char *name, char *err, int errlen)
{
	struct variant v;
	int found = 0;

	for (int i = 0; i < c->nvariants; i++)
		if (!strcmp(c->variant[i].name, name)) {
			v = c->variant[i];
			found = 1;
		}
	if (!found && builtin_variant(name, &v)) {
		char list[512] = "";

		for (int i = 0; builtin_variant_names[i]; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", builtin_variant_names[i]);
		for (int i = 0; i < c->nvariants; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), ", %s",
				 c->variant[i].name);
		return verr(err, errlen, "--variant %s: unknown variant (known: %s)", name, list);
	}
	c->path_mask = (c->path_mask & ~v.skip_mask) | v.add_mask;
	for (int s = 0; s < STAGE_COUNT; s++) {
		struct stage_cost *sc = &c->cal.stage[s];
		/* scale: per-packet and per-byte costs; no netfilter: the netfilter share of
		 * per-packet costs (only stages with a share change) */
		double fp = v.scale[s] * (v.netfilter_off ? 1 - sc->netfilter_share : 1);

		if (v.drop[s] >= 0)
			c->drop[s] = v.drop[s];
		sc->per_packet_ns *= fp;
		sc->per_packet_se *= fp;
		sc->skb_build_ns *= fp;
		sc->per_byte_ns *= v.scale[s];
		sc->per_byte_se *= v.scale[s];
		/* the covariance's per_packet and per_byte rows and columns with them */
		for (int j = 0; j < TERM_COUNT && sc->has_cov; j++) {
			sc->cov[TERM_PACKET][j] *= fp;
			sc->cov[j][TERM_PACKET] *= fp;
			sc->cov[TERM_BYTE][j] *= v.scale[s];
			sc->cov[j][TERM_BYTE] *= v.scale[s];
		}
		if (v.netfilter_off)
			sc->netfilter_share = 0;
	}
	if (v.path_end >= 0)
		c->path_end = v.path_end;
	if (v.app_cpu >= 0)
		c->app_cpu = v.app_cpu;
	if (v.napi_cpu >= 0) {
		if (c->napi_mode != NAPI_THREADED)
			return verr(err, errlen, "--variant %s: napi_cpu moves threaded NAPI kthreads, "
				    "and the scenario's napi.mode is not threaded", name);
		for (int q = 0; q < MAX_QUEUES; q++)
			c->thread_cpu[q] = v.napi_cpu;
	}
	if (c->path_end != END_SOCKET)
		c->app_enabled = 0; /* no socket, nothing to read */
	return 0;
}

double config_mean_frame(const struct model_config *c)
{
	double w = 0, m = 0;

	for (int i = 0; i < c->nsizes; i++) {
		w += c->size_weight[i];
		m += c->size_weight[i] * c->size[i];
	}
	return w > 0 ? m / w : 0;
}

double config_offered_pps(const struct model_config *c)
{
	double w = 0, payload = 0;

	if (c->pps > 0)
		return c->pps;
	for (int i = 0; i < c->nsizes; i++) {
		w += c->size_weight[i];
		payload += c->size_weight[i] * frame_payload(c->size[i]);
	}
	payload /= w;
	return c->bw_bps / (8 * payload);
}
