/* VNF placement files, shard configs, packing and the placement report (see placement.h). */
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"
#include "units.h"

/* ---- errors naming file:line ---------------------------------------------------------------- */


static int pnum(struct config_err *l, const config_setting_t *s, const char *key, double lo, double hi,
		double *out)
{
	double v;

	if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else
		return config_fail(l, s, "%s: expected a number", key);
	if (!isfinite(v) || v < lo || v > hi)
		return config_fail(l, s, "%s: %g is out of range [%g, %g]", key, v, lo, hi);
	*out = v;
	return 0;
}

static int pint(struct config_err *l, const config_setting_t *s, const char *key, int lo, int hi,
		int *out)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return config_fail(l, s, "%s: expected an integer", key);
	v = config_setting_get_int64(s);
	if (v < lo || v > hi)
		return config_fail(l, s, "%s: %lld is out of range [%d, %d]", key, v, lo, hi);
	*out = (int)v;
	return 0;
}

static int pstr(struct config_err *l, const config_setting_t *s, const char *key, char *dst, size_t len)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return config_fail(l, s, "%s: expected a string", key);
	if (strlen(config_setting_get_string(s)) >= len)
		return config_fail(l, s, "%s: longer than %zu characters", key, len - 1);
	snprintf(dst, len, "%s", config_setting_get_string(s));
	return 0;
}

static int prate(struct config_err *l, const config_setting_t *s, const char *key, double *out)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (parse_rate(config_setting_get_string(s), out) || !(*out > 0))
			return config_fail(l, s, "%s: '%s' is not a positive rate (e.g. 25G, 100G)", key,
				     config_setting_get_string(s));
		return 0;
	}
	if (pnum(l, s, key, 0, 1e15, out))
		return -EINVAL;
	if (!(*out > 0))
		return config_fail(l, s, "%s: must be > 0", key);
	return 0;
}

static int verr_line(char *err, int errlen, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define FOR_EACH(grp)                                                                              \
	for (int i_ = 0; i_ < config_setting_length(grp); i_++)                                    \
		for (config_setting_t *s = config_setting_get_elem(grp, i_); s; s = NULL)          \
			for (const char *name = config_setting_name(s); name; name = NULL)
#define KEY(k) (!strcmp(name, k))

static const char *const end_names[] = { "socket", "forward", "consume", NULL };

/* ---- loading -------------------------------------------------------------------------------- */

static int load_function(struct config_err *l, config_setting_t *g, struct pl_function *f)
{
	int err = 0;

	if (!config_setting_is_group(g))
		return config_fail(l, g, "chain: expected groups { name = ...; share = ...; }");
	memset(f, 0, sizeof(*f));
	f->share = -1;
	f->end = -1;
	f->line = config_setting_source_line(g);
	snprintf(f->variant, sizeof(f->variant), "baseline");
	FOR_EACH(g)
	{
		if (KEY("name"))
			err = pstr(l, s, "chain.name", f->name, sizeof(f->name));
		else if (KEY("description"))
			err = config_setting_type(s) == CONFIG_TYPE_STRING ?
				      0 :
				      config_fail(l, s, "chain.description: expected a string");
		else if (KEY("share"))
			err = pnum(l, s, "chain.share", 0, 1, &f->share);
		else if (KEY("variant"))
			err = pstr(l, s, "chain.variant", f->variant, sizeof(f->variant));
		else if (KEY("app_ns"))
			err = pnum(l, s, "chain.app_ns", 0, 1e9, &f->app_ns);
		else if (KEY("cores_per_queue"))
			err = pint(l, s, "chain.cores_per_queue", 1, 2, &f->cores_per_queue);
		else if (KEY("end")) {
			char v[NAME_LEN];

			err = pstr(l, s, "chain.end", v, sizeof(v));
			for (int i = 0; !err && end_names[i]; i++)
				if (!strcmp(v, end_names[i]))
					f->end = i;
			if (!err && f->end < 0)
				err = config_fail(l, s, "chain.end: '%s' is not one of: socket, forward, "
						  "consume",
					    v);
		} else if (KEY("stages")) {
			if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
			    config_setting_type(s) != CONFIG_TYPE_LIST)
				return config_fail(l, s, "chain.stages: expected a list of stage names");
			for (int i = 0; i < config_setting_length(s); i++) {
				config_setting_t *e = config_setting_get_elem(s, i);
				const char *v = config_setting_get_string(e);
				int st = v ? stage_lookup(v) : -1;

				if (st < 0 || !stage_table[st].per_packet)
					return config_fail(l, e,
						     "chain.stages: '%s' is not a per-packet stage "
						     "(see docs/config.md for the stage names)",
						     v ? v : "?");
				f->stages |= 1u << st;
			}
		} else
			err = config_fail(l, s, "unknown key 'chain.%s'", name);
		if (err)
			return err;
	}
	if (!f->name[0])
		return config_fail(l, g, "chain: a function without a name");
	if (f->share < 0)
		return config_fail(l, g, "chain: function '%s' has no share", f->name);
	return 0;
}

