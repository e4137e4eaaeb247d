#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

const char *const ctx_names[CTX_COUNT] = { "hardirq", "softirq", "ksoftirqd", "napi_thread",
					   "app", "background", "sched" };
const char *const drop_names[DROP_COUNT] = { "ring", "backlog", "socket", "rule" };

enum { EV_END, EV_WARMUP, EV_CORE, EV_IRQ, EV_LINK, EV_TIMER };

#define BG_CHUNK_NS 100000ull

/* ---- small helpers ------------------------------------------------------------------------ */

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline uint64_t jiffy(const struct sim *s, uint64_t t)
{
	return t / (1000000000ull / (uint64_t)s->cfg.hz);
}

static inline uint64_t usecs_to_jiffies(const struct sim *s, uint64_t us)
{
	uint64_t per = 1000000ull / (uint64_t)s->cfg.hz;

	return (us + per - 1) / per;
}

static inline struct batch *cur_batch(struct sim *s, uint64_t t)
{
	uint64_t b;

	if (!s->measuring || t < s->t_start)
		return NULL;
	b = (t - s->t_start) / s->batch_len;
	if (b >= (uint64_t)s->cfg.batches)
		b = s->cfg.batches - 1;
	return &s->batch[b];
}

static int pktq_init(struct pktq *q, uint32_t cap)
{
	q->buf = malloc(sizeof(*q->buf) * (cap ? cap : 1));
	q->cap = cap ? cap : 1;
	q->head = q->len = 0;
	return q->buf ? 0 : -ENOMEM;
}

static inline void pktq_push(struct pktq *q, const struct pkt *p)
{
	uint32_t i = q->head + q->len;

	if (i >= q->cap)
		i -= q->cap;
	q->buf[i] = *p;
	q->len++;
}

static inline struct pkt pktq_pop(struct pktq *q)
{
	struct pkt p = q->buf[q->head];

	if (++q->head == q->cap)
		q->head = 0;
	q->len--;
	return p;
}

/* Charges @ns of CPU to (stage, ctx, core) and moves the core's cursor, keeping the sub-ns
 * remainder so fractional costs are not biased by rounding. */
static inline void spend(struct sim *s, struct core *c, int stage, enum ctx ctx, double ns)
{
	double tot;
	uint64_t whole;

	if (ns <= 0)
		return;
	if (s->measuring) {
		s->stage_ns[c->id][stage][ctx] += ns;
		s->busy_ns[c->id][ctx] += ns;
	}
	tot = ns + c->carry;
	whole = (uint64_t)tot;
	c->carry = tot - (double)whole;
	c->t += whole;
}

static double sample_cost(struct sim *s, const struct stage_cost *sc, double mean)
{
	double k;

	if (mean <= 0)
		return 0;
	switch (sc->dist) {
	case DIST_GAMMA:
		k = 1 / (sc->cv * sc->cv);
		return gsl_ran_gamma(s->rng, k, mean / k);
	case DIST_EXP:
		return gsl_ran_exponential(s->rng, mean);
	default:
		return mean;
	}
}

static void core_kick(struct sim *s, struct core *c)
{
	if (c->t < s->now)
		c->t = s->now;
	c->gen++;
	eventq_push(&s->eq, c->t, EV_CORE, c->id, c->gen);
}

/* ---- traffic and the NIC ------------------------------------------------------------------ */

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static double idle_exit_draw(struct sim *s, int deep);

static void source_next(struct sim *s)
{
	struct source *src = &s->src;
	const struct model_config *c = &s->cfg;
	double gap, t;
	int new_burst = 0;

	if (c->arrivals == ARR_CONSTANT) {
		/* a paced sender: bursts of `burst` frames, one burst every burst/rate */
		gap = 0;
		if (++src->in_burst >= (uint32_t)s->cfg.burst) {
			src->in_burst = 0;
			gap = src->gap_ns * s->cfg.burst;
			new_burst = 1;
		}
	} else
		gap = zig_exp(&s->zig, s->rng) * src->gap_ns;
	t = src->gen_t + gap;
	if (c->arrivals == ARR_ONOFF) {
		/* Interrupted Poisson: arrivals only in on periods; memoryless, so an arrival that
		 * falls past the end of the on period restarts after the off period. */
		while (t >= src->phase_end) {
			double off = c->off_us > 0 ? gsl_ran_exponential(s->rng, c->off_us * 1e3) : 0;
			double on = gsl_ran_exponential(s->rng, c->on_us * 1e3);
			double start = src->phase_end + off;

			src->phase_end = start + on;
			t = start + zig_exp(&s->zig, s->rng) * src->gap_ns;
		}
	}
	src->gen_t = t;
	/* traffic.sender_wakes: the burst leaves once the sender has woken from its timer; the
	 * schedule (gen_t) stays where it was, and the burst's other frames follow this one */
	if (new_burst && c->sender_wakes)
		t += idle_exit_draw(s, 0);
	/* the link serialises frames: one that would overlap the previous waits for it */
	if (t < src->last_t + src->last_wire_ns)
		t = src->last_t + src->last_wire_ns;
	src->t = t;
	src->ti = (uint64_t)t;
	{
		size_t k = c->nsizes == 1 ? 0 : gsl_ran_discrete(s->rng, src->size_table);

		src->size = c->size[k];
		src->next_wire_ns = s->wire_ns[k];
	}
	if (c->queues > 1) {
		uint32_t flow = c->arrivals == ARR_CONSTANT ?
					(uint32_t)(src->rr++ % (uint64_t)c->flows) :
					(uint32_t)(((uint64_t)gsl_rng_get(s->rng) * (uint64_t)c->flows) >> 32);
		src->queue = s->flow_queue[flow];
	}
	src->last_t = t;
	src->last_wire_ns = src->next_wire_ns;
}

static void irq_schedule(struct sim *s, struct napi *n, uint64_t t_arr)
{
	uint64_t t = max_u64(max_u64(t_arr, s->now), n->last_irq + (uint64_t)n->itr_ns);

	if (s->cfg.nic_mode == NIC_BACKLOG)
		t = max_u64(t_arr, s->now);
	n->irq_pending = 1;
	s->armed--;
	eventq_push(&s->eq, t, EV_IRQ, n->queue, 0);
}

/* The source's next frame reaches its ring at src->ti (or is dropped there); returns its
 * napi. The source then draws the frame after it. */
static struct napi *nic_deliver(struct sim *s)
{
	struct source *src = &s->src;
	struct napi *n = &s->napi[src->queue];
	struct ring *r = &n->ring;
	struct pkt p = { src->ti, src->size, 0 };
	struct batch *b = NULL;

	if (s->measuring) {
		b = cur_batch(s, p.t);
		s->n.arrivals++;
		if (b)
			b->arrivals++;
	}
	if (r->ready) {
		r->ready--;
		pktq_push(&r->q, &p);
		tavg_set(&r->occ, p.t, r->q.len);
		if (n->irq_enabled && !n->irq_pending)
			irq_schedule(s, n, p.t);
	} else if (s->measuring) {
		s->n.dropped[s->cfg.nic_mode == NIC_RING ? DROP_RING : DROP_BACKLOG]++;
		if (b)
			b->drops++;
	}
	source_next(s);
	return n;
}

/* Delivers every arrival up to and including @t into its ring (or drops it). */
static void nic_advance(struct sim *s, uint64_t t)
{
	struct source *src = &s->src;

	while (src->ti <= t) {
		struct napi *n;

		if (s->src_held)
			return; /* sent when NET_RX ends on the sender's core: sender_resume() */
		if (s->cfg.sender_cpu >= 0 && s->core[s->cfg.sender_cpu].sirq.active) {
			s->src_held = 1;
			return;
		}
		n = nic_deliver(s);
		if (s->cfg.sender_cpu >= 0 && n->core == s->cfg.sender_cpu &&
		    s->cfg.napi_mode == NAPI_SOFTIRQ) {
			/* the send returns only after the NET_RX it raised (local_bh_enable) */
			s->src_held = 1;
			return;
		}
	}
}

/* traffic.sender_cpu: NET_RX on the sender's core ended at that core's time; the frame held
 * meanwhile is sent now, and the frames after it keep their spacing from it (nic.line_rate). */
static void link_arm(struct sim *s);
static void sender_resume(struct sim *s, struct core *c)
{
	struct source *src = &s->src;

	if (!s->src_held || c->id != s->cfg.sender_cpu)
		return;
	s->src_held = 0;
	if (src->t < (double)c->t) {
		src->t = src->last_t = (double)c->t;
		src->ti = c->t;
	}
	nic_advance(s, c->t);
	link_arm(s);
}

/* Keeps one EV_LINK pending while some queue waits, IRQ enabled, for its next frame (none
 * with the sender thread: its sends time the frames, sender_emit()). */
static void link_arm(struct sim *s)
{
	if (s->sender_thread < 0 && s->armed > 0 && !s->link_event && !s->src_held) {
		s->link_event = 1;
		eventq_push(&s->eq, max_u64(s->src.ti, s->now), EV_LINK, 0, 0);
	}
}

/* ---- threads and the scheduler ------------------------------------------------------------ */

static double min_vruntime(struct sim *s, struct core *c)
{
	double m = INFINITY;

	if (c->curr >= 0) {
		struct thread *t = &s->thread[c->curr];

		m = t->vruntime + (double)(c->t > t->run_start ? c->t - t->run_start : 0);
	}
	for (int i = 0; i < c->nrunq; i++)
		if (s->thread[c->runq[i]].vruntime < m)
			m = s->thread[c->runq[i]].vruntime;
	return m;
}

static void runq_remove(struct core *c, int th)
{
	for (int i = 0; i < c->nrunq; i++)
		if (c->runq[i] == th) {
			memmove(&c->runq[i], &c->runq[i + 1], sizeof(int) * (c->nrunq - i - 1));
			c->nrunq--;
			return;
		}
}

static int pick_next(struct sim *s, struct core *c)
{
	int best = -1;

	for (int i = 0; i < c->nrunq; i++)
		if (best < 0 || s->thread[c->runq[i]].vruntime < s->thread[best].vruntime)
			best = c->runq[i];
	return best;
}

/* Charges the part of a thread's work item that ran from seg_start to @end. */
static void thread_charge(struct sim *s, struct core *c, struct thread *th, uint64_t end)
{
	enum ctx ctx = th->kind == TH_APP ? CTX_APP : CTX_BG;
	double ran = (double)(end - th->seg_start);

	th->work_left_running = 0;
	if (!s->measuring)
		return;
	if (th->kind == TH_APP)
		s->stage_ns[c->id][STAGE_APP][ctx] += ran;
	s->busy_ns[c->id][ctx] += ran;
}

/* Stops the running segment of the current thread's work item at now (hard IRQ or wakeup
 * preemption); the rest of the item runs when the thread runs again. */
static void preempt_item(struct sim *s, struct core *c)
{
	struct thread *th;

	if (c->curr < 0 || c->in_softirq)
		return;
	th = &s->thread[c->curr];
	if (!th->item_active || !th->work_left_running || c->t <= s->now)
		return;
	th->work_left += c->t - s->now;
	c->t = s->now;
	thread_charge(s, c, th, s->now);
}

/* Switches core @c to thread @next (or to idle when -1) at c->t, charging a context switch. */
static void switch_to(struct sim *s, struct core *c, int next)
{
	if (c->curr >= 0) {
		struct thread *p = &s->thread[c->curr];

		p->vruntime += (double)(c->t - p->run_start);
		if (p->state == TS_RUNNING) {
			p->state = TS_RUNNABLE;
			c->runq[c->nrunq++] = c->curr;
		}
	}
	if (next >= 0)
		runq_remove(c, next);
	spend(s, c, STAGE_CS, CTX_SCHED, s->cost_call[STAGE_CS]);
	if (s->measuring) {
		s->n.cs++;
		s->n.stage_calls[STAGE_CS]++;
	}
	c->curr = next;
	c->need_resched = 0;
	if (next < 0) {
		c->idle_since = c->t;
		c->idle_seq++;
	}
	if (next >= 0) {
		struct thread *th = &s->thread[next];

		th->state = TS_RUNNING;
		th->run_start = c->t;
		if (th->woken_at && c->t >= th->woken_at && s->measuring &&
		    (next == s->app_thread || th->kind == TH_NAPI)) {
			struct wake_acc *w = th->kind == TH_NAPI ? &s->n.napi_wake : &s->n.app_wake;
			double lat = (double)(c->t - th->woken_at);

			w->n++;
			w->sum += lat;
			w->sq += lat * lat;
			w->hist[loghist_slot(lat)]++;
		}
		th->woken_at = 0;
	}
}

static void thread_sleep(struct sim *s, struct core *c)
{
	s->thread[c->curr].state = TS_SLEEP;
	switch_to(s, c, pick_next(s, c));
}

/* A duration drawn from log2 histogram @t: a slot by its weight, then uniform within it, ns. */
static double loghist_draw(struct sim *s, const gsl_ran_discrete_t *t)
{
	int slot = (int)gsl_ran_discrete(s->rng, t);

	return loghist_lo(slot) + gsl_rng_uniform(s->rng) * (loghist_hi(slot) - loghist_lo(slot));
}

/* The same from linear histogram @t (bins of USHIST_WIDTH_US), ns. */
static double ushist_draw(struct sim *s, const gsl_ran_discrete_t *t)
{
	double k = (double)gsl_ran_discrete(s->rng, t);

	return (k + gsl_rng_uniform(s->rng)) * USHIST_WIDTH_US * 1e3;
}

/* The time an idle core takes to run a thread woken on it, ns: cpu.idle_exit_deep_us if it
 * was halted (@deep), else drawn from cpu.idle_exit_hist (a slot by its weight, then uniform
 * within it) or cpu.idle_exit_us; gamma distributed around that with cpu.idle_exit_cv. */
static double idle_exit_draw(struct sim *s, int deep)
{
	double exit_ns = s->cfg.idle_exit_us * 1e3, k;

	if (deep) {
		exit_ns = s->cfg.idle_exit_deep_us * 1e3;
	} else if (s->idle_exit_table) {
		exit_ns = loghist_draw(s, s->idle_exit_table);
	}
	if (exit_ns > 0 && s->cfg.idle_exit_cv > 0) {
		k = 1 / (s->cfg.idle_exit_cv * s->cfg.idle_exit_cv);
		exit_ns = gsl_ran_gamma(s->rng, k, exit_ns / k);
	}
	return exit_ns;
}

/* Whether idle core @c, woken at @t, left a halted vCPU: decided once per idle period (the
 * waker's cost and the woken thread's delay ask in turn). With cpu.halt_poll_us the host's
 * adaptive polling decides, as KVM's kvm_vcpu_halt does: the vCPU polls for its window, so a
 * wake-up within it finds it running; after the wake-up the window grows (x grow, at least
 * grow_start, at most halt_poll_us) when the halt was shorter than halt_poll_us and longer
 * than the window, and shrinks (/ shrink, 0: to 0) when it was longer than halt_poll_us.
 * Otherwise the fixed cpu.idle_exit_deep_after_us decides, if set. */
static int core_halted(struct sim *s, struct core *c, uint64_t t)
{
	const struct model_config *cf = &s->cfg;
	double halt_ns, max_ns = cf->halt_poll_us * 1e3;

	if (c->curr >= 0 || c->in_softirq || t < c->idle_since)
		return 0;
	halt_ns = (double)(t - c->idle_since);
	if (!(cf->halt_poll_us > 0))
		return cf->idle_exit_deep_after_us > 0 && halt_ns >= cf->idle_exit_deep_after_us * 1e3;
	if (c->halt_seq == c->idle_seq)
		return c->halted;
	c->halt_seq = c->idle_seq;
	c->halted = halt_ns > c->halt_poll_ns;
	if (!c->halted)
		return 0;
	if (c->halt_poll_ns > 0 && halt_ns > max_ns) {
		c->halt_poll_ns = cf->halt_poll_shrink > 0 ? c->halt_poll_ns / cf->halt_poll_shrink
							   : 0;
		if (c->halt_poll_ns < cf->halt_poll_grow_start_us * 1e3)
			c->halt_poll_ns = 0;
	} else if (c->halt_poll_ns < max_ns && halt_ns < max_ns && cf->halt_poll_grow > 0) {
		c->halt_poll_ns = fmin(max_ns, fmax(cf->halt_poll_grow_start_us * 1e3,
						    c->halt_poll_ns * cf->halt_poll_grow));
	}
	return 1;
}

static void thread_wake(struct sim *s, int idx)
{
	struct thread *th = &s->thread[idx];
	struct core *c = &s->core[th->core];
	double min_vr;

	if (th->state != TS_SLEEP)
		return;
	th->woken_at = s->now;
	min_vr = min_vruntime(s, c);
	if (isfinite(min_vr) && th->vruntime < min_vr - s->cfg.slice_us * 500)
		th->vruntime = min_vr - s->cfg.slice_us * 500;
	th->state = TS_RUNNABLE;
	c->runq[c->nrunq++] = idx;
	if (c->curr < 0) {
		/* the idle task is always preempted; in a softirq that ends its restarts */
		if (c->in_softirq) {
			c->need_resched = 1;
		} else {
			/* an idle core runs the woken thread once it has left its idle state; the
			 * sender thread's timer wake-up takes the lateness drawn for it, if any */
			int deep = core_halted(s, c, s->now);
			uint64_t ready;

			if (deep && th->kind == TH_NAPI && s->measuring)
				s->n.napi_halted++;

			/* the sender's lateness, drawn when it went to sleep (sender_step()), runs
			 * until it runs again: the switch in that switch_to() charges is part of it */
			if (idx == s->sender_thread && s->snd_late >= 0)
				ready = s->now +
					(uint64_t)fmax(0, s->snd_late - s->cost_call[STAGE_CS]);
			else
				ready = s->now + (uint64_t)idle_exit_draw(s, deep);

			if (c->t < ready)
				c->t = ready;
			core_kick(s, c);
		}
		return;
	}
	{
		struct thread *cur = &s->thread[c->curr];
		double cur_vr = cur->vruntime + (double)(max_u64(c->t, s->now) - cur->run_start);

		if (cur_vr - th->vruntime > s->cfg.wakeup_gran_us * 1e3) {
			c->need_resched = 1;
			if (!c->in_softirq && cur->item_active && cur->work_left_running) {
				preempt_item(s, c);
				core_kick(s, c);
			}
		}
	}
}