static int load_server(struct config_err *l, config_setting_t *g, struct pl_server *v)
{
	int err = 0, have_nic = 0;

	if (!config_setting_is_group(g))
		return config_fail(l, g, "servers: expected groups { name = ...; cores = ...; }");
	memset(v, 0, sizeof(*v));
	v->line = config_setting_source_line(g);
	FOR_EACH(g)
	{
		if (KEY("name"))
			err = pstr(l, s, "servers.name", v->name, sizeof(v->name));
		else if (KEY("description"))
			err = config_setting_type(s) == CONFIG_TYPE_STRING ?
				      0 :
				      config_fail(l, s, "servers.description: expected a string");
		else if (KEY("cores"))
			err = pint(l, s, "servers.cores", 1, MAX_CORES * 8, &v->cores);
		else if (KEY("queues"))
			err = pint(l, s, "servers.queues", 1, 4096, &v->queues);
		else if (KEY("nic")) {
			err = prate(l, s, "servers.nic", &v->nic_bps);
			have_nic = 1;
		} else
			err = config_fail(l, s, "unknown key 'servers.%s'", name);
		if (err)
			return err;
	}
	if (!v->name[0])
		return config_fail(l, g, "servers: a server without a name");
	if (!v->cores || !v->queues || !have_nic)
		return config_fail(l, g, "servers: '%s' needs cores, queues and nic", v->name);
	return 0;
}

static int find_fn(const struct placement *p, const char *name)
{
	for (int i = 0; i < p->nfn; i++)
		if (!strcmp(p->fn[i].name, name))
			return i;
	return -1;
}

static int find_srv(const struct placement *p, const char *name)
{
	for (int i = 0; i < p->nsrv; i++)
		if (!strcmp(p->srv[i].name, name))
			return i;
	return -1;
}