static int should_resched(struct sim *s, struct core *c)
{
	struct thread *th = &s->thread[c->curr];

	if (!c->nrunq)
		return 0;
	return c->need_resched || (double)(c->t - th->run_start) >= s->cfg.slice_us * 1e3;
}

/* ---- socket and application --------------------------------------------------------------- */

/* Sets the number of datagrams charged to the socket at @t, integrating the old level into the
 * overall time average and into the batches the interval spans. */
static void sock_level(struct sim *s, uint64_t t, uint64_t level)
{
	uint64_t from = s->sock_occ.t_last > s->t_start ? s->sock_occ.t_last : s->t_start;
	double old = s->sock_occ.level;

	while (s->measuring && old > 0 && from < t) {
		uint64_t b = (from - s->t_start) / s->batch_len, end;

		if (b >= (uint64_t)s->cfg.batches)
			break;
		end = s->t_start + (b + 1) * s->batch_len;
		if (end > t)
			end = t;
		s->batch[b].sock_area += old * (double)(end - from);
		from = end;
	}
	tavg_set(&s->sock_occ, t, (double)level);
}

/* Queues a datagram to the socket; returns false when it is dropped there (rcvbuf full). */
static bool sock_enqueue(struct sim *s, const struct pkt *p, uint64_t t)
{
	struct batch *b = cur_batch(s, t);

	if (s->measuring) {
		s->n.sock_offered++;
		if (b)
			b->sock_offered++;
	}
	/* __udp_enqueue_schedule_skb: drop when rmem already exceeds rcvbuf */
	if (s->rmem > s->cfg.rcvbuf) {
		if (s->measuring) {
			s->n.dropped[DROP_SOCKET]++;
			if (b) {
				b->sock_drops++;
				b->drops++;
			}
		}
		return false;
	}
	if (s->sockq.len == s->sockq.cap) {
		uint32_t cap = s->sockq.cap * 2;
		struct pkt *nb = malloc(sizeof(*nb) * cap);
		uint64_t *ne = malloc(sizeof(*ne) * cap);

		if (!nb || !ne) {
			free(nb);
			free(ne);
			fprintf(stderr, "rxmodel: out of memory growing the socket queue\n");
			abort();
		}
		for (uint32_t i = 0; i < s->sockq.len; i++) {
			uint32_t j = (s->sockq.head + i) % s->sockq.cap;

			nb[i] = s->sockq.buf[j];
			ne[i] = s->sock_enq[j];
		}
		free(s->sockq.buf);
		free(s->sock_enq);
		s->sockq.buf = nb;
		s->sock_enq = ne;
		s->sockq.head = 0;
		s->sockq.cap = cap;
	}
	s->sock_enq[(s->sockq.head + s->sockq.len) % s->sockq.cap] = t;
	pktq_push(&s->sockq, p);
	s->rmem += s->cfg.truesize;
	s->sock_n++;
	sock_level(s, t, s->sock_n);
	if (s->measuring) {
		s->n.sock_accepted++;
		hist_record(&s->lat_sock, t - p->t);
	}
	if (s->app_thread >= 0 && s->app_sleeping) {
		s->app_sleeping = 0;
		thread_wake(s, s->app_thread);
	}
	return true;
}

/* ---- NAPI, poll and net_rx_action --------------------------------------------------------- */

static void napi_schedule(struct sim *s, struct napi *n)
{
	struct core *c = &s->core[n->core];

	if (n->scheduled)
		return;
	n->scheduled = 1;
	if (s->cfg.napi_mode == NAPI_THREADED) {
		thread_wake(s, n->thread);
		return;
	}
	/* raise NET_RX: it runs at irq exit, at the running thread's next scheduling point, or in
	 * ksoftirqd (core_run decides) */
	c->sd_list[c->nsd++] = n->queue;
	c->softirq_pending = 1;
}

static void irq_fire(struct sim *s, struct napi *n)
{
	struct core *c = &s->core[n->irq_core];
	int backlog = s->cfg.nic_mode == NIC_BACKLOG;

	n->irq_pending = 0;
	n->irq_enabled = 0;
	if (!backlog) {
		if (s->cfg.adaptive_itr) {
			double step = 2000, target = s->cfg.weight / 4.0;

			if (n->pkts_since_irq > target)
				n->itr_ns = fmin(n->itr_ns + step, s->cfg.itr_max_us * 1e3);
			else if (n->pkts_since_irq < target)
				n->itr_ns = fmax(n->itr_ns - step, s->cfg.itr_min_us * 1e3);
		}
		n->pkts_since_irq = 0;
		n->last_irq = s->now;
		if (c->curr < 0 && !c->in_softirq && c->t < s->now)
			c->t = s->now;
		preempt_item(s, c);
		spend(s, c, STAGE_IRQ, CTX_HARDIRQ, s->cost_call[STAGE_IRQ]);
		if (s->measuring) {
			s->n.irqs++;
			s->n.stage_calls[STAGE_IRQ]++;
		}
	}
	napi_schedule(s, n);
	core_kick(s, c);
}

static void napi_complete(struct sim *s, struct napi *n)
{
	n->scheduled = 0;
	n->irq_enabled = 1;
	s->armed++;
	link_arm(s);
}

static int ksoftirqd_active(struct sim *s, struct core *c)
{
	return s->cfg.defer_to_ksoftirqd && s->thread[c->ksoftirqd].state != TS_SLEEP;
}

static void poll_begin(struct sim *s, struct core *c, int napi, enum ctx ctx)
{
	struct poll_state *p = &c->poll;

	p->gap_ns = !c->poll_end ? INFINITY : c->t > c->poll_end ? (double)(c->t - c->poll_end) : 0;
	p->active = 1;
	p->napi = napi;
	p->work = 0;
	p->ctx = ctx;
	p->seen = 0;
	spend(s, c, STAGE_POLL, ctx, s->cost_call[STAGE_POLL]);
	if (s->measuring) {
		s->n.polls++;
		s->n.stage_calls[STAGE_POLL]++;
	}
}

static bool app_elsewhere(const struct sim *s, const struct core *c);

/* The cold ramp of stage @st for the packet core @c polls: min(1, max(0, gap since the core's
 * previous poll - onset) / cold_after_us) for the poll's first packet; 0 for its later packets,
 * which find the code and data the first one brought in. As the fit has them (docs/fit.md,
 * "Cold polls after a halt"): the onset cold_from_us is a NAPI kthread's (its core halts
 * between polls), 0 for a NET_RX poll; transport's cold start is a kthread's beside its
 * application only, elsewhere in the wake-up terms. */
static double cold_frac(const struct sim *s, const struct core *c, int st)
{
	const struct stage_cost *sc = &s->cfg.cal.stage[st];
	bool kthread = c->poll.ctx == CTX_NAPI_THREAD;

	if (c->poll.work != 1 || !(sc->cold_after_us > 0))
		return 0;
	if (st == STAGE_TRANSPORT && (!kthread || app_elsewhere(s, c)))
		return 0;
	return fmin(1, fmax(0, c->poll.gap_ns - (kthread ? sc->cold_from_us * 1e3 : 0)) /
			       (sc->cold_after_us * 1e3));
}

/* The cold cost of stage @st for that packet, cold_ns x the ramp, times @share (1, or for a
 * packet a rule drops in the stage its head_share). */
static double cold_cost(struct sim *s, const struct core *c, int st, double share)
{
	double f = share * cold_frac(s, c, st);

	if (s->measuring)
		s->n.cold_ramp[st] += f;
	return s->cfg.cal.stage[st].cold_ns * f;
}

/* Takes one frame from the ring and charges its whole path; its outcome (socket, drop, out) is
 * applied when the core's time reaches the end of that work. */
static void poll_packet(struct sim *s, struct core *c, struct napi *n)
{
	struct poll_state *p = &c->poll;
	struct ring *r = &n->ring;
	struct pkt pk = pktq_pop(&r->q);
	int meas = s->measuring;

	tavg_set(&r->occ, c->t, r->q.len);
	if (++r->to_refill >= (uint32_t)s->cfg.refill_batch) {
		r->ready += r->to_refill;
		r->to_refill = 0;
	}
	p->work++;
	n->pkts_since_irq++;
	if (meas) {
		s->n.ring_soj_sum += (double)(c->t - pk.t);
		s->n.ring_soj_n++;
	}
	p->pkt_fate = -1;
	/* the softirq stage's cold cost is net_rx_action's own, paid by a NET_RX poll's first
	 * packet whatever becomes of it (the fit's regressor counts every poll: docs/fit.md) */
	if (p->ctx != CTX_NAPI_THREAD && p->work == 1)
		spend(s, c, STAGE_SOFTIRQ, p->ctx, cold_cost(s, c, STAGE_SOFTIRQ, 1));
	for (int i = 0; i < s->npath; i++) {
		int st = s->path[i];
		const struct stage_cost *sc = &s->cfg.cal.stage[st];
		double cost = s->cost_pkt[st] + s->cost_byte[st] * pk.size;
		int dropped = 0;
		double share = 1;

		if (s->cfg.drop[st] > 0) {
			s->drop_credit[st] += s->cfg.drop[st];
			if (s->drop_credit[st] >= 1 - 1e-12) {
				s->drop_credit[st] -= 1;
				dropped = 1;
			}
		}
		/* a packet a rule drops here pays the stage's head only, the part before the
		 * hook (has_head: measured by the sampler; else the whole stage), of its cold
		 * cost as well */
		if (dropped && sc->has_head) {
			share = sc->head_share;
			if (meas) {
				s->n.head_saved_pkts[st] += 1 - share;
				s->n.head_saved_bytes[st] += (1 - share) * pk.size;
				/* what the share multiplied, for its own error (head_share_se) */
				s->n.head_full_ns[st] += cost + sc->cold_ns * cold_frac(s, c, st);
			}
			cost *= share;
		}
		if (sc->dist != DIST_FIXED)
			cost = sample_cost(s, sc, cost);
		/* counted whatever remote_ns is: a cost the fit held at 0 keeps its error */
		if (c->remote_prev) {
			cost += sc->remote_ns;
			if (meas)
				s->n.remote_pkts[st]++;
		}
		spend(s, c, st, p->ctx, cost + cold_cost(s, c, st, share));
		p->seen |= 1u << st;
		if (meas) {
			s->n.stage_pkts[st]++;
			s->n.stage_bytes[st] += pk.size;
		}
		if (dropped) {
			p->pkt_fate = st;
			/* the drop's own work: the rule, the dropped skb's free (for an XDP drop
			 * in poll as well: stage_holds_drop()) */
			for (uint32_t m = s->drop_holders[st]; m; m &= m - 1) {
				int k = __builtin_ctz(m);

				spend(s, c, k, p->ctx, s->cfg.cal.stage[k].drop_ns);
			}
			break;
		}
		if (st == STAGE_XDP)
			spend(s, c, STAGE_POLL, p->ctx, s->skb_build_ns);
	}
	p->pkt = pk;
	p->pending = 1;
}

/* The wake-up of the application by the socket enqueue about to happen on core @c, when the
 * application sleeps on another core: the waker pays transport.per_wake_ns (the IPI),
 * wake_idle_ns x min(1, idle / wake_idle_after_us) more for the time that core has idled, and
 * deep_wake_ns more when it has been idle for deep_wake_after_us or longer (in a VM, a halted
 * vCPU the host has stopped polling for; with cpu.halt_poll_us, when core_halted() says so;
 * docs/model.md). Returns the ns. */
static double remote_wake_ns(struct sim *s, const struct core *c)
{
	const struct stage_cost *sc = &s->cfg.cal.stage[STAGE_TRANSPORT];
	struct core *ac;
	double ns, idle, ramp;
	int deep;

	if (s->app_thread < 0 || !s->app_sleeping || s->rmem > s->cfg.rcvbuf)
		return 0; /* no wake-up: awake, or the datagram will be dropped */
	ac = &s->core[s->thread[s->app_thread].core];
	if (ac == c)
		return 0;
	idle = ac->curr < 0 && !ac->in_softirq && c->t >= ac->idle_since ?
		       (double)(c->t - ac->idle_since) : 0;
	/* with the host's halt polling modelled, deep is a halted vCPU, as for its delay */
	if (s->cfg.halt_poll_us > 0)
		deep = idle > 0 && core_halted(s, ac, c->t);
	else
		deep = sc->deep_wake_after_us > 0 && idle > 0 &&
		       idle >= sc->deep_wake_after_us * 1e3;
	ramp = sc->wake_idle_after_us > 0 ? fmin(1, idle / (sc->wake_idle_after_us * 1e3)) : 0;
	ns = sc->per_wake_ns + sc->wake_idle_ns * ramp + (deep ? sc->deep_wake_ns : 0);
	if (s->measuring) {
		s->n.remote_wakeups++;
		s->n.deep_wakeups += deep;
		s->n.idle_wake_ramp += ramp;
	}
	return ns;
}

/* Whether the application runs on another core than @c, the one that received its datagram. */
static bool app_elsewhere(const struct sim *s, const struct core *c)
{
	return s->app_thread >= 0 && &s->core[s->thread[s->app_thread].core] != c;
}

/* The free of a datagram's skb once the application has copied it, when the application runs on
 * another core than @c, the one that received it: the kernel hands the skb back to @c
 * (skb_attempt_defer_free) and @c's net_rx_action frees it (skb_defer_free_flush), which is
 * what the softirq stage's per_packet_ns stands for (docs/model.md). Charged when the datagram
 * is queued: the flush runs in the receiving core's next NET_RX, in the same context. An
 * application on the receiving core frees the skb itself, inside its own per-packet cost. */
static void deferred_free(struct sim *s, struct core *c, enum ctx ctx)
{
	if (!app_elsewhere(s, c))
		return;
	spend(s, c, STAGE_SOFTIRQ, ctx, s->cost_pkt[STAGE_SOFTIRQ]);
	if (s->measuring)
		s->n.stage_pkts[STAGE_SOFTIRQ]++;
}

static void poll_finish_packet(struct sim *s, struct core *c)
{
	struct poll_state *p = &c->poll;
	struct batch *b = cur_batch(s, c->t);

	p->pending = 0;
	c->remote_prev = 0;
	if (p->pkt_fate >= 0) {
		if (s->measuring) {
			s->n.dropped[DROP_RULE]++;
			s->n.drop_stage[p->pkt_fate]++;
			if (b)
				b->drops++;
		}
		return;
	}
	if (s->cfg.path_end == END_SOCKET) {
		double wake = remote_wake_ns(s, c);

		if (sock_enqueue(s, &p->pkt, c->t)) {
			deferred_free(s, c, p->ctx);
			c->remote_prev = app_elsewhere(s, c);
		}
		spend(s, c, STAGE_TRANSPORT, p->ctx, wake);
		return;
	}
	if (s->measuring) {
		s->n.delivered++;
		hist_record(&s->lat_sock, c->t - p->pkt.t);
		if (b)
			b->delivered++;
	}
}

static void net_rx_action_end(struct sim *s, struct core *c)
{
	struct softirq_state *q = &c->sirq;
	int list[MAX_QUEUES], n = 0;

	/* remaining list, then NAPIs scheduled meanwhile, then the ones to poll again */
	for (int i = 0; i < q->nlist; i++)
		list[n++] = q->list[i];
	for (int i = 0; i < c->nsd; i++)
		list[n++] = c->sd_list[i];
	for (int i = 0; i < q->nrepoll; i++)
		list[n++] = q->repoll[i];
	memcpy(c->sd_list, list, sizeof(int) * n);
	c->nsd = n;
	if (n)
		c->softirq_pending = 1;
	q->nlist = q->nrepoll = 0;
	q->in_action = 0;
}

static void poll_end(struct sim *s, struct core *c)
{
	struct poll_state *p = &c->poll;
	struct napi *n = &s->napi[p->napi];
	int stay = p->work >= s->cfg.weight;

	for (int i = 0; i < s->npath; i++) {
		int st = s->path[i];

		if (st == STAGE_POLL || !(p->seen & (1u << st)))
			continue; /* the poll's own call was charged when it began */
		spend(s, c, st, p->ctx, s->cost_call[st]);
		if (s->measuring)
			s->n.stage_calls[st]++;
	}
	if (s->measuring)
		s->n.poll_hist[p->work]++;
	p->active = 0;
	c->poll_end = c->t;
	if (!stay)
		napi_complete(s, n);
	if (p->ctx == CTX_NAPI_THREAD)
		return;
	{
		struct softirq_state *q = &c->sirq;

		/* net_rx_action: budget is charged after the poll returns, so a round can overshoot */
		q->budget -= p->work;
		if (stay)
			q->repoll[q->nrepoll++] = p->napi;
		if (q->budget <= 0 || jiffy(s, c->t) >= q->limit_jiffy) {
			if (s->measuring)
				s->n.time_squeeze++;
			net_rx_action_end(s, c);
		}
	}
}

static void poll_step(struct sim *s, struct core *c)
{
	struct poll_state *p = &c->poll;
	struct napi *n = &s->napi[p->napi];

	if (p->work < s->cfg.weight) {
		nic_advance(s, c->t);
		if (n->ring.q.len) {
			poll_packet(s, c, n);
			return;
		}
	}
	poll_end(s, c);
}