static int load_entry(struct config_err *l, struct placement *p, config_setting_t *g, struct pl_entry *e)
{
	char fn[NAME_LEN] = "", srv[NAME_LEN] = "";
	config_setting_t *fs = NULL, *ss = NULL;
	int err = 0;

	if (!config_setting_is_group(g))
		return config_fail(l, g, "placement: expected groups { function = ...; server = ...; }");
	memset(e, 0, sizeof(*e));
	e->line = config_setting_source_line(g);
	FOR_EACH(g)
	{
		if (KEY("function")) {
			err = pstr(l, s, "placement.function", fn, sizeof(fn));
			fs = s;
		} else if (KEY("server")) {
			err = pstr(l, s, "placement.server", srv, sizeof(srv));
			ss = s;
		} else if (KEY("instance"))
			err = pint(l, s, "placement.instance", 0, 1023, &e->instance);
		else if (KEY("cores"))
			err = pint(l, s, "placement.cores", 1, MAX_CORES, &e->cores);
		else if (KEY("queues"))
			err = pint(l, s, "placement.queues", 1, MAX_QUEUES, &e->queues);
		else
			err = config_fail(l, s, "unknown key 'placement.%s'", name);
		if (err)
			return err;
	}
	if (!fs || !ss || !e->cores || !e->queues)
		return config_fail(l, g, "placement: each entry needs function, server, cores and queues");
	e->fn = find_fn(p, fn);
	if (e->fn < 0)
		return config_fail(l, fs, "placement: unknown function '%s' (not in chain)", fn);
	e->server = find_srv(p, srv);
	if (e->server < 0)
		return config_fail(l, ss, "placement: unknown server '%s' (not in servers)", srv);
	if (e->cores % e->queues)
		return config_fail(l, g,
			     "placement: %s on %s: cores (%d) must be a multiple of queues (%d): "
			     "each queue is a shard with cores/queues cores",
			     fn, srv, e->cores, e->queues);
	if (e->cores / e->queues > 2)
		return config_fail(l, g,
			     "placement: %s on %s: %d cores per queue; a shard uses 1 or 2 (give "
			     "it more queues)",
			     fn, srv, e->cores / e->queues);
	return 0;
}

/* The function's path on the base scenario, checked once at load time. */
static int fn_config(const struct placement *p, int fn, struct model_config *c, char *err,
		     int errlen)
{
	const struct pl_function *f = &p->fn[fn];
	char e[ERR_LEN];
	int last = -1;

	*c = p->base;
	if (config_apply_variant(c, f->variant, e, sizeof(e)))
		return verr_line(err, errlen, p->path, f->line, "function '%s': %s", f->name, e);
	if (f->stages)
		c->path_mask = f->stages;
	if (f->end >= 0)
		c->path_end = f->end;
	c->app_enabled = c->path_end == END_SOCKET;
	/* the function's own work: on its worker thread when it receives on a socket, else in
	 * the kernel, at forwarding (or at the last stage of the path) */
	if (c->path_end == END_SOCKET) {
		c->cal.stage[STAGE_APP].per_call_ns += f->app_ns;
	} else {
		for (int s = 0; s < STAGE_COUNT; s++)
			if (c->path_mask & (1u << s))
				last = s;
		if (c->path_mask & (1u << STAGE_FORWARD))
			last = STAGE_FORWARD;
		if (last >= 0)
			c->cal.stage[last].per_packet_ns += f->app_ns;
	}
	return 0;
}

static int verr_line(char *err, int errlen, const char *file, int line, const char *fmt, ...)
{
	char msg[ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", file, line, msg);
	else
		snprintf(err, errlen, "%s: %s", file, msg);
	return -EINVAL;
}

int placement_load(struct placement *p, const char *path, const char *cal_override, char *err,
		   int errlen)
{
	struct config_err l = { path, err, errlen };
	config_setting_t *root, *chain = NULL;
	char base[PATH_MAX] = "";
	int ret = 0;
	double sum = 0;
	config_t cfg;

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", path);
	snprintf(p->name, sizeof(p->name), "placement");
	config_init(&cfg);
	ret = config_parse_file(&cfg, path, &l);	/* @include resolved as in scenarios */
	if (ret)
		goto out;
	root = config_root_setting(&cfg);
	FOR_EACH(root)
	{
		if (KEY("name")) {
			ret = pstr(&l, s, "name", p->name, sizeof(p->name));
		} else if (KEY("description")) {
			ret = config_setting_type(s) == CONFIG_TYPE_STRING ?
				      0 :
				      config_fail(&l, s, "description: expected a string");
		} else if (KEY("base")) {
			if (config_setting_type(s) != CONFIG_TYPE_STRING)
				ret = config_fail(&l, s, "base: expected a string");
			else
				config_dir_join(path, config_setting_get_string(s), base, sizeof(base));
		} else if (KEY("chain") || KEY("servers") || KEY("placement")) {
			int max = KEY("chain") ? PL_MAX_FUNCS :
				  KEY("servers") ? PL_MAX_SERVERS :
						   PL_MAX_ENTRIES;

			if (!config_setting_is_list(s)) {
				ret = config_fail(&l, s, "%s: expected a list ( { ... }, ... )", name);
				goto out;
			}
			if (config_setting_length(s) > max) {
				ret = config_fail(&l, s, "%s: at most %d entries", name, max);
				goto out;
			}
			if (KEY("chain"))
				chain = s;
			for (int i = 0; i < config_setting_length(s) && !ret; i++) {
				config_setting_t *g = config_setting_get_elem(s, i);

				if (KEY("chain")) {
					ret = load_function(&l, g, &p->fn[i]);
					if (!ret && find_fn(p, p->fn[i].name) >= 0)
						ret = config_fail(&l, g, "chain: function '%s' defined twice",
							    p->fn[i].name);
					if (!ret)
						sum += p->fn[p->nfn++].share;
				} else if (KEY("servers")) {
					ret = load_server(&l, g, &p->srv[i]);
					if (!ret && find_srv(p, p->srv[i].name) >= 0)
						ret = config_fail(&l, g, "servers: '%s' defined twice",
							    p->srv[i].name);
					if (!ret)
						p->nsrv++;
				}
			}
		} else {
			ret = config_fail(&l, s, "unknown key '%s'", name);
		}
		if (ret)
			goto out;
	}
	/* placement entries name functions and servers: read them after both lists */
	{
		config_setting_t *pl = config_lookup(&cfg, "placement");

		for (int i = 0; pl && i < config_setting_length(pl); i++) {
			if ((ret = load_entry(&l, p, config_setting_get_elem(pl, i), &p->ent[i])))
				goto out;
			for (int j = 0; j < i; j++)
				if (p->ent[j].fn == p->ent[i].fn &&
				    p->ent[j].server == p->ent[i].server &&
				    p->ent[j].instance == p->ent[i].instance) {
					ret = config_fail(&l, config_setting_get_elem(pl, i),
						    "placement: %s placed twice on %s #%d",
						    p->fn[p->ent[i].fn].name,
						    p->srv[p->ent[i].server].name, p->ent[i].instance);
					goto out;
				}
			p->nent++;
		}
	}
	if (!p->nfn) {
		ret = config_fail(&l, NULL, "no chain: list the functions in 'chain = ( ... );'");
		goto out;
	}
	if (!p->nsrv) {
		ret = config_fail(&l, NULL, "no servers: list the server types in 'servers = ( ... );'");
		goto out;
	}
	if (fabs(sum - 1) > 1e-6) {
		ret = config_fail(&l, chain, "chain: the shares sum to %.6g, not 1", sum);
		goto out;
	}
	if (!base[0]) {
		ret = config_fail(&l, NULL, "no base scenario: name one with 'base = \"FILE\";'");
		goto out;
	}
	config_defaults(&p->base);
	if ((ret = config_load(&p->base, base, cal_override, err, errlen)))
		goto out;
	for (int i = 0; i < p->nfn; i++) {
		struct model_config c;

		if ((ret = fn_config(p, i, &c, err, errlen)))
			goto out;
		c.bw_bps = 1e9;
		c.pps = 0;
		if (config_validate(&c, l.err, l.errlen)) {
			char e[ERR_LEN];

			snprintf(e, sizeof(e), "%s", l.err);
			ret = verr_line(err, errlen, path, p->fn[i].line, "function '%s': %s",
					p->fn[i].name, e);
			goto out;
		}
		/* a second core per shard only helps a worker thread */
		if (!p->fn[i].cores_per_queue && c.path_end != END_SOCKET)
			p->fn[i].cores_per_queue = 1;
	}
out:
	config_destroy(&cfg);
	return ret;
}

int placement_fn_queues(const struct placement *p, int fn)
{
	int q = 0;

	for (int i = 0; i < p->nent; i++)
		if (p->ent[i].fn == fn)
			q += p->ent[i].queues;
	return q;
}

double placement_fn_wire_bps(const struct placement *p, int fn, double total_bw)
{
	struct model_config c = p->base;
	double frame = config_mean_frame(&c);

	c.bw_bps = total_bw * p->fn[fn].share;
	c.pps = 0;
	return config_offered_pps(&c) * frame_wire_bits(frame);
}

int placement_check(const struct placement *p, double total_bw, char *err, int errlen)
{
	for (int f = 0; f < p->nfn; f++)
		if (p->fn[f].share > 0 && !placement_fn_queues(p, f))
			return verr_line(err, errlen, p->path, p->fn[f].line,
					 "function '%s' carries traffic but is placed nowhere",
					 p->fn[f].name);
	for (int i = 0; i < p->nent; i++) {
		const struct pl_entry *e = &p->ent[i];
		const struct pl_server *v = &p->srv[e->server];
		int cores = 0, queues = 0, seen = 0;
		double wire = 0;

		for (int j = 0; j < p->nent; j++) {
			const struct pl_entry *o = &p->ent[j];

			if (o->server != e->server || o->instance != e->instance)
				continue;
			if (j < i) {
				seen = 1;
				break;
			}
			cores += o->cores;
			queues += o->queues;
			wire += placement_fn_wire_bps(p, o->fn, total_bw) * o->queues /
				placement_fn_queues(p, o->fn);
		}
		if (seen)
			continue;
		if (cores > v->cores)
			return verr_line(err, errlen, p->path, e->line,
					 "placement: %s #%d is given %d cores, the server has %d",
					 v->name, e->instance, cores, v->cores);
		if (queues > v->queues)
			return verr_line(err, errlen, p->path, e->line,
					 "placement: %s #%d is given %d rx queues, the server has %d",
					 v->name, e->instance, queues, v->queues);
		if (wire > v->nic_bps)
			return verr_line(err, errlen, p->path, e->line,
					 "placement: %s #%d receives %.4g Gbit/s on the wire at "
					 "--bw %.4g G, its NIC has %.4g Gbit/s",
					 v->name, e->instance, wire / 1e9, total_bw / 1e9,
					 v->nic_bps / 1e9);
	}
	return 0;
}

int placement_shard_config(const struct placement *p, int fn, int cores, int fn_queues,
			   double total_bw, double nic_bps, struct model_config *c, char *err,
			   int errlen)
{
	int ret = fn_config(p, fn, c, err, errlen);

	if (ret)
		return ret;
	snprintf(c->name, sizeof(c->name), "%s", p->fn[fn].name);
	c->cores = cores;
	c->queues = 1;
	c->n_irq_cpu = 1;
	c->irq_cpu[0] = 0;
	c->n_thread_cpu = 1;
	c->thread_cpu[0] = 0;
	c->app_cpu = cores > 1 ? 1 : 0;
	c->bg_enabled = 0;
	c->line_rate_bps = nic_bps;
	c->bw_bps = total_bw * p->fn[fn].share / fn_queues;
	c->pps = 0;
	return config_validate(c, err, errlen);
}

/* ---- limits --------------------------------------------------------------------------------- */

int pl_limits_parse(const char *arg, struct pl_limits *cap)
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

double pl_p99_ns(const struct sim_results *r)
{
	return r->lat_app_n ? r->lat_app[3] : r->lat_sock[3];
}

double pl_max_core(const struct sim_results *r)
{
	double busy = 0;

	for (int k = 0; k < r->cores; k++)
		busy = fmax(busy, r->core_util[k][CTX_COUNT] - r->core_util[k][CTX_BG]);
	return busy;
}

/* loss the operator did not ask for: ring, backlog and socket drops (a rule's or XDP's drops
 * are the function working) */
double pl_loss(const struct sim_results *r)
{
	uint64_t lost = r->dropped[DROP_RING] + r->dropped[DROP_BACKLOG] + r->dropped[DROP_SOCKET];

	return r->arrivals ? (double)lost / (double)r->arrivals : 0;
}

int pl_limits_meet(const struct pl_limits *cap, const struct sim_results *r)
{
	if (cap->have_drop && pl_loss(r) > cap->drop)
		return 0;
	if (cap->have_p99 && pl_p99_ns(r) > cap->p99_ns)
		return 0;
	if (cap->have_cpu && pl_max_core(r) > cap->cpu)
		return 0;
	return 1;
}

/* ---- packing -------------------------------------------------------------------------------- */

int placement_pack(struct placement *p, const int *cores, const int *queues, double total_bw,
		   char *err, int errlen)
{
	const struct pl_server *v = &p->srv[0];
	int order[PL_MAX_FUNCS], n = 0, nmach = 0;
	int used_c[PL_MAX_ENTRIES], used_q[PL_MAX_ENTRIES];
	double used_w[PL_MAX_ENTRIES];

	for (int f = 0; f < p->nfn; f++)
		if (queues[f] > 0)
			order[n++] = f;
	/* decreasing cores; ties keep chain order (insertion sort is stable) */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && cores[order[j]] > cores[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	p->nent = 0;
	for (int i = 0; i < n; i++) {
		int f = order[i], m;
		double w = placement_fn_wire_bps(p, f, total_bw);

		if (cores[f] > v->cores || queues[f] > v->queues || w > v->nic_bps) {
			verr_line(err, errlen, p->path, p->fn[f].line,
				  "search: %s needs %d cores, %d queues and %.4g Gbit/s, more than "
				  "one %s (%d cores, %d queues, %.4g Gbit/s)",
				  p->fn[f].name, cores[f], queues[f], w / 1e9, v->name, v->cores,
				  v->queues, v->nic_bps / 1e9);
			return -ENOSPC;
		}
		for (m = 0; m < nmach; m++)
			if (used_c[m] + cores[f] <= v->cores && used_q[m] + queues[f] <= v->queues &&
			    used_w[m] + w <= v->nic_bps)
				break;
		if (m == nmach) {
			used_c[m] = used_q[m] = 0;
			used_w[m] = 0;
			nmach++;
		}
		used_c[m] += cores[f];
		used_q[m] += queues[f];
		used_w[m] += w;
		p->ent[p->nent++] = (struct pl_entry){ .fn = f, .server = 0, .instance = m,
						       .cores = cores[f], .queues = queues[f],
						       .line = 0 };
	}
	return 0;
}

/* ---- report --------------------------------------------------------------------------------- */

static double mean_core(const struct sim_results *r)
{
	double s = 0;

	for (int k = 0; k < r->cores; k++)
		s += r->core_util[k][CTX_COUNT] - r->core_util[k][CTX_BG];
	return r->cores ? s / r->cores : 0;
}

static const char *path_name(const struct placement *p, int fn)
{
	struct model_config c;
	char e[ERR_LEN];

	if (fn_config(p, fn, &c, e, sizeof(e)))
		return "?";
	return end_names[c.path_end];
}

/* Machines in order of first appearance among the entries. */
static int machines(const struct placement *p, int *srv, int *inst)
{
	int n = 0;

	for (int i = 0; i < p->nent; i++) {
		int m;

		for (m = 0; m < n; m++)
			if (srv[m] == p->ent[i].server && inst[m] == p->ent[i].instance)
				break;
		if (m == n) {
			srv[n] = p->ent[i].server;
			inst[n++] = p->ent[i].instance;
		}
	}
	return n;
}

void placement_write(FILE *f, enum report_format fmt, const struct placement *p,
		     double total_bw, const struct sim_results *res, const struct pl_limits *lim,
		     const struct pl_found *found)
{
	int msrv[PL_MAX_ENTRIES], minst[PL_MAX_ENTRIES], nm = machines(p, msrv, minst);
	int tot_cores = 0;

	for (int i = 0; i < p->nent; i++)
		tot_cores += p->ent[i].cores;
	if (fmt == FMT_CSV) {
		fprintf(f, "placement,total_bw_bps,server,instance,function,path,cores,queues,"
			   "offered_bw_bps,wire_bps,nic_bps,cpu_mean,cpu_max_core,loss,rule_drops,"
			   "p99_ns,meets\n");
		for (int i = 0; i < p->nent; i++) {
			const struct pl_entry *e = &p->ent[i];
			const struct sim_results *r = &res[i];
			int fq = placement_fn_queues(p, e->fn);

			fprintf(f, "%s,%.6g,%s,%d,%s,%s,%d,%d,%.6g,%.6g,%.6g,%.6f,%.6f,%.6g,%.6g,%.6g,",
				p->name, total_bw, p->srv[e->server].name, e->instance,
				p->fn[e->fn].name, path_name(p, e->fn), e->cores, e->queues,
				total_bw * p->fn[e->fn].share * e->queues / fq,
				placement_fn_wire_bps(p, e->fn, total_bw) * e->queues / fq,
				p->srv[e->server].nic_bps, mean_core(r), pl_max_core(r), pl_loss(r),
				r->arrivals ? (double)r->dropped[DROP_RULE] / (double)r->arrivals : 0,
				pl_p99_ns(r));
			if (lim)
				fprintf(f, "%d\n", pl_limits_meet(lim, r));
			else
				fprintf(f, "\n");
		}
		return;
	}
	if (fmt == FMT_JSON) {
		fprintf(f, "{\n  \"placement\": \"%s\",\n  \"file\": \"%s\",\n", p->name, p->path);
		fprintf(f, "  \"total_bw_bps\": %.6g,\n  \"seed\": %llu,\n", total_bw,
			(unsigned long long)p->base.seed);
		if (lim)
			fprintf(f, "  \"limits\": \"%s\",\n", lim->text);
		fprintf(f, "  \"cores\": %d,\n  \"servers\": %d,\n  \"functions\": [\n", tot_cores,
			nm);
		for (int i = 0; i < p->nent; i++) {
			const struct pl_entry *e = &p->ent[i];
			const struct sim_results *r = &res[i];
			int fq = placement_fn_queues(p, e->fn);

			fprintf(f,
				"    { \"function\": \"%s\", \"server\": \"%s\", \"instance\": %d, "
				"\"path\": \"%s\", \"cores\": %d, \"queues\": %d, "
				"\"offered_bw_bps\": %.6g, \"wire_bps\": %.6g, \"cpu_mean\": %.6f, "
				"\"cpu_max_core\": %.6f, \"loss\": %.6g, \"p99_ns\": %.6g",
				p->fn[e->fn].name, p->srv[e->server].name, e->instance,
				path_name(p, e->fn), e->cores, e->queues,
				total_bw * p->fn[e->fn].share * e->queues / fq,
				placement_fn_wire_bps(p, e->fn, total_bw) * e->queues / fq,
				mean_core(r), pl_max_core(r), pl_loss(r), pl_p99_ns(r));
			if (lim)
				fprintf(f, ", \"meets\": %s", pl_limits_meet(lim, r) ? "true" : "false");
			fprintf(f, " }%s\n", i + 1 < p->nent ? "," : "");
		}
		fprintf(f, "  ]\n}\n");
		return;
	}

	/* table */
	fprintf(f, "placement %s (%s), total %.4g Gbit/s UDP payload, seed %llu\n", p->name,
		p->path, total_bw / 1e9, (unsigned long long)p->base.seed);
	fprintf(f, "base %s, calibration %s\n", p->base.path, p->base.cal.name);
	if (lim)
		fprintf(f, "limits %s (loss = ring + backlog + socket drops; p99 of the app, or of "
			   "the path end)\n",
			lim->text);
	fprintf(f, "\n%-12s %-3s %-18s %-8s %5s %6s %9s %8s %8s %9s %9s%s\n", "server", "#",
		"function", "path", "cores", "queues", "Gbit/s", "cpu avg%", "cpu max%",
		"loss %", "p99 us", lim ? "  meets" : "");
	for (int m = 0; m < nm; m++)
		for (int i = 0; i < p->nent; i++) {
			const struct pl_entry *e = &p->ent[i];
			const struct sim_results *r = &res[i];
			int fq = placement_fn_queues(p, e->fn);

			if (e->server != msrv[m] || e->instance != minst[m])
				continue;
			fprintf(f, "%-12s %-3d %-18s %-8s %5d %6d %9.3f %8.1f %8.1f %9.4f %9.1f",
				p->srv[e->server].name, e->instance, p->fn[e->fn].name,
				path_name(p, e->fn), e->cores, e->queues,
				total_bw * p->fn[e->fn].share * e->queues / fq / 1e9,
				100 * mean_core(r), 100 * pl_max_core(r), 100 * pl_loss(r),
				pl_p99_ns(r) / 1e3);
			if (lim)
				fprintf(f, "  %s", pl_limits_meet(lim, r) ? "yes" : "NO");
			fprintf(f, "\n");
		}
	fprintf(f, "\n%-12s %-3s %11s %11s %20s %9s\n", "server", "#", "cores", "queues",
		"NIC Gbit/s (wire)", "cpu avg%");
	for (int m = 0; m < nm; m++) {
		const struct pl_server *v = &p->srv[msrv[m]];
		int c = 0, q = 0;
		double w = 0, busy = 0;

		for (int i = 0; i < p->nent; i++) {
			const struct pl_entry *e = &p->ent[i];

			if (e->server != msrv[m] || e->instance != minst[m])
				continue;
			c += e->cores;
			q += e->queues;
			w += placement_fn_wire_bps(p, e->fn, total_bw) * e->queues /
			     placement_fn_queues(p, e->fn);
			busy += mean_core(&res[i]) * e->cores;
		}
		fprintf(f, "%-12s %-3d %5d of %-3d %5d of %-3d %8.3f of %-7.4g %9.1f\n", v->name,
			minst[m], c, v->cores, q, v->queues, w / 1e9, v->nic_bps / 1e9,
			100 * busy / v->cores);
	}
	fprintf(f, "\ntotal: %d cores on %d server%s\n", tot_cores, nm, nm == 1 ? "" : "s");
	if (found) {
		fprintf(f, "\nsearch: per function the fewest cores meeting %s, as queues x cores "
			   "per queue;\nevery shape with one core fewer, at the same seed:\n",
			lim->text);
		for (int fn = 0; fn < p->nfn; fn++) {
			if (!found[fn].cores)
				continue;
			fprintf(f, "  %-18s %2d = %d x %d", p->fn[fn].name, found[fn].cores,
				found[fn].queues, found[fn].cpq);
			if (!found[fn].nfewer)
				fprintf(f, "  (one core is the least)");
			for (int k = 0; k < found[fn].nfewer; k++) {
				const struct sim_results *r = &found[fn].fewer[k];

				fprintf(f, "%s %d x %d: loss %.3f %%, p99 %.1f us -> %s",
					k ? ";" : "  |", found[fn].fewer_queues[k],
					found[fn].fewer_cpq[k], 100 * pl_loss(r), pl_p99_ns(r) / 1e3,
					pl_limits_meet(lim, r) ? "meets (not monotone)" : "fails");
			}
			fprintf(f, "\n");
		}
		fprintf(f, "\nas a placement list (server type %s):\nplacement = (\n",
			p->srv[0].name);
		for (int i = 0; i < p->nent; i++)
			fprintf(f,
				"  { function = \"%s\"; server = \"%s\"; instance = %d; cores = %d; "
				"queues = %d; }%s\n",
				p->fn[p->ent[i].fn].name, p->srv[p->ent[i].server].name,
				p->ent[i].instance, p->ent[i].cores, p->ent[i].queues,
				i + 1 < p->nent ? "," : "");
		fprintf(f, ");\n");
	}
}