static void net_rx_action_begin(struct sim *s, struct core *c)
{
	struct softirq_state *q = &c->sirq;

	c->softirq_pending = 0;
	q->in_action = 1;
	q->budget = s->cfg.budget;
	q->limit_jiffy = jiffy(s, c->t) +
			 (s->cfg.budget_usecs ? usecs_to_jiffies(s, s->cfg.budget_usecs) : 2);
	memcpy(q->list, c->sd_list, sizeof(int) * c->nsd);
	q->nlist = c->nsd;
	c->nsd = 0;
	q->nrepoll = 0;
	spend(s, c, STAGE_SOFTIRQ, q->ctx, s->cost_call[STAGE_SOFTIRQ]);
	if (s->measuring) {
		s->n.net_rx_actions++;
		s->n.stage_calls[STAGE_SOFTIRQ]++;
	}
}

static void softirq_begin(struct sim *s, struct core *c, enum ctx ctx)
{
	struct softirq_state *q = &c->sirq;
	uint64_t per = 1000000ull / (uint64_t)s->cfg.hz;

	q->active = 1;
	q->ctx = ctx;
	q->restart_left = s->cfg.max_restart;
	q->end_jiffy = jiffy(s, c->t) + ((uint64_t)s->cfg.max_softirq_us + per - 1) / per;
	if (ctx == CTX_SOFTIRQ)
		c->in_softirq = 1;
	if (s->measuring)
		s->n.softirq_runs++;
	net_rx_action_begin(s, c);
}

static void wakeup_ksoftirqd(struct sim *s, struct core *c)
{
	if (s->thread[c->ksoftirqd].state == TS_SLEEP) {
		if (s->measuring)
			s->n.ksoftirqd_wakeups++;
		thread_wake(s, c->ksoftirqd);
	}
}

/* One step of __do_softirq / net_rx_action on core @c. */
static void softirq_step(struct sim *s, struct core *c)
{
	struct softirq_state *q = &c->sirq;

	if (c->poll.active) {
		poll_step(s, c);
		return;
	}
	if (q->in_action) {
		if (!q->nlist) {
			net_rx_action_end(s, c);
			return;
		}
		{
			int napi = q->list[0];

			memmove(q->list, q->list + 1, sizeof(int) * (q->nlist - 1));
			q->nlist--;
			poll_begin(s, c, napi, q->ctx);
		}
		return;
	}
	/* end of net_rx_action: __do_softirq's restart rule */
	if (c->softirq_pending) {
		if (jiffy(s, c->t) < q->end_jiffy && !c->need_resched && --q->restart_left > 0) {
			net_rx_action_begin(s, c);
			return;
		}
		wakeup_ksoftirqd(s, c);
	}
	q->active = 0;
	if (q->ctx == CTX_SOFTIRQ)
		c->in_softirq = 0;
	sender_resume(s, c);
}

/* ---- per-thread behaviour ----------------------------------------------------------------- */

/* recvmsg/recvmmsg returned: the datagrams it copied release their socket memory. */
static void app_item_done(struct sim *s, struct core *c, struct thread *th)
{
	struct batch *b = cur_batch(s, c->t);

	for (int i = 0; i < s->app_nitems; i++) {
		const struct app_item *it = &s->app_items[i];

		s->rmem -= s->cfg.truesize;
		s->sock_n--;
		if (!s->measuring)
			continue;
		s->n.delivered++;
		hist_record(&s->lat_app, c->t - it->pkt.t);
		s->n.soj_sum += (double)(c->t - it->enq);
		s->n.soj_n++;
		if (b) {
			b->delivered++;
			b->soj_sum += (double)(c->t - it->enq);
			b->soj_n++;
		}
	}
	s->app_nitems = 0;
	sock_level(s, c->t, s->sock_n);
}

/* One recvmsg (app.batch = 1) or recvmmsg call: takes up to app.batch datagrams. */
static void app_call(struct sim *s, struct core *c, struct thread *th)
{
	const struct stage_cost *sc = &s->cfg.cal.stage[STAGE_APP];
	struct batch *b = cur_batch(s, c->t);
	double cost = s->cost_call[STAGE_APP], tot;

	s->app_nitems = 0;
	while (s->sockq.len && s->app_nitems < s->cfg.app_batch) {
		struct app_item *it = &s->app_items[s->app_nitems++];
		double payload;

		it->enq = s->sock_enq[s->sockq.head];
		it->pkt = pktq_pop(&s->sockq);
		payload = frame_payload(it->pkt.size);
		cost += s->cost_pkt[STAGE_APP] + s->cost_byte[STAGE_APP] * payload;
		if (s->measuring) {
			s->n.stage_pkts[STAGE_APP]++;
			s->n.stage_bytes[STAGE_APP] += (uint64_t)payload;
			s->n.wait_sum += (double)(c->t - it->enq);
			s->n.wait_n++;
			if (b) {
				b->wait_sum += (double)(c->t - it->enq);
				b->wait_n++;
			}
		}
	}
	if (sc->dist != DIST_FIXED)
		cost = sample_cost(s, sc, cost);
	tot = cost + c->carry;
	th->work_left = (uint64_t)tot;
	c->carry = tot - (double)th->work_left;
	th->item_active = 1;
	if (s->measuring)
		s->n.stage_calls[STAGE_APP]++;
}

/* traffic.sender_call_us: one step of the paced sender thread, as calibrate/traffic.c's loop:
 * ahead of its schedule it sleeps until the next burst's time (a timer, EV_TIMER), its
 * lateness drawn now from the measured histogram of the sleep's length class (else the core's
 * idle exit at the wake-up), or spins through a short sleep that never switched out; a burst
 * due starts with the call's CPU, and every frame takes sender_frame_us before it leaves
 * (sender_emit()). */
static void sender_step(struct sim *s, struct core *c, struct thread *th)
{
	double cost = s->cfg.sender_frame_us * 1e3, tot;

	if (!s->snd_left) {
		if (s->snd_next > (double)c->t) {
			const gsl_ran_discrete_t *t;

			s->snd_class = sleep_class(s->snd_next - (double)c->t);
			s->snd_woke = 1;
			if (s->measuring)
				s->n.sender_sleeps++;
			t = s->sender_wake_by_sleep[s->snd_class] ? s->sender_wake_by_sleep[s->snd_class]
								    : s->sender_wake_table;
			s->snd_late = t ? ushist_draw(s, t) : -1;
			if (s->measuring && s->snd_late >= 0) {
				int bin = ushist_bin(s->snd_late);

				s->n.sender_late_hist[bin]++;
				s->n.sender_late_by_sleep[s->snd_class][bin]++;
			}
			if (s->snd_class == 0 && s->snd_late >= 0 &&
			    s->snd_late < SENDER_NO_SWITCH_NS) {
				/* a sleep this short whose wake-up is this fast never switched out:
				 * its timer fired before do_nanosleep() reached schedule(), and the
				 * thread ran on until the syscall returned, lateness after the deadline.
				 * An end time, not a length: an interrupt meanwhile is inside that
				 * lateness (core_run() resumes the spin only up to it) */
				s->snd_spin_end = ceil(s->snd_next + s->snd_late);
				th->work_left = (uint64_t)(s->snd_spin_end - (double)c->t);
				th->item_active = 1;
				s->snd_spin = 1;
				if (s->measuring)
					s->n.sender_spins++;
				return;
			}
			eventq_push(&s->eq, (uint64_t)ceil(s->snd_next), EV_TIMER,
				    (uint32_t)s->sender_thread, 0);
			thread_sleep(s, c);
			return;
		}
		/* 20 ms behind without having slept: the machine's limit (calibrate/traffic.c) */
		if (!s->snd_woke && (double)c->t - s->snd_next > 20e6)
			s->snd_next = (double)c->t;
		s->snd_woke = 0;
		s->snd_left = s->cfg.burst;
		s->snd_next += s->src.gap_ns * s->cfg.burst;
		cost += s->cfg.sender_call_us * 1e3;
		if (s->measuring)
			s->n.sender_bursts++;
	}
	if (s->measuring)
		s->n.sender_send_ns += cost;
	tot = cost + c->carry;
	th->work_left = (uint64_t)tot;
	c->carry = tot - (double)th->work_left;
	th->item_active = 1;
}

/* The sender thread's send of a frame ended at c->t: the frame reaches its ring now
 * (veth_xmit). Its IRQ event, due now, runs before the thread's next step (core_run), so in
 * softirq mode the NET_RX it raises runs on top of the sender before its next frame. */
static void sender_emit(struct sim *s, struct core *c)
{
	struct source *src = &s->src;

	src->t = src->last_t = (double)c->t;
	src->ti = c->t;
	nic_deliver(s);
	src->ti = UINT64_MAX; /* the thread, not the source, times the next frame */
	s->snd_left--;
}

static void thread_step(struct sim *s, struct core *c, struct thread *th)
{
	switch (th->kind) {
	case TH_APP:
		if (!s->sockq.len) {
			s->app_sleeping = 1;
			thread_sleep(s, c);
			return;
		}
		app_call(s, c, th);
		return;
	case TH_BG:
		th->item_active = 1;
		th->work_left = BG_CHUNK_NS;
		return;
	case TH_KSOFTIRQD:
		if (c->sirq.active) {
			softirq_step(s, c);
			return;
		}
		if (c->softirq_pending) {
			softirq_begin(s, c, CTX_KSOFTIRQD);
			return;
		}
		thread_sleep(s, c);
		return;
	case TH_NAPI: {
		struct napi *n = &s->napi[th->napi];

		if (c->poll.active) {
			poll_step(s, c);
			return;
		}
		if (n->scheduled) {
			poll_begin(s, c, th->napi, CTX_NAPI_THREAD);
			return;
		}
		thread_sleep(s, c);
		return;
	}
	case TH_SENDER:
		sender_step(s, c, th);
		return;
	}
}

/* The running segment of a thread's work item reached its end at c->t. */
static void thread_segment_end(struct sim *s, struct core *c, struct thread *th)
{
	thread_charge(s, c, th, c->t);
	if (th->work_left)
		return;
	th->item_active = 0;
	if (th->kind == TH_APP)
		app_item_done(s, c, th);
	else if (th->kind == TH_SENDER && s->snd_spin)
		s->snd_spin = 0; /* back from a sleep that never switched out */
	else if (th->kind == TH_SENDER)
		sender_emit(s, c);
	else if (s->measuring)
		s->n.bg_chunks++;
}

/* Runs core @c from c->t until it must wait for an earlier event, or goes idle. */
static void core_run(struct sim *s, struct core *c)
{
	for (;;) {
		struct thread *th;

		if (c->t > eventq_peek_time(&s->eq)) {
			eventq_push(&s->eq, c->t, EV_CORE, c->id, c->gen);
			return;
		}
		if (c->poll.pending) {
			poll_finish_packet(s, c);
			continue;
		}
		if (c->curr >= 0 && s->thread[c->curr].work_left_running && !c->in_softirq) {
			thread_segment_end(s, c, &s->thread[c->curr]);
			continue;
		}
		if (c->in_softirq) {
			softirq_step(s, c);
			continue;
		}
		if (c->curr < 0) {
			int next;

			if (c->softirq_pending && !ksoftirqd_active(s, c)) {
				softirq_begin(s, c, CTX_SOFTIRQ);
				continue;
			}
			next = pick_next(s, c);
			if (next < 0)
				return;
			switch_to(s, c, next);
			continue;
		}
		th = &s->thread[c->curr];
		/* irq_exit / local_bh_enable: pending softirqs run on top of the thread */
		if (c->softirq_pending && th->kind != TH_KSOFTIRQD && !c->poll.active &&
		    !ksoftirqd_active(s, c)) {
			softirq_begin(s, c, CTX_SOFTIRQ);
			continue;
		}
		if (!c->poll.active && !c->sirq.active && should_resched(s, c)) {
			switch_to(s, c, pick_next(s, c));
			continue;
		}
		if (th->item_active) {
			if (th->kind == TH_SENDER && s->snd_spin)
				th->work_left = s->snd_spin_end > (double)c->t ?
							(uint64_t)(s->snd_spin_end - (double)c->t) : 0;
			th->seg_start = c->t;
			c->t += th->work_left;
			th->work_left = 0;
			th->work_left_running = 1;
			continue;
		}
		if (th->kind == TH_SENDER && eventq_peek_time(&s->eq) <= c->t) {
			/* an event due now (the IRQ of the frame just sent) runs first */
			eventq_push(&s->eq, c->t, EV_CORE, c->id, c->gen);
			return;
		}
		thread_step(s, c, th);
	}
}

/* ---- setup and the event loop ------------------------------------------------------------- */

static int add_thread(struct sim *s, enum thread_kind kind, int core, int napi)
{
	struct thread *t = &s->thread[s->nthreads];

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->core = core;
	t->napi = napi;
	t->state = TS_SLEEP;
	return s->nthreads++;
}

static uint64_t inflight(const struct sim *s)
{
	uint64_t n = s->sock_n;

	for (int q = 0; q < s->cfg.queues; q++)
		n += s->napi[q].ring.q.len;
	for (int i = 0; i < s->cfg.cores; i++)
		n += s->core[i].poll.pending;
	return n;
}

static void start_measuring(struct sim *s)
{
	/* frames that arrived before the window belong to the warm-up */
	nic_advance(s, s->now);
	s->measuring = 1;
	memset(&s->n, 0, sizeof(s->n));
	memset(s->stage_ns, 0, sizeof(*s->stage_ns) * s->cfg.cores);
	memset(s->busy_ns, 0, sizeof(*s->busy_ns) * s->cfg.cores);
	hist_reset(&s->lat_sock);
	hist_reset(&s->lat_app);
	memset(s->batch, 0, sizeof(s->batch));
	tavg_restart(&s->sock_occ, s->now);
	for (int q = 0; q < s->cfg.queues; q++)
		tavg_restart(&s->napi[q].ring.occ, s->now);
	s->inflight_start = inflight(s);
}

int sim_create(struct sim **out, const struct model_config *cfg, char *err, int errlen)
{
	struct sim *s;
	const struct model_config *c = cfg;
	double *w;
	int ret = -ENOMEM;

	ret = config_validate(cfg, err, errlen);
	if (ret)
		return ret;
	if (cfg->weight > MAX_WEIGHT) { /* poll_hist has MAX_WEIGHT + 1 slots */
		snprintf(err, errlen, "napi.weight %d above %d", cfg->weight, MAX_WEIGHT);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->cfg = *cfg;
	c = &s->cfg;
	s->app_thread = s->bg_thread = s->sender_thread = -1;
	s->rng = gsl_rng_alloc(gsl_rng_taus2);
	if (!s->rng)
		goto nomem;
	gsl_rng_set(s->rng, c->seed);
	zig_exp_init(&s->zig);
	if (eventq_init(&s->eq, 1024))
		goto nomem;
	s->stage_ns = calloc(c->cores, sizeof(*s->stage_ns));
	s->busy_ns = calloc(c->cores, sizeof(*s->busy_ns));
	s->thread = calloc(c->cores + c->queues + 3, sizeof(*s->thread));
	s->flow_queue = calloc(c->flows, sizeof(int));
	if (!s->stage_ns || !s->busy_ns || !s->thread || !s->flow_queue)
		goto nomem;
	if (pktq_init(&s->sockq, 64) || !(s->sock_enq = calloc(64, sizeof(uint64_t))))
		goto nomem;
	for (int i = 0; i < c->nsizes; i++)
		s->wire_ns[i] = frame_wire_bits(c->size[i]) * 1e9 / c->line_rate_bps;

	/* the path in stage order (the enum's order is the order a packet meets them) */
	for (int st = 0; st < STAGE_COUNT; st++)
		if ((c->path_mask & (1u << st)) && stage_table[st].per_packet)
			s->path[s->npath++] = st;
	for (int st = 0; st < STAGE_COUNT; st++) {
		s->cost_pkt[st] = c->cal.stage[st].per_packet_ns;
		s->cost_byte[st] = c->cal.stage[st].per_byte_ns;
		s->cost_call[st] = c->cal.stage[st].per_call_ns;
		for (int k = 0; k < STAGE_COUNT; k++)
			if (stage_holds_drop(st, k) && c->cal.stage[k].drop_ns > 0)
				s->drop_holders[st] |= 1u << k;
	}
	/* with an XDP program, the skb is built only for the packets it passes */
	if (c->path_mask & (1u << STAGE_XDP)) {
		s->skb_build_ns = c->cal.stage[STAGE_POLL].skb_build_ns;
		s->cost_pkt[STAGE_POLL] -= s->skb_build_ns;
	}
	s->app_items = calloc(c->app_batch, sizeof(*s->app_items));
	if (!s->app_items)
		goto nomem;

	for (int i = 0; i < c->cores; i++) {
		struct core *k = &s->core[i];

		k->id = i;
		k->curr = -1;
		k->halt_seq = UINT64_MAX;	/* the first idle period is undecided too */
		k->ksoftirqd = add_thread(s, TH_KSOFTIRQD, i, -1);
	}
	for (int q = 0; q < c->queues; q++) {
		struct napi *n = &s->napi[q];
		uint32_t size = c->nic_mode == NIC_RING ? (uint32_t)c->ring : (uint32_t)c->ring;

		n->queue = q;
		n->irq_core = c->irq_cpu[q % c->n_irq_cpu];
		n->core = n->irq_core;
		n->itr_ns = c->nic_mode == NIC_RING ? c->itr_us * 1e3 : 0;
		n->irq_enabled = 1;
		n->ring.size = size;
		n->ring.ready = size;
		if (pktq_init(&n->ring.q, size))
			goto nomem;
		if (c->napi_mode == NAPI_THREADED) {
			n->core = c->thread_cpu[q % c->n_thread_cpu];
			n->thread = add_thread(s, TH_NAPI, n->core, q);
		}
		s->armed++;
	}
	if (c->nic_mode == NIC_BACKLOG)
		s->cfg.refill_batch = 1;
	/* before the traffic: its first burst may draw the sender's wake-up from it */
	if (c->has_idle_exit_hist) {
		s->idle_exit_table = gsl_ran_discrete_preproc(LOGHIST_SLOTS, c->idle_exit_hist);
		if (!s->idle_exit_table)
			goto nomem;
	}
	if (c->app_enabled && c->path_end == END_SOCKET) {
		s->app_thread = add_thread(s, TH_APP, c->app_cpu, -1);
		s->app_sleeping = 1;
	}
	if (c->bg_enabled) {
		s->bg_thread = add_thread(s, TH_BG, c->bg_cpu, -1);
		s->thread[s->bg_thread].state = TS_RUNNABLE;
		s->core[c->bg_cpu].runq[s->core[c->bg_cpu].nrunq++] = s->bg_thread;
	}
	if (c->has_sender_wake_hist) {
		s->sender_wake_table = gsl_ran_discrete_preproc(USHIST_BINS, c->sender_wake_hist);
		if (!s->sender_wake_table)
			goto nomem;
	}
	for (int k = 0; k < SLEEP_CLASSES; k++)
		if (c->has_sender_wake_by_sleep[k]) {
			s->sender_wake_by_sleep[k] =
				gsl_ran_discrete_preproc(USHIST_BINS, c->sender_wake_by_sleep[k]);
			if (!s->sender_wake_by_sleep[k])
				goto nomem;
		}
	if (c->sender_call_us > 0 || c->sender_frame_us > 0) {
		/* runnable at 0: its first burst is due then */
		s->sender_thread = add_thread(s, TH_SENDER, c->sender_cpu, -1);
		s->snd_late = -1;
		s->thread[s->sender_thread].state = TS_RUNNABLE;
		s->core[c->sender_cpu].runq[s->core[c->sender_cpu].nrunq++] = s->sender_thread;
	}
	for (int f = 0; f < c->flows; f++)
		s->flow_queue[f] = (int)(hash32((uint32_t)f * 2654435761u + 1) % (uint32_t)c->queues);

	/* traffic */
	{
		double pps = config_offered_pps(c);

		s->src.gap_ns = 1e9 / pps;
		if (c->burst_us > 0) {
			/* a sender that wakes every burst_us and sends what the rate allows */
			double b = ceil(pps * c->burst_us * 1e-6);

			s->cfg.burst = b < 1 ? 1 : b > 65536 ? 65536 : (int)b;
		}
		if (c->arrivals == ARR_ONOFF)
			s->src.gap_ns *= c->on_us / (c->on_us + c->off_us);
		w = malloc(sizeof(double) * c->nsizes);
		if (!w)
			goto nomem;
		for (int i = 0; i < c->nsizes; i++)
			w[i] = c->size_weight[i];
		s->src.size_table = gsl_ran_discrete_preproc(c->nsizes, w);
		free(w);
		if (!s->src.size_table)
			goto nomem;
		s->src.gen_t = 0;
		s->src.last_t = -1e18;
		s->src.phase_end = c->arrivals == ARR_ONOFF ?
					   gsl_ran_exponential(s->rng, c->on_us * 1e3) :
					   INFINITY;
		source_next(s);
		if (s->sender_thread >= 0)
			s->src.ti = UINT64_MAX;
	}
	s->t_start = c->warmup_ns;
	s->t_end = c->warmup_ns + c->duration_ns;
	s->batch_len = (c->duration_ns + c->batches - 1) / c->batches;
	*out = s;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	ret = -ENOMEM;
	sim_free(s);
	return ret;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	if (s->rng)
		gsl_rng_free(s->rng);
	if (s->src.size_table)
		gsl_ran_discrete_free(s->src.size_table);
	if (s->idle_exit_table)
		gsl_ran_discrete_free(s->idle_exit_table);
	if (s->sender_wake_table)
		gsl_ran_discrete_free(s->sender_wake_table);
	for (int k = 0; k < SLEEP_CLASSES; k++)
		if (s->sender_wake_by_sleep[k])
			gsl_ran_discrete_free(s->sender_wake_by_sleep[k]);
	eventq_free(&s->eq);
	for (int q = 0; q < MAX_QUEUES; q++)
		free(s->napi[q].ring.q.buf);
	free(s->sockq.buf);
	free(s->sock_enq);
	free(s->stage_ns);
	free(s->busy_ns);
	free(s->thread);
	free(s->flow_queue);
	free(s->app_items);
	free(s);
}

static void fill_results(struct sim *s, struct sim_results *r);

/* The invariants every run must keep; a violation is a bug in the model, reported as such. */
static int sim_check(struct sim *s, const struct sim_results *r)
{
	uint64_t out = r->delivered + r->inflight_end;

	for (int d = 0; d < DROP_COUNT; d++)
		out += r->dropped[d];
	if (r->arrivals + r->inflight_start != out) {
		snprintf(s->err, sizeof(s->err),
			 "internal error: frames not conserved (%llu arrived + %llu in flight != "
			 "%llu accounted)",
			 (unsigned long long)r->arrivals, (unsigned long long)r->inflight_start,
			 (unsigned long long)out);
		return -EFAULT;
	}
	for (int q = 0; q < s->cfg.queues; q++) {
		const struct ring *g = &s->napi[q].ring;

		if (g->ready + g->q.len + g->to_refill != g->size) {
			snprintf(s->err, sizeof(s->err),
				 "internal error: ring %d has %u ready + %u filled + %u cleaned != %u",
				 q, g->ready, g->q.len, g->to_refill, g->size);
			return -EFAULT;
		}
	}
	if (s->rmem != s->sock_n * s->cfg.truesize) {
		snprintf(s->err, sizeof(s->err), "internal error: socket memory out of step");
		return -EFAULT;
	}
	return 0;
}

int sim_run(struct sim *s, struct sim_results *r)
{
	struct event ev;

	if (s->cfg.warmup_ns)
		eventq_push(&s->eq, s->t_start, EV_WARMUP, 0, 0);
	else
		start_measuring(s);
	eventq_push(&s->eq, s->t_end, EV_END, 0, 0);
	link_arm(s);
	if (s->bg_thread >= 0)
		core_kick(s, &s->core[s->cfg.bg_cpu]);
	if (s->sender_thread >= 0)
		core_kick(s, &s->core[s->cfg.sender_cpu]);

	for (uint64_t nev = 1; !eventq_pop(&s->eq, &ev); nev++) {
		s->now = ev.time;
		if (s->progress && !(nev & 0x3ffff))
			s->progress(s->progress_arg, (double)s->now / (double)s->t_end);
		switch (ev.type) {
		case EV_END:
			fill_results(s, r);
			return sim_check(s, r);
		case EV_WARMUP:
			start_measuring(s);
			break;
		case EV_CORE:
			if (ev.gen == s->core[ev.target].gen)
				core_run(s, &s->core[ev.target]);
			break;
		case EV_IRQ:
			nic_advance(s, s->now);
			irq_fire(s, &s->napi[ev.target]);
			break;
		case EV_LINK:
			s->link_event = 0;
			nic_advance(s, s->now);
			link_arm(s);
			break;
		case EV_TIMER:
			thread_wake(s, (int)ev.target);
			break;
		}
	}
	return -EIO;
}

int sim_simulate(const struct model_config *cfg, struct sim_results *r, char *err, int errlen)
{
	return sim_simulate_progress(cfg, r, err, errlen, NULL, NULL);
}

int sim_simulate_progress(const struct model_config *cfg, struct sim_results *r, char *err,
			  int errlen, sim_progress_fn progress, void *arg)
{
	struct sim *s;
	int ret = sim_create(&s, cfg, err, errlen);

	if (ret)
		return ret;
	s->progress = progress;
	s->progress_arg = arg;
	ret = sim_run(s, r);
	if (ret)
		snprintf(err, errlen, "%s",
			 s->err[0] ? s->err : "simulation ended early (event queue ran dry)");
	sim_free(s);
	return ret;
}

/* ---- results ------------------------------------------------------------------------------ */

static void lat_fill(const struct hist *h, double out[5])
{
	out[0] = hist_mean(h);
	out[1] = (double)hist_quantile(h, 0.5);
	out[2] = (double)hist_quantile(h, 0.9);
	out[3] = (double)hist_quantile(h, 0.99);
	out[4] = (double)hist_quantile(h, 0.999);
}

/* One kind of thread's wake-ups as results: per second, mean and sd of the latency (ns, 0
 * without wake-ups), histogram. */
static void wake_result(const struct wake_acc *w, double sec, double *per_s, double *mean,
			double *sd, uint64_t hist[LOGHIST_SLOTS])
{
	*per_s = (double)w->n / sec;
	if (w->n) {
		*mean = w->sum / (double)w->n;
		*sd = sqrt(fmax(0, w->sq / (double)w->n - *mean * *mean));
	}
	memcpy(hist, w->hist, sizeof(w->hist));
}

/* Packets whose drop's own work stage @st holds (stage_holds_drop()): those dropped in it, and
 * for poll those XDP dropped. */
static double drops_held(const struct sim *s, int st)
{
	double n = 0;

	for (int d = 0; d < STAGE_COUNT; d++)
		if (stage_holds_drop(d, st))
			n += (double)s->n.drop_stage[d];
	return n;
}

static void fill_results(struct sim *s, struct sim_results *r)
{
	const struct model_config *c = &s->cfg;
	double sec = (double)(s->t_end - s->t_start) / 1e9;
	double mean_frame = config_mean_frame(c), se2 = 0;

	sock_level(s, s->t_end, s->sock_n); /* close the batches' occupancy integrals */
	memset(r, 0, sizeof(*r));
	r->seconds = sec;
	r->cores = c->cores;
	/* the sender thread sends what its CPU and wake-ups let it (live: the rate achieved) */
	r->offered_pps = s->sender_thread >= 0 ? (double)s->n.arrivals / sec : config_offered_pps(c);
	r->line_pps = c->line_rate_bps / frame_wire_bits(mean_frame);
	r->line_capped = r->offered_pps > r->line_pps;
	r->offered_bw_bps = r->offered_pps * 8 * frame_payload(mean_frame);
	r->offered_wire_bps = fmin(r->offered_pps, r->line_pps) * frame_wire_bits(mean_frame);
	r->arrivals = s->n.arrivals;
	r->delivered = s->n.delivered;
	memcpy(r->dropped, s->n.dropped, sizeof(r->dropped));
	r->inflight_start = s->inflight_start;
	r->inflight_end = inflight(s);
	r->delivered_pps = (double)r->delivered / sec;
	r->delivered_bw_bps = r->delivered_pps * 8 * frame_payload(mean_frame);
	{
		uint64_t d = 0;

		for (int i = 0; i < DROP_COUNT; i++)
			d += r->dropped[i];
		r->drop_share = d + r->delivered ? (double)d / (double)(d + r->delivered) : 0;
	}
	for (int st = 0; st < STAGE_COUNT; st++) {
		struct stage_result *sr = &r->stage[st];
		const struct stage_cost *sc = &c->cal.stage[st];
		double calls = (double)s->n.stage_calls[st], pk = (double)s->n.stage_pkts[st];
		double by = (double)s->n.stage_bytes[st], var;

		for (int k = 0; k < c->cores; k++)
			for (int x = 0; x < CTX_COUNT; x++) {
				sr->ctx_ns_per_s[x] += s->stage_ns[k][st][x] / sec;
				sr->cpu_ns_per_s += s->stage_ns[k][st][x] / sec;
			}
		sr->calls_per_s = calls / sec;
		sr->pkts_per_s = pk / sec;
		sr->ns_per_pkt = pk > 0 ? sr->cpu_ns_per_s / sr->pkts_per_s : 0;
		{
			/* the counts each cost multiplies (enum cost_term order) */
			const double x[TERM_COUNT] = {
				[TERM_CALL] = calls, [TERM_PACKET] = pk - s->n.head_saved_pkts[st],
				[TERM_BYTE] = by - s->n.head_saved_bytes[st],
				[TERM_DEEP_WAKE] = st == STAGE_TRANSPORT ? (double)s->n.deep_wakeups : 0,
				[TERM_WAKE] = st == STAGE_TRANSPORT ? (double)s->n.remote_wakeups : 0,
				[TERM_WAKE_IDLE] = st == STAGE_TRANSPORT ? s->n.idle_wake_ramp : 0,
				[TERM_COLD] = s->n.cold_ramp[st],
				[TERM_REMOTE] = (double)s->n.remote_pkts[st],
			};
			const double se[TERM_COUNT] = {
				[TERM_CALL] = sc->per_call_se, [TERM_PACKET] = sc->per_packet_se,
				[TERM_BYTE] = sc->per_byte_se, [TERM_DEEP_WAKE] = sc->deep_wake_se,
				[TERM_WAKE] = sc->per_wake_se, [TERM_WAKE_IDLE] = sc->wake_idle_se,
				[TERM_COLD] = sc->cold_se, [TERM_REMOTE] = sc->remote_se,
			};

			/* the head's share, independent of the costs it multiplies; then with the
			 * fit's covariance x'Cx (its costs are correlated: per_call and per_packet,
			 * cold and remote), else the terms independent */
			var = pow(s->n.head_full_ns[st] * sc->head_share_se, 2);
			for (int i = 0; i < TERM_COUNT; i++)
				for (int j = 0; j < TERM_COUNT; j++)
					var += sc->has_cov ? x[i] * x[j] * sc->cov[i][j]
							   : i == j ? pow(x[i] * se[i], 2) : 0;
			var = fmax(0, var) + pow(drops_held(s, st) * sc->drop_se, 2);
		}
		sr->cpu_se_ns_per_s = sqrt(var) / sec;
		sr->drops = s->n.drop_stage[st];
		if (stage_table[st].metric != METRIC_NONE)
			r->metric_ns_per_s[stage_table[st].metric] += sr->cpu_ns_per_s;
		if (st != STAGE_APP && st != STAGE_CS) {
			r->total_rx_ns_per_s += sr->cpu_ns_per_s;
			se2 += var / (sec * sec);
		}
	}
	r->total_rx_se_ns_per_s = sqrt(se2);
	r->total_ip_ns_per_s = r->metric_ns_per_s[METRIC_POLL] + r->metric_ns_per_s[METRIC_SKB_PREP] +
			       r->metric_ns_per_s[METRIC_IP] + r->metric_ns_per_s[METRIC_IP_TO_TRANSPORT];
	for (int k = 0; k < c->cores; k++) {
		double tot = 0;

		for (int x = 0; x < CTX_COUNT; x++) {
			r->core_util[k][x] = s->busy_ns[k][x] / (sec * 1e9);
			tot += r->core_util[k][x];
		}
		r->core_util[k][CTX_COUNT] = tot;
	}
	r->inferred_ns_per_s =
		c->bg_enabled ? 1e9 - s->busy_ns[c->bg_cpu][CTX_BG] / sec : -1;
	lat_fill(&s->lat_sock, r->lat_sock);
	lat_fill(&s->lat_app, r->lat_app);
	r->lat_sock_n = s->lat_sock.count;
	r->lat_app_n = s->lat_app.count;
	r->weight = c->weight;
	memcpy(r->poll_hist, s->n.poll_hist, sizeof(uint64_t) * (c->weight + 1));
	r->polls_per_s = (double)s->n.polls / sec;
	r->pkts_per_poll = s->n.polls ? (double)s->n.stage_pkts[s->path[0]] / (double)s->n.polls : 0;
	r->irqs_per_s = (double)s->n.irqs / sec;
	r->softirqs_per_s = (double)s->n.softirq_runs / sec;
	r->net_rx_actions_per_s = (double)s->n.net_rx_actions / sec;
	r->ksoftirqd_wakeups_per_s = (double)s->n.ksoftirqd_wakeups / sec;
	r->cs_per_s = (double)s->n.cs / sec;
	r->sender_bursts_per_s = (double)s->n.sender_bursts / sec;
	r->sender_sleeps_per_s = (double)s->n.sender_sleeps / sec;
	r->sender_spins_per_s = (double)s->n.sender_spins / sec;
	r->sender_send_ns_per_s = s->n.sender_send_ns / sec;
	r->sender_cpu_ns_per_s = s->sender_thread >= 0 ?
					 s->busy_ns[c->sender_cpu][CTX_BG] / sec : 0;
	memcpy(r->sender_late_hist, s->n.sender_late_hist, sizeof(r->sender_late_hist));
	memcpy(r->sender_late_by_sleep, s->n.sender_late_by_sleep,
	       sizeof(r->sender_late_by_sleep));
	r->remote_wakeups_per_s = (double)s->n.remote_wakeups / sec;
	wake_result(&s->n.app_wake, sec, &r->app_wakeups_per_s, &r->app_wake_latency_ns,
		    &r->app_wake_latency_sd_ns, r->app_wake_hist);
	wake_result(&s->n.napi_wake, sec, &r->napi_wakeups_per_s, &r->napi_wake_latency_ns,
		    &r->napi_wake_latency_sd_ns, r->napi_wake_hist);
	r->napi_halted_per_s = (double)s->n.napi_halted / sec;
	r->deep_wakeups_per_s = (double)s->n.deep_wakeups / sec;
	r->time_squeeze_per_s = (double)s->n.time_squeeze / sec;
	r->sock_mean_n = tavg_mean(&s->sock_occ, s->t_end, s->t_start);
	for (int q = 0; q < c->queues; q++)
		r->ring_mean_n += tavg_mean(&s->napi[q].ring.occ, s->t_end, s->t_start);
	r->sock_block = s->n.sock_offered ? (double)s->n.dropped[DROP_SOCKET] /
						    (double)s->n.sock_offered :
					    0;
	r->sock_mean_wait_ns = s->n.wait_n ? s->n.wait_sum / (double)s->n.wait_n : 0;
	r->sock_mean_sojourn_ns = s->n.soj_n ? s->n.soj_sum / (double)s->n.soj_n : 0;
	r->sock_accept_pps = (double)s->n.sock_accepted / sec;
	r->ring_mean_sojourn_ns = s->n.ring_soj_n ? s->n.ring_soj_sum / (double)s->n.ring_soj_n : 0;
	r->ring_take_pps = (double)s->n.ring_soj_n / sec;
	r->nbatches = c->batches;
	r->batch_seconds = (double)s->batch_len / 1e9;
	memcpy(r->batch, s->batch, sizeof(struct batch) * c->batches);
}
