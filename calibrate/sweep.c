#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "loghist.h"
#include "afile.h"
#include "csv.h"
#include "fit.h"
#include "canary.h"
#include "inferred.h"
#include "iperf.h"
#include "methods.h"
#include "fault.h"
#include "probes.h"
#include "rxxdp.skel.h"
#include "sweep.h"
#include "sysinfo.h"
#include "testbed.h"
#include "traffic.h"
#include "units.h"

volatile int rxc_stop;

static void on_signal(int sig)
{
	rxc_stop = sig;	/* the exit status is 128 + sig */
}

/* Counters outside the probes, read at both ends of a step. */
struct sys_snap {
	uint64_t udp_in, udp_inerr, udp_rcvbuf, udp_noports, udp_out;
	uint64_t softnet_processed, softnet_dropped, softnet_squeeze;
	uint64_t ring_drops;
	uint64_t sent, sent_bytes, recv, recv_bytes, recv_calls;
	uint64_t ctxt;			/* /proc/stat ctxt: context switches, all CPUs */
	uint64_t xdp_packets;
	uint64_t xdp_run_ns, xdp_run_cnt;	/* the XDP program's bpf_stats (only while on) */
	/* exact CPU time of the anchored threads (enum rxs_thread), 0 where there is none */
	uint64_t thread_ns[RXS_THREADS];
	uint64_t rx_runs;		/* the receiver's sleeps, each ended by a wake-up */
	/* the built-in sender's bursts, sleeps, and lateness after them (struct sender) */
	uint64_t tx_bursts, tx_sleeps, tx_late_ns, tx_late_hist[USHIST_BINS], tx_send_ns;
	uint64_t tx_late_by_sleep[SLEEP_CLASSES][USHIST_BINS];
	uint64_t t_ns;
};

struct sweep {
	const struct run_opts *o;
	struct testbed tb;
	bool have_tb;
	struct sender tx;
	struct receiver rx;
	/* --generator iperf3: client and server per step instead of tx/rx */
	bool iperf;
	struct iperf_gen ip;
	struct iperf_result ipr;
	struct probes *probes;
	struct rxc_features feat;
	struct rxc_choice ch[STAGE_COUNT];
	const char *drop_names[RXS_DROP_SLOTS];
	struct meas_row *rows;
	size_t nrows;
	bool detail;	/* per-packet GRO/netif_receive_skb tracepoints instead of napi_poll work */
	int sirq_anchor;	/* lean probes: the thread on whose back our NET_RX runs, or -1 */
	/* --inferred: the workload's throughput (iterations or openssl ops per second) without
	 * traffic and at each step, and the CPU stolen from it (ns/s) */
	struct inferred inf;
	double inf_base, inf_rate[RXC_MAX_RATES], inf_ns[RXC_MAX_RATES];
	/* built-in workload: CPU it did not get (ns/s, from its schedstat), and its iterations per
	 * CPU-second it kept, against the baseline's */
	double inf_taken[RXC_MAX_RATES], inf_speed[RXC_MAX_RATES];
	/* of the CPU it did not get, other tasks' time on its CPU (ns/s; -1: not counted) */
	double inf_other[RXC_MAX_RATES];
	/* the speed canary (--canary) on the CPUs of the receive path, the application and the
	 * sender, and its last run (before the current step) */
	struct canary can;
	bool canary_on;
	double can_last[CANARY_MAX_CPUS];
	/* the highest rate the generator reached (offered_bps), its step, steps short of theirs */
	double max_offered;
	int max_step, nshort;
};

static int read_snmp(void *p)
{
	struct sys_snap *s = p;
	char hdr[1024], val[1024];
	FILE *f = fopen("/proc/thread-self/net/snmp", "r");

	if (!f)
		return -errno;
	while (fgets(hdr, sizeof(hdr), f)) {
		char *hs, *vs, *h, *v;
		if (strncmp(hdr, "Udp:", 4) || !fgets(val, sizeof(val), f))
			continue;
		h = strtok_r(hdr, " \n", &hs);
		v = strtok_r(val, " \n", &vs);
		while (h && v) {
			uint64_t x = strtoull(v, NULL, 10);
			if (!strcmp(h, "InDatagrams"))
				s->udp_in = x;
			else if (!strcmp(h, "InErrors"))
				s->udp_inerr = x;
			else if (!strcmp(h, "RcvbufErrors"))
				s->udp_rcvbuf = x;
			else if (!strcmp(h, "NoPorts"))
				s->udp_noports = x;
			else if (!strcmp(h, "OutDatagrams"))
				s->udp_out = x;
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return 0;
}

struct link_drops {
	const char *dev;
	bool tx;
	uint64_t v;
};

static int read_link_drops(void *p)
{
	struct link_drops *d = p;
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		struct rtnl_link_stats *st = i->ifa_data;
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET || !st ||
		    strcmp(i->ifa_name, d->dev))
			continue;
		d->v = d->tx ? st->tx_dropped : st->rx_dropped;
	}
	freeifaddrs(ifa);
	return 0;
}

static void read_softnet(struct sys_snap *s)
{
	unsigned int a, b, c;
	char line[512];
	FILE *f = fopen("/proc/net/softnet_stat", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%x %x %x", &a, &b, &c) == 3) {
			s->softnet_processed += a;
			s->softnet_dropped += b;
			s->softnet_squeeze += c;
		}
	fclose(f);
}

/* The count sched:sched_switch would give: rq->nr_switches, summed over CPUs. */
static void read_ctxt(struct sys_snap *s)
{
	char line[256];
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "ctxt ", 5)) {
			s->ctxt = strtoull(line + 5, NULL, 10);
			break;
		}
	fclose(f);
}

/* The testbed XDP program's run time and runs, counted by the kernel while bpf_stats is on. */
static void xdp_stats(struct sweep *w, struct sys_snap *s)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (!bpf_obj_get_info_by_fd(bpf_program__fd(w->tb.xdp->progs.rxc_xdp), &info, &len)) {
		s->xdp_run_ns = info.run_time_ns;
		s->xdp_run_cnt = info.run_cnt;
	}
}

static void sys_snapshot(struct sweep *w, struct sys_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->t_ns = now_ns();
	s->sent = __atomic_load_n(&w->tx.sent, __ATOMIC_RELAXED);
	s->sent_bytes = __atomic_load_n(&w->tx.bytes, __ATOMIC_RELAXED);
	s->recv = __atomic_load_n(&w->rx.packets, __ATOMIC_RELAXED);
	s->recv_bytes = __atomic_load_n(&w->rx.bytes, __ATOMIC_RELAXED);
	s->recv_calls = __atomic_load_n(&w->rx.calls, __ATOMIC_RELAXED);
	s->thread_ns[RXS_TH_TX] = sender__cpu_ns(&w->tx);
	s->tx_bursts = __atomic_load_n(&w->tx.bursts, __ATOMIC_RELAXED);
	s->tx_sleeps = __atomic_load_n(&w->tx.sleeps, __ATOMIC_RELAXED);
	s->tx_late_ns = __atomic_load_n(&w->tx.late_ns, __ATOMIC_RELAXED);
	s->tx_send_ns = __atomic_load_n(&w->tx.send_ns, __ATOMIC_RELAXED);
	for (int k = 0; k < USHIST_BINS; k++) {
		s->tx_late_hist[k] = __atomic_load_n(&w->tx.late_hist[k], __ATOMIC_RELAXED);
		for (int c = 0; c < SLEEP_CLASSES; c++)
			s->tx_late_by_sleep[c][k] =
				__atomic_load_n(&w->tx.late_by_sleep[c][k], __ATOMIC_RELAXED);
	}
	s->thread_ns[RXS_TH_RX] = receiver__cpu_ns(&w->rx);
	s->rx_runs = task_sleeps(w->rx.tid);
	if (w->have_tb)
		s->thread_ns[RXS_TH_NAPI] = task_cpu_ns(w->tb.napi_pid);
	read_softnet(s);
	read_ctxt(s);
	if (w->have_tb) {
		struct link_drops tx = { .dev = w->tb.ns_tx, .tx = true };
		struct link_drops rx = { .dev = w->tb.ns_rx, .tx = false };
		testbed__in_ns(&w->tb, w->tb.nsfd_rx, read_snmp, s);
		testbed__in_ns(&w->tb, w->tb.nsfd_tx, read_link_drops, &tx);
		testbed__in_ns(&w->tb, w->tb.nsfd_rx, read_link_drops, &rx);
		s->ring_drops = tx.v + rx.v;
		if (w->iperf) {
			/* iperf3: the kernel's counts. Sent: Udp OutDatagrams of the tx namespace;
			 * received: Udp InDatagrams of the rx namespace; every datagram carries
			 * --size bytes; iperf3 (3.x) reads one datagram per recv() call */
			struct sys_snap t = { 0 };
			testbed__in_ns(&w->tb, w->tb.nsfd_tx, read_snmp, &t);
			s->sent = t.udp_out;
			s->sent_bytes = t.udp_out * (uint64_t)w->o->payload;
			s->recv = s->udp_in;
			s->recv_bytes = s->udp_in * (uint64_t)w->o->payload;
			s->recv_calls = s->udp_in;
		}
		for (int c = 0; c < 128; c++)
			s->xdp_packets += __atomic_load_n(&w->tb.xdp->bss->xdp_packets[c],
							  __ATOMIC_RELAXED);
		xdp_stats(w, s);
	} else {
		struct link_drops rx = { .dev = w->o->dev, .tx = false };
		read_snmp(s);
		read_link_drops(&rx);
		s->ring_drops = rx.v;
	}
}

/* The part of a step's window with kernel.bpf_stats on: 2.5 %, at least 50 ms (thousands of runs of
 * each per-packet program, a hundred samples). */
static uint64_t stats_slice_ns(uint64_t window_ns)
{
	uint64_t s = window_ns / 40;

	if (s < 50000000ull)
		s = 50000000ull;
	return s < window_ns ? s : window_ns;
}

/* Sleeps @ns in small steps; false if interrupted. */
static bool wait_ns(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (!rxc_stop) {
		uint64_t now = now_ns();
		if (now >= end)
			return true;
		usleep((useconds_t)((end - now) / 1000 > 50000 ? 50000 : (end - now) / 1000 + 1));
	}
	return false;
}

/* Lean probes: the softirq pair and napi_poll are attached in LEAN_SLICES slices of window /
 * LEAN_DUTY / LEAN_SLICES each (at least 10 ms), spread evenly over the window, bpf_stats on
 * during the first. Returns false if interrupted or if attaching failed (with a message). */
#define LEAN_SLICES 4
#define LEAN_DUTY 16

static bool lean_window(struct sweep *w, uint64_t window_ns)
{
	uint64_t t0 = now_ns(), each = window_ns / LEAN_DUTY / LEAN_SLICES, now;
	bool ok = true;
	int err;

	if (each < 10000000ull)
		each = 10000000ull;
	for (int k = 0; k < LEAN_SLICES && ok; k++) {
		uint64_t start = t0 + window_ns / LEAN_SLICES * (uint64_t)k;

		now = now_ns();
		if (start > now && !wait_ns(start - now))
			return false;
		if (k == 0)
			probes__stats(w->probes, true);
		err = probes__sirq_slice(w->probes, true);
		if (err) {
			fprintf(stderr, "rxcalibrate: attaching the softirq and napi_poll "
				"tracepoints: %s\n", strerror(-err));
			rxc_stop = 1;
			return false;
		}
		ok = wait_ns(each);
		probes__sirq_slice(w->probes, false);
		if (k == 0)
			probes__stats(w->probes, false);
	}
	now = now_ns();
	return ok && (now >= t0 + window_ns || wait_ns(t0 + window_ns - now));
}

static void delta_cpu(struct rxs_cpu *d, const struct rxs_cpu *a, const struct rxs_cpu *b)
{
	const __u64 *pa = (const __u64 *)a, *pb = (const __u64 *)b;
	__u64 *pd = (__u64 *)d;

	for (size_t i = 0; i < sizeof(*d) / sizeof(__u64); i++)
		pd[i] = pb[i] - pa[i];
}

/* The stage whose measured time a probe of family @ev inflates. */
static int ev_stage(int ev)
{
	switch (ev) {
	case RXS_EV_SOFTIRQ: return STAGE_SOFTIRQ;
	case RXS_EV_NAPI_POLL: return STAGE_POLL;
	case RXS_EV_GRO: return STAGE_GRO;
	case RXS_EV_NETRX: return STAGE_IP;
	case RXS_EV_KFREE: return STAGE_TRANSPORT;
	case RXS_EV_WAKING: return STAGE_TRANSPORT;	/* the socket enqueue's wake-up */
	case RXS_EV_SWITCH: return STAGE_CS;
	default: return -1;
	}
}

struct step_result {
	double cpu[STAGE_COUNT], raw[STAGE_COUNT], ovh[STAGE_COUNT];
	uint64_t calls[STAGE_COUNT], packets[STAGE_COUNT], samples[STAGE_COUNT];
	uint64_t head_samples[STAGE_COUNT];	/* of samples: in the stage's head (RXS_HEAD) */
	double softirq_ns, softirq_ns_all, probe_ns_total, probe_events, mean_event_ns;
	double ev_mean[RXS_EV_COUNT], ev_cnt[RXS_EV_COUNT];
	double unattr_sirq_ns;
	uint64_t slice_calls, slice_timed;	/* lean: our NET_RX in the timed slices */
	/* lean: the device's polls, their work and full polls in the slices (napi_poll attached),
	 * the window's frames (XDP count) and the polls estimated from them */
	uint64_t slice_polls, slice_work, slice_full, frames;
	bool polls_from_sirq;	/* lean: no work in the slices, polls = NET_RX calls */
	/* per anchored thread: exact CPU time in the window and ns per sample taken in it */
	double thread_ns[RXS_THREADS], thread_scale[RXS_THREADS];
	struct rxs_cpu d;
};

/* NET_RX time from the timed invocations (one in --net-rx-time-every): calls are exact, the timed
 * ones are a random subset, so their mean span times the calls is an unbiased estimate. */
static double sirq_estimate(uint64_t ns, uint64_t timed, uint64_t calls)
{
	return timed ? (double)ns * ((double)calls / (double)timed) : 0;
}

/* Probe run counts are the programs' own (ev[], whole window); their mean run time comes from
 * kernel.bpf_stats, which is on only during the stats slice of the window (see sweep_run).
 * Stage times from samples (docs/rxcalibrate.md, "How stage times are estimated"):
 *  - in our NET_RX: NET_RX time (exact, the timed estimate, or with --probes lean the anchor
 *    thread's share) x stage samples / samples there;
 *  - in an anchored thread outside NET_RX: the thread's exact CPU time x stage samples / all
 *    samples taken while it ran;
 *  - anywhere else: samples x the sample period.
 * Each estimator's total is first cleared of the sampler's own runs inside it. */
static void compute_stages(struct sweep *w, const struct probes_snap *a,
			   const struct probes_snap *b, const struct sys_snap *sa,
			   const struct sys_snap *sb, struct step_result *r)
{
	double mean[RXS_EV_COUNT] = { 0 }, period = probes__sample_period_ns(w->probes);
	double scale = 0, smp_sirq;
	struct rxs_cpu *d = &r->d;
	uint64_t ev_total = 0;
	double ns_total = 0;

	memset(r, 0, sizeof(*r));
	delta_cpu(d, &a->sum, &b->sum);
	for (int e = 0; e < RXS_EV_COUNT; e++) {
		uint64_t cnt = b->run_cnt[e] - a->run_cnt[e];
		uint64_t ns = b->run_ns[e] - a->run_ns[e];
		mean[e] = cnt ? (double)ns / (double)cnt : 0;
		r->ev_mean[e] = mean[e];
		r->ev_cnt[e] = (double)d->ev[e];
		ev_total += d->ev[e];
		ns_total += (double)d->ev[e] * mean[e];
	}
	r->probe_events = (double)ev_total;
	r->probe_ns_total = ns_total;
	r->mean_event_ns = ev_total ? ns_total / (double)ev_total : 0;
	/* Each anchored thread's exact CPU time in the window, and its weight per sample once the
	 * sampler's own runs are taken out (a thread whose time could not be read falls back to
	 * the sample period) */
	for (int t = 0; t < RXS_THREADS; t++) {
		double n = (double)d->samples_thread[t], smp = n * mean[RXS_EV_SAMPLE];

		r->thread_ns[t] = (double)(sb->thread_ns[t] - sa->thread_ns[t]);
		r->thread_scale[t] = period;
		if (n > 0 && r->thread_ns[t] > 0)
			r->thread_scale[t] = (r->thread_ns[t] > smp ? r->thread_ns[t] - smp : 0) /
					     n;
	}

	if (probes__lean(w->probes)) {
		/* Lean: NET_RX spans are timed only in the slices with the softirq pair attached;
		 * the window's calls are the kernel's (/proc/softirqs, NET_RX of the sender's CPU
		 * and of all CPUs), so NET_RX time = calls x the mean timed span. The slices' own
		 * counts are kept in r for -v. */
		r->slice_calls = d->sirq_calls;
		r->slice_timed = d->sirq_timed;
		d->sirq_calls = w->sirq_anchor >= 0 ? b->netrx_cpu - a->netrx_cpu : 0;
		d->sirq_calls_all = b->netrx_all - a->netrx_all;
		r->softirq_ns = d->sirq_timed ? (double)d->sirq_ns / (double)d->sirq_timed *
						(double)d->sirq_calls : 0;
		/* all devices: ours, plus the calls beyond those of the sender's CPU at the mean
		 * span of the timed invocations that were not ours (the sender's CPU column holds
		 * its non-ours calls too, already charged at our mean above: calls_all x the mean
		 * of all spans would come out below ours whenever those are the shorter ones) */
		{
			uint64_t tx = d->sirq_timed_all - d->sirq_timed;
			uint64_t cx = d->sirq_calls_all > d->sirq_calls ?
					      d->sirq_calls_all - d->sirq_calls : 0;
			double mx = tx ? (double)(d->sirq_ns_all - d->sirq_ns) / (double)tx :
				    d->sirq_timed_all ? (double)d->sirq_ns_all /
							(double)d->sirq_timed_all : 0;

			r->softirq_ns_all = r->softirq_ns + (double)cx * mx;
		}
		/* napi_poll runs only in the slices too: every frame the rx veth's NAPI polls
		 * passes the testbed's XDP program, whose count is the window's work; polls =
		 * frames / the mean work per poll in the slices (in softirq mode also the NET_RX
		 * calls: one poll each, -v shows both) */
		r->slice_polls = d->polls;
		r->slice_work = d->poll_work;
		r->slice_full = d->polls_full;
		r->frames = sb->xdp_packets - sa->xdp_packets;
		d->poll_work = r->frames;
		if (r->slice_work && r->slice_polls) {
			d->polls = (uint64_t)((double)r->frames * (double)r->slice_polls /
					      (double)r->slice_work + 0.5);
			d->polls_full = (uint64_t)((double)d->polls * (double)r->slice_full /
						   (double)r->slice_polls + 0.5);
		} else {	/* no frame in the slices: one per poll, as in softirq mode */
			r->polls_from_sirq = w->sirq_anchor >= 0;
			d->polls = r->polls_from_sirq ? d->sirq_calls : r->frames;
			d->polls_full = 0;
		}
	} else {
		r->softirq_ns = sirq_estimate(d->sirq_ns, d->sirq_timed, d->sirq_calls);
		r->softirq_ns_all = sirq_estimate(d->sirq_ns_all, d->sirq_timed_all,
						  d->sirq_calls_all);
	}

	/* Ratio estimator in our NET_RX: its time is known (tracepoints, or in lean mode the
	 * anchor's share); samples split it. */
	smp_sirq = (double)d->samples_sirq * mean[RXS_EV_SAMPLE];
	if (d->samples_sirq)
		scale = (r->softirq_ns > smp_sirq ? r->softirq_ns - smp_sirq : 0) /
			(double)d->samples_sirq;
	r->unattr_sirq_ns = (double)d->samples_unattr_sirq * scale;

	for (int s = 0; s < STAGE_COUNT; s++) {
		enum rxc_method m = w->ch[s].method;
		const struct rxs_stage *st = &d->st[s];

		r->samples[s] = st->samples_sirq;
		if (s != STAGE_SOFTIRQ) {
			r->samples[s] += st->samples_other;
			for (int t = 0; t < RXS_THREADS; t++)
				r->samples[s] += st->samples_thread[t];
		}
		/* the head's share of the stage's samples, which it counts in every context
		 * (another device's NET_RX too) */
		if (st->samples_head && r->samples[s])
			r->head_samples[s] = (uint64_t)((double)r->samples[s] *
				fmin(1, (double)st->samples_head /
					(double)(r->samples[s] + st->samples_xsirq)) + 0.5);
		if (m == RXC_SAMPLE) {
			/* outside NET_RX the softirq markers are other vectors (timers, RCU) */
			r->raw[s] = (double)st->samples_sirq * scale;
			if (s != STAGE_SOFTIRQ) {
				r->raw[s] += (double)st->samples_other * period;
				for (int t = 0; t < RXS_THREADS; t++)
					r->raw[s] += (double)st->samples_thread[t] *
						     r->thread_scale[t];
			}
			/* probe runs inside the stage's time; the softirq pair: about one run
			 * (the entry's tail and the exit's head) inside each of our NET_RX spans;
			 * lean in softirq mode: NET_RX time is the window's calls x the slices'
			 * mean span, which holds one napi_poll run per poll */
			for (int e = 0; e < RXS_EV_COUNT; e++) {
				double runs = e == RXS_EV_SOFTIRQ ? (double)d->sirq_calls
								  : (double)d->ev[e];
				if (e == RXS_EV_NAPI_POLL && probes__lean(w->probes) &&
				    w->sirq_anchor >= 0)
					runs = (double)d->polls;
				if (ev_stage(e) == s)
					r->ovh[s] += runs * mean[e];
			}
		} else if (m == RXC_FENTRY || m == RXC_KPROBE) {
			r->raw[s] = (double)st->ns;
			r->ovh[s] = 2.0 * (double)st->calls * mean[RXS_EV_FN];
		} else if (m == RXC_TP_BTF || m == RXC_RAW_TP) {
			r->raw[s] = (double)st->ns;	/* irq: tracepoint span */
		}
		if (r->ovh[s] > r->raw[s])
			r->ovh[s] = r->raw[s];
		r->cpu[s] = r->raw[s] - r->ovh[s];

		switch (s) {
		case STAGE_IRQ: r->calls[s] = d->irqs; break;
		case STAGE_SOFTIRQ: r->calls[s] = d->sirq_calls; break;
		case STAGE_SKB_PREP: r->calls[s] = d->polls - d->polls_full; break;
		case STAGE_APP: r->calls[s] = sb->recv_calls - sa->recv_calls; break;
		case STAGE_CS: r->calls[s] = sb->ctxt - sa->ctxt; break;
		case STAGE_FORWARD:
		case STAGE_TX: r->calls[s] = 0; break;
		default: r->calls[s] = d->polls; break;
		}
		if (m == RXC_FENTRY || m == RXC_KPROBE)
			r->calls[s] = st->calls;

		switch (s) {
		case STAGE_POLL:
		case STAGE_XDP:
		case STAGE_SKB_PREP: r->packets[s] = d->poll_work; break;
		/* without detail: every polled frame of the testbed's UDP flow passes each once */
		case STAGE_GRO: r->packets[s] = w->detail ? d->gro_pkts : d->poll_work; break;
		case STAGE_IP:
		case STAGE_IP_TO_TRANSPORT:
		case STAGE_TRANSPORT: r->packets[s] = w->detail ? d->netrx_pkts : d->poll_work; break;
		case STAGE_APP: r->packets[s] = sb->recv - sa->recv; break;
		default: r->packets[s] = 0; break;
		}
	}
}

static uint64_t kfree_drops(const struct rxs_cpu *d)
{
	uint64_t n = 0;

	for (int i = 0; i < RXS_DROP_SLOTS; i++)
		n += d->drops[i];
	return n;
}

/* The receiver's sleeps between snapshots @a and @b (0 where unknown). */
static double rx_sleeps(const struct sys_snap *a, const struct sys_snap *b)
{
	return a->rx_runs && b->rx_runs >= a->rx_runs ? (double)(b->rx_runs - a->rx_runs) : 0;
}

/* Timed wake-ups @w (the receiver's or the kthread's, a window delta): their number
 * (returned) and their latency from waking to running, mean and standard deviation in ns (0
 * without wake-ups), and its histogram as text (model/loghist.h; "" without). */
static double wake_latency(const struct rxs_wake *w, double *mean, double *sd, char *hist,
			   size_t len)
{
	double n = (double)w->n;
	uint64_t h[LOGHIST_SLOTS];

	*mean = n > 0 ? (double)w->ns / n : 0;
	/* sq is in (ns / 16)^2 */
	*sd = n > 0 ? sqrt(fmax(0, 256.0 * (double)w->sq / n - *mean * *mean)) : 0;
	_Static_assert(RXS_HIST_SLOTS == LOGHIST_SLOTS, "histogram slots");
	for (int k = 0; k < LOGHIST_SLOTS; k++)
		h[k] = w->hist[k];
	if (hist && loghist_format(h, hist, len) < 0)
		hist[0] = 0;
	return n;
}

/* The built-in sender's bursts, sleeps and its lateness after them between @a and @b. */
static void tx_wakes(const struct sys_snap *a, const struct sys_snap *b, struct meas_row *m)
{
	uint64_t h[USHIST_BINS];

	m->tx_bursts = (double)(b->tx_bursts - a->tx_bursts);
	m->tx_sleeps = (double)(b->tx_sleeps - a->tx_sleeps);
	m->tx_send_ns = (double)(b->tx_send_ns - a->tx_send_ns);
	m->tx_wake_latency_ns = m->tx_sleeps > 0 ?
					(double)(b->tx_late_ns - a->tx_late_ns) / m->tx_sleeps : 0;
	for (int k = 0; k < USHIST_BINS; k++)
		h[k] = b->tx_late_hist[k] - a->tx_late_hist[k];
	if (ushist_format(h, m->tx_wake_hist, sizeof(m->tx_wake_hist)) < 0)
		m->tx_wake_hist[0] = 0;
	/* by the sleep's length: the classes' histograms joined by '|' ("" without a sleep) */
	m->tx_wake_by_sleep[0] = 0;
	if (m->tx_sleeps > 0) {
		uint64_t hc[SLEEP_CLASSES][USHIST_BINS];

		for (int c = 0; c < SLEEP_CLASSES; c++)
			for (int k = 0; k < USHIST_BINS; k++)
				hc[c][k] = b->tx_late_by_sleep[c][k] - a->tx_late_by_sleep[c][k];
		ushist_format_classes(hc, m->tx_wake_by_sleep, sizeof(m->tx_wake_by_sleep));
	}
}

/* The CPU whose NET_RX or NAPI kthread runs the receive path. */
static int rx_path_cpu(const struct run_opts *o)
{
	return o->napi == NAPI_THREADED ? o->napi_cpu : o->tx_cpu;
}

static int add_rows(struct sweep *w, int step, double rate, const struct sys_snap *a,
		    const struct sys_snap *b, const struct step_result *r)
{
	double dur = (double)(b->t_ns - a->t_ns) / 1e9;
	struct meas_row *rows = realloc(w->rows, (w->nrows + STAGE_COUNT) * sizeof(*rows));

	if (!rows)
		return -ENOMEM;
	w->rows = rows;
	for (int s = 0; s < STAGE_COUNT; s++) {
		struct meas_row *m = &w->rows[w->nrows++];
		memset(m, 0, sizeof(*m));
		m->step = step;
		m->rate_requested_bps = rate;
		m->offered_pps = (double)(b->sent - a->sent) / dur;
		m->offered_bps = (double)(b->sent_bytes - a->sent_bytes) * 8 / dur;
		m->received_pps = (double)(b->recv - a->recv) / dur;
		m->received_bps = (double)(b->recv_bytes - a->recv_bytes) * 8 / dur;
		m->received_packets = b->recv - a->recv;
		m->udp_indatagrams = b->udp_in - a->udp_in;
		if (!w->have_tb) {	/* external traffic: what reached the stack */
			m->offered_pps = r ? (double)r->packets[STAGE_IP] / dur : 0;
			m->received_pps = (double)(b->udp_in - a->udp_in) / dur;
			m->received_packets = b->udp_in - a->udp_in;
		}
		m->duration_s = dur;
		m->napi_mode = w->have_tb ? napi_mode_name(w->o->napi) : "device";
		m->rx_cpu = w->have_tb ? w->o->rx_cpu : -1;
		m->napi_cpu = w->have_tb ? rx_path_cpu(w->o) : -1;
		m->variant = tb_variant_name(w->o->variant);
		m->payload_bytes = w->o->payload;
		m->stage = stage_name(s);
		m->method = w->probes ? method_name(w->ch[s].method) : "none";
		m->unit = stage_unit_name(stage_table[s].unit);
		m->drops_ring = b->ring_drops - a->ring_drops;
		m->drops_backlog = b->softnet_dropped - a->softnet_dropped;
		m->drops_socket = b->udp_rcvbuf - a->udp_rcvbuf;
		m->tx_thread_ns = (double)(b->thread_ns[RXS_TH_TX] - a->thread_ns[RXS_TH_TX]);
		m->rx_thread_ns = (double)(b->thread_ns[RXS_TH_RX] - a->thread_ns[RXS_TH_RX]);
		m->napi_thread_ns = (double)(b->thread_ns[RXS_TH_NAPI] - a->thread_ns[RXS_TH_NAPI]);
		m->rx_thread_runs = rx_sleeps(a, b);
		tx_wakes(a, b, m);
		if (r) {
			m->calls = r->calls[s];
			m->cpu_ns = r->cpu[s];
			m->cpu_ns_raw = r->raw[s];
			m->probe_overhead_ns = r->ovh[s];
			m->packets = r->packets[s];
			m->polls = r->d.polls;
			m->samples = r->samples[s];
			m->head_samples = r->head_samples[s];
			m->net_rx_softirq_ns = r->softirq_ns;
			m->net_rx_softirq_ns_all = r->softirq_ns_all;
			m->drops_kfree = kfree_drops(&r->d);
			m->probe_ns_per_event = r->mean_event_ns;
			m->rx_wakeups = wake_latency(&r->d.wake[RXS_WK_RX], &m->rx_wake_latency_ns,
						     &m->rx_wake_latency_sd_ns, m->rx_wake_hist,
						     sizeof(m->rx_wake_hist));
			m->napi_wakeups = wake_latency(&r->d.wake[RXS_WK_NAPI],
						       &m->napi_wake_latency_ns,
						       &m->napi_wake_latency_sd_ns, m->napi_wake_hist,
						       sizeof(m->napi_wake_hist));
		}
	}
	return 0;
}

/* measurements.csv, with the --inferred columns filled in (0 without --inferred). */
static int write_csv(struct sweep *w, const char *path)
{
	for (size_t i = 0; i < w->nrows; i++) {
		struct meas_row *m = &w->rows[i];
		int k = m->step - 1;

		if (w->o->inferred && k >= 0 && k < RXC_MAX_RATES) {
			m->inferred_ns_per_s = w->inf_ns[k];
			m->inferred_iter_per_s = w->inf_rate[k];
			m->inferred_baseline_iter_per_s = w->inf_base;
			m->inferred_cpu_taken_ns_per_s = w->inf_taken[k];
			m->inferred_other_ns_per_s = w->inf_other[k] > 0 ? w->inf_other[k] : 0;
		}
	}
	return meas_csv_write(path, w->rows, w->nrows);
}

/* The eBPF side of the --inferred comparison: the receive-path stages (stage_table[].per_packet,
 * the summary's "total ip proc"), ns per second of the window. */
static double ebpf_total_ns_per_s(const struct step_result *r, double dur)
{
	double t = 0;

	for (int s = 0; s < STAGE_COUNT; s++)
		if (stage_table[s].per_packet)
			t += r->cpu[s];
	return dur > 0 ? t / dur : 0;
}

static void print_inferred(struct sweep *w, int k, double dur, const struct step_result *r)
{
	double ebpf = r ? ebpf_total_ns_per_s(r, dur) : 0;
	char ratio[32] = "-";

	if (!w->o->inferred)
		return;
	if (ebpf > 0)
		snprintf(ratio, sizeof(ratio), "%.2f", w->inf_ns[k] / ebpf);
	fprintf(stderr, "  inferred (CPU %d): workload %.4g %s/s vs %.4g without traffic: "
		"%.2f ms/s stolen; eBPF total ip proc %.2f ms/s; ratio %s\n",
		w->inf.cpu, w->inf_rate[k], w->o->inferred_cmd ? "ops" : "iter", w->inf_base,
		w->inf_ns[k] / 1e6, ebpf / 1e6, ratio);
	if (!w->o->inferred_cmd)
		fprintf(stderr, "  inferred split: the workload got %.2f ms/s less CPU (schedstat); "
			"the CPU it kept ran at %.1f %% of its baseline speed\n",
			w->inf_taken[k] / 1e6, 100 * w->inf_speed[k]);
	if (w->inf_other[k] >= 0)
		fprintf(stderr, "  other tasks on CPU %d: %.2f ms/s (neither the workload nor the "
			"testbed's threads), in the figures above\n", w->inf.cpu,
			w->inf_other[k] / 1e6);
}

static void print_step(struct sweep *w, int step, double rate, const struct sys_snap *a,
		       const struct sys_snap *b, const struct step_result *r)
{
	double dur = (double)(b->t_ns - a->t_ns) / 1e9, metric[METRIC_COUNT] = { 0 }, path;
	char r1[16], r2[16], r3[16];

	fprintf(stderr,
		"step %d/%d: requested %sbit/s, sent %sbit/s (%s pkt/s), received %.0f pkt/s, "
		"drops ring %llu backlog %llu socket %llu\n",
		step, w->o->nrates ? w->o->nrates : 1, format_si(rate, r1, sizeof(r1)),
		format_si((double)(b->sent_bytes - a->sent_bytes) * 8 / dur, r2, sizeof(r2)),
		format_si((double)(b->sent - a->sent) / dur, r3, sizeof(r3)),
		(double)(b->recv - a->recv) / dur,
		(unsigned long long)(b->ring_drops - a->ring_drops),
		(unsigned long long)(b->softnet_dropped - a->softnet_dropped),
		(unsigned long long)(b->udp_rcvbuf - a->udp_rcvbuf));
	if (w->o->quiet)
		return;
	if (b->sent > a->sent || b->thread_ns[RXS_TH_RX] > a->thread_ns[RXS_TH_RX]) {
		double th[RXS_THREADS];

		for (int t = 0; t < RXS_THREADS; t++)
			th[t] = (double)(b->thread_ns[t] - a->thread_ns[t]);
		fprintf(stderr, "  threads: sender %.1f ms/s (%.0f ns per frame sent), "
			"receiver %.1f ms/s, NAPI kthread %.1f ms/s\n", th[RXS_TH_TX] / dur / 1e6,
			b->sent > a->sent ? th[RXS_TH_TX] / (double)(b->sent - a->sent) : 0.0,
			th[RXS_TH_RX] / dur / 1e6, th[RXS_TH_NAPI] / dur / 1e6);
	}
	if (b->tx_bursts > a->tx_bursts) {
		uint64_t n = b->tx_bursts - a->tx_bursts, z = b->tx_sleeps - a->tx_sleeps;

		fprintf(stderr, "  sender: %.0f bursts/s, asleep before %.1f %% of them, running "
			"%.1f us after its time on average\n", (double)n / dur, 100.0 * (double)z / (double)n,
			z ? (double)(b->tx_late_ns - a->tx_late_ns) / (double)z / 1e3 : 0.0);
	}
	if (!r)
		return;
	for (int t = 0; t < RXS_WAKED; t++) {
		const struct rxs_wake *wk = &r->d.wake[t];
		double mean, sd, n, q[3] = { 0.5, 0.9, 0.99 }, under[3];

		if (!wk->n)
			continue;
		n = wake_latency(wk, &mean, &sd, NULL, 0);
		/* quantiles as the upper edge of the log2 slot that reaches them */
		for (int k = 0; k < 3; k++) {
			double acc = 0;
			int slot = 0;

			while (slot < RXS_HIST_SLOTS - 1 && (acc += (double)wk->hist[slot]) < q[k] * n)
				slot++;
			under[k] = ldexp(1, slot + 1) / 1e3;
		}
		if (t == RXS_WK_RX)
			fprintf(stderr, "  receiver: %.0f wake-ups/s (%.0f sleeps/s), ", n / dur,
				rx_sleeps(a, b) / dur);
		else
			fprintf(stderr, "  NAPI kthread: %.0f wake-ups/s, ", n / dur);
		fprintf(stderr, "%.1f us from waking to running (sd %.1f us; half under %.0f us, "
			"90 %% under %.0f, 99 %% under %.0f)\n", mean / 1e3, sd / 1e3, under[0],
			under[1], under[2]);
	}
	for (int s = 0; s < STAGE_COUNT; s++)
		if (stage_table[s].metric != METRIC_NONE)
			metric[stage_table[s].metric] += r->cpu[s];
	fprintf(stderr, "  NET_RX softirq %.1f ms/s in %llu calls that polled the device "
		"(%llu also another); all devices %.1f ms/s in %llu calls; polls %llu "
		"(%.1f pkt/poll)\n",
		r->softirq_ns / dur / 1e6, (unsigned long long)r->d.sirq_calls,
		(unsigned long long)r->d.sirq_calls_mixed, r->softirq_ns_all / dur / 1e6,
		(unsigned long long)r->d.sirq_calls_all, (unsigned long long)r->d.polls,
		r->d.polls ? (double)r->d.poll_work / (double)r->d.polls : 0.0);
	for (int m = 0; m < METRIC_COUNT; m++)
		fprintf(stderr, "  %-26s %8.2f ms/s\n", paper_metric_names[m], metric[m] / dur / 1e6);
	/* How much the probes lower the achievable rate, from this step: their per-frame programs
	 * add p ns to the path's c ns per frame, the sampler takes f of the CPU whatever the rate,
	 * so a CPU-bound path runs at (1 - f) / (c + p) instead of 1 / c. c is this step's, which
	 * at a rate below saturation holds costs (wake-ups) that saturation does not, and the
	 * dispatch around each program run is not in bpf_stats: a lower bound, which the
	 * benchmark measures at saturation (bench.md). */
	path = ebpf_total_ns_per_s(r, dur) * dur;
	if (r->d.poll_work && path > 0) {
		double n = (double)r->d.poll_work, fixed = r->ev_cnt[RXS_EV_SAMPLE] *
			r->ev_mean[RXS_EV_SAMPLE], p = (r->probe_ns_total - fixed) / n, c = path / n;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		double f = fixed / dur / 1e9 / (double)(ncpu > 0 ? ncpu : 1);	/* per CPU */

		fprintf(stderr, "  probes: %.0f events/s, %.1f ns each, %.2f%% of one CPU; "
			"%.1f ns per frame against the path's %.1f, sampler %.2f%% of each CPU: "
			"achievable rate lowered by at least %.1f %%\n", r->probe_events / dur,
			r->mean_event_ns, r->probe_ns_total / dur / 1e7, p, c, 100 * f,
			100 * (1 - (1 - f) * c / (c + p)));
	} else {
		fprintf(stderr, "  probes: %.0f events/s, %.1f ns each, %.2f%% of one CPU\n",
			r->probe_events / dur, r->mean_event_ns, r->probe_ns_total / dur / 1e7);
	}
	if (w->o->verbose && probes__lean(w->probes)) {
		fprintf(stderr, "    lean: NET_RX calls of CPU %d (%llu) and of all CPUs (%llu) from "
			"/proc/softirqs x mean span of %llu timed in the slices (%llu ours); "
			"%llu samples with a full stack and no net_rx_action\n", w->o->tx_cpu,
			(unsigned long long)r->d.sirq_calls, (unsigned long long)r->d.sirq_calls_all,
			(unsigned long long)r->slice_timed, (unsigned long long)r->slice_calls,
			(unsigned long long)r->d.samples_trunc);
		fprintf(stderr, "    lean: frames %llu (XDP program); napi_poll in the slices: %llu "
			"polls, %llu frames (%.3f per poll), %llu full; polls %llu (%s), NET_RX calls "
			"of CPU %d %llu\n", (unsigned long long)r->frames,
			(unsigned long long)r->slice_polls, (unsigned long long)r->slice_work,
			r->slice_polls ? (double)r->slice_work / (double)r->slice_polls : 0.0,
			(unsigned long long)r->slice_full, (unsigned long long)r->d.polls,
			r->polls_from_sirq ? "= NET_RX calls, no frame in the slices"
					   : "frames / work per poll", w->o->tx_cpu,
			(unsigned long long)r->d.sirq_calls);
	}
	if (w->o->verbose && w->have_tb && w->o->napi == NAPI_SOFTIRQ &&
	    r->d.samples_thread[RXS_TH_TX]) {
		/* an estimator without any timed span: our NET_RX runs on the sender's back, so
		 * its time would be the sender's CPU time x its share of samples in NET_RX; biased
		 * where the sender sleeps (docs/rxcalibrate.md), shown beside the timed figure */
		fprintf(stderr, "    NET_RX by the sender anchor: %.1f ms/s (sender %.1f ms/s x "
			"%llu/%llu samples), timed %.1f ms/s\n",
			r->thread_ns[RXS_TH_TX] * (double)r->d.samples_sirq /
				(double)r->d.samples_thread[RXS_TH_TX] / dur / 1e6,
			r->thread_ns[RXS_TH_TX] / dur / 1e6, (unsigned long long)r->d.samples_sirq,
			(unsigned long long)r->d.samples_thread[RXS_TH_TX], r->softirq_ns / dur / 1e6);
	}
	if (w->o->verbose && !probes__lean(w->probes)) {
		fprintf(stderr, "    NET_RX timed: %llu of our %llu invocations, "
			"%llu of all %llu\n",
			(unsigned long long)r->d.sirq_timed, (unsigned long long)r->d.sirq_calls,
			(unsigned long long)r->d.sirq_timed_all,
			(unsigned long long)r->d.sirq_calls_all);
	}
	if (w->o->verbose) {
		static const char *const ev_names[RXS_EV_COUNT] = {
			"softirq", "irq", "napi_poll", "gro", "netif_receive_skb", "kfree_skb",
			"sampler", "fn spans", "sched_waking", "sched_switch" };
		for (int e = 0; e < RXS_EV_COUNT; e++)
			if (r->ev_cnt[e] > 0)
				fprintf(stderr, "    %-18s %10.0f runs/s %8.1f ns/run\n",
					ev_names[e], r->ev_cnt[e] / dur, r->ev_mean[e]);
		if (b->xdp_run_cnt > a->xdp_run_cnt)
			fprintf(stderr, "    %-18s %10.0f runs/s %8.1f ns/run (testbed, not a probe)\n",
				"xdp", (double)(b->xdp_packets - a->xdp_packets) / dur,
				(double)(b->xdp_run_ns - a->xdp_run_ns) /
					(double)(b->xdp_run_cnt - a->xdp_run_cnt));
		fprintf(stderr, "    samples %llu (%llu in our NET_RX, %llu unattributed there; "
			"%llu in any NET_RX; %llu/%llu/%llu while the NAPI kthread/receiver/"
			"sender ran), napi work %llu, gro pkts %llu, netif_receive_skb pkts %llu%s, "
			"xdp pkts %llu\n",
			(unsigned long long)r->d.samples, (unsigned long long)r->d.samples_sirq,
			(unsigned long long)r->d.samples_unattr_sirq,
			(unsigned long long)r->d.samples_sirq_all,
			(unsigned long long)r->d.samples_thread[RXS_TH_NAPI],
			(unsigned long long)r->d.samples_thread[RXS_TH_RX],
			(unsigned long long)r->d.samples_thread[RXS_TH_TX],
			(unsigned long long)r->d.poll_work,
			(unsigned long long)r->packets[STAGE_GRO],
			(unsigned long long)r->packets[STAGE_IP],
			w->detail ? "" : " (= napi work; --detail counts them)",
			(unsigned long long)(b->xdp_packets - a->xdp_packets));
		fprintf(stderr, "    samples per stage (our NET_RX/other NET_RX/kthread/receiver/"
			"sender/elsewhere):");
		for (int s = 0; s < STAGE_COUNT; s++) {
			const struct rxs_stage *st = &r->d.st[s];
			if (r->samples[s] || st->samples_xsirq)
				fprintf(stderr, " %s %llu/%llu/%llu/%llu/%llu/%llu", stage_name(s),
					(unsigned long long)st->samples_sirq,
					(unsigned long long)st->samples_xsirq,
					(unsigned long long)st->samples_thread[RXS_TH_NAPI],
					(unsigned long long)st->samples_thread[RXS_TH_RX],
					(unsigned long long)st->samples_thread[RXS_TH_TX],
					(unsigned long long)st->samples_other);
		}
		fprintf(stderr, "\n");
	}
}

/* A generator more than 2 % short of its rate (issue 3's tolerance) has met this machine's limit:
 * said at the step, and with the highest rate reached at the end. The step is kept, measured at
 * the rate it reached (offered_bps, which fit and validate use). */
static void note_rate(struct sweep *w, int step, double rate)
{
	double got = w->nrows ? w->rows[w->nrows - 1].offered_bps : 0;
	char r1[16], r2[16];

	if (got > w->max_offered) {
		w->max_offered = got;
		w->max_step = step;
	}
	if (!w->have_tb || rate <= 0 || got >= 0.98 * rate)
		return;
	w->nshort++;
	fprintf(stderr, "rxcalibrate: step %d: the %s reached %sbit/s of the %sbit/s requested "
		"(%.1f %%); step kept, measured at the rate reached\n", step,
		w->iperf ? "iperf3 client" : "built-in sender", format_si(got, r1, sizeof(r1)),
		format_si(rate, r2, sizeof(r2)), 100 * got / rate);
}

static void print_summary(struct sweep *w)
{
	size_t per = STAGE_COUNT;

	if (!w->nrows || w->o->quiet)
		return;
	printf("\n%-5s %10s %10s %10s", "step", "offered", "received", "softirq");
	for (int m = 0; m < METRIC_COUNT; m++)
		printf(" %14.14s", paper_metric_names[m]);
	printf(" %14s", "total ip proc");
	if (w->o->inferred)
		printf(" %10s %6s", "inferred", "ratio");
	if (w->o->inferred && !w->o->inferred_cmd)
		printf(" %10s %6s", "cpu taken", "speed");
	printf("\n");
	printf("%-5s %10s %10s %10s", "", "Mbit/s", "pkt/s", "ms/s");
	for (int m = 0; m <= METRIC_COUNT; m++)
		printf(" %14s", "ms/s | ns/pkt");
	if (w->o->inferred)
		printf(" %10s %6s", "ms/s", "inf/ip");
	if (w->o->inferred && !w->o->inferred_cmd)
		printf(" %10s %6s", "ms/s", "%");
	printf("\n");
	for (size_t i = 0; i + per <= w->nrows; i += per) {
		const struct meas_row *r = &w->rows[i];
		double metric[METRIC_COUNT] = { 0 }, total = 0, dur = r->duration_s;
		uint64_t pk = w->rows[i + STAGE_IP].packets;
		char buf[32];

		for (size_t s = 0; s < per; s++) {
			if (stage_table[s].metric != METRIC_NONE)
				metric[stage_table[s].metric] += w->rows[i + s].cpu_ns;
			if (stage_table[s].per_packet)
				total += w->rows[i + s].cpu_ns;
		}
		printf("%-5d %10.1f %10.0f %10.2f", r->step, r->offered_bps / 1e6, r->received_pps,
		       r->net_rx_softirq_ns / dur / 1e6);
		for (int m = 0; m <= METRIC_COUNT; m++) {
			double v = m < METRIC_COUNT ? metric[m] : total;
			snprintf(buf, sizeof(buf), "%.2f|%.0f", v / dur / 1e6,
				 pk ? v / (double)pk : 0.0);
			printf(" %14s", buf);
		}
		if (w->o->inferred) {
			int k = r->step - 1;
			printf(" %10.2f", w->inf_ns[k] / 1e6);
			if (total > 0)
				printf(" %6.2f", w->inf_ns[k] / (total / dur));
			else
				printf(" %6s", "-");
			if (!w->o->inferred_cmd)
				printf(" %10.2f %6.1f", w->inf_taken[k] / 1e6, 100 * w->inf_speed[k]);
		}
		printf("\n");
	}
	printf("methods:");
	for (int s = 0; s < STAGE_COUNT; s++)
		printf(" %s=%s", stage_name(s), method_name(w->ch[s].method));
	printf("\n");
	if (w->o->inferred)
		printf("inferred: CPU %d, %s, %.4g %s/s without traffic; inf/ip = inferred / total ip "
		       "proc (docs/rxcalibrate.md: what the ratio means)%s\n", w->inf.cpu,
		       w->o->inferred_cmd ? w->o->inferred_cmd : "built-in hash loop", w->inf_base,
		       w->o->inferred_cmd ? "ops" : "iter",
		       w->o->inferred_cmd ? "" : "; cpu taken = CPU the workload did not get "
		       "(schedstat), speed = its iterations per CPU-second it kept, % of baseline");
}

static void print_drop_reasons(struct sweep *w, const struct step_result *r)
{
	int shown = 0;

	if (!w->o->verbose)
		return;
	for (int i = 0; i < RXS_DROP_SLOTS; i++) {
		if (!r->d.drops[i])
			continue;
		fprintf(stderr, "%s %s=%llu", shown++ ? "," : "  kfree_skb:",
			w->drop_names[i] ? w->drop_names[i] : "?", (unsigned long long)r->d.drops[i]);
	}
	if (shown)
		fprintf(stderr, "\n");
}

static int setup(struct sweep *w)
{
	const struct run_opts *o = w->o;
	struct probes_cfg pc = { 0 };
	struct rxc_dev dev;
	int err, fd;

	if (o->dev) {
		err = dev_read(o->dev, &dev);
		if (err) {
			fprintf(stderr, "rxcalibrate: --dev: no interface '%s'\n", o->dev);
			return 2;
		}
	} else {
		char verr[256];

		if (testbed_variant_check(o->variant, verr, sizeof(verr))) {
			fprintf(stderr, "rxcalibrate: %s\n", verr);
			return 2;
		}
	}
	err = features_detect(&w->feat, o->dev ? (dev.poll_fn[0] ? dev.poll_fn : NULL) : "veth_poll",
			      o->verbose);
	if (err == -EPERM) {
		fprintf(stderr, "rxcalibrate: /proc/kallsyms shows no addresses: run as root\n");
		return 2;
	}
	if (!o->no_probes && !w->feat.bpf) {
		fprintf(stderr, "rxcalibrate: this kernel refuses BPF programs (%s); "
			"use --no-probes to only drive traffic\n", w->feat.why_tp);
		return 2;
	}
	if (o->dev)
		w->feat.dev_irqs = dev.nirqs > 0;

	if (!o->dev) {
		struct testbed_opts to = { .threaded = o->napi == NAPI_THREADED,
					   .napi_cpu = o->napi_cpu, .variant = o->variant,
					   .verbose = o->verbose };
		err = testbed__create(&w->tb, &to);
		if (err && rxc_stop)
			return 0;	/* a signal to our process group killed an ip command */
		if (err) {
			fprintf(stderr, "rxcalibrate: building the testbed (%s): %s\n",
				w->tb.step ? w->tb.step : "setup", strerror(-err));
			return 1;
		}
		w->have_tb = true;
		fprintf(stderr, "testbed: variant %s: %s\n", tb_variant_name(o->variant),
			tb_variant_description(o->variant));
		w->feat.xdp_sym = w->tb.xdp_sym[0] != 0;
		rxc_fault_pause("setup");
		if (rxc_stop)
			return 0;	/* the sweep sees rxc_stop: teardown, 128 + signal */
	}
	if (!o->dev && !w->iperf) {
		fd = testbed__socket(&w->tb, w->tb.nsfd_rx, SOCK_DGRAM);
		if (fd < 0 || (err = receiver__start(&w->rx, fd, o->rx_cpu, o->rcvbuf))) {
			if (fd >= 0)
				close(fd);
			fprintf(stderr, "rxcalibrate: receiver: %s\n",
				strerror(fd < 0 ? -fd : -err));
			return 1;
		}
		fd = testbed__socket(&w->tb, w->tb.nsfd_tx, SOCK_DGRAM);
		if (fd < 0 || (err = sender__start(&w->tx, fd, o->tx_cpu, o->payload))) {
			if (fd >= 0)
				close(fd);
			fprintf(stderr, "rxcalibrate: sender: %s\n", strerror(fd < 0 ? -fd : -err));
			return 1;
		}
	}
	methods_select(&w->feat, w->ch);
	if (o->no_probes)
		return 0;

	if (w->have_tb) {
		pc.rx_ifindex = w->tb.rx_ifindex;
		pc.rx_netns_ino = w->tb.rx_netns_ino;
		pc.xdp_sym = w->tb.xdp_sym;
	} else {
		struct stat st;
		pc.rx_ifindex = (int)if_nametoindex(o->dev);
		if (stat("/proc/self/ns/net", &st) == 0)
			pc.rx_netns_ino = (unsigned int)st.st_ino;
		pc.extra_poll_fn = dev.poll_fn[0] ? dev.poll_fn : NULL;
		for (int i = 0; i < dev.nirqs && i < RXS_MAX_IRQS; i++)
			pc.irqs[pc.nirqs++] = dev.irqs[i];
	}
	/* Detail mode (per-packet GRO and netif_receive_skb tracepoints): --detail, and always
	 * with --dev, whose traffic need not be one UDP frame per packet up the stack. */
	w->detail = o->dev || o->detail;
	pc.detail = w->detail;
	pc.sample_hz = o->sample_hz;
	if (o->sampler == SAMPLER_TICK) {	/* the tick's rate is this kernel's HZ */
		struct rxc_host host;

		pc.tick_hz = host_read(&host) == 0 ? host.hz : 0;
	}
	pc.sirq_time_shift = o->net_rx_time_every > 1 ?
				     __builtin_ctz((unsigned int)o->net_rx_time_every) : 0;
	/* lean: in softirq mode the device's NET_RX runs on the sender's back (veth_xmit schedules
	 * the rx veth's NAPI on the sending CPU); in threaded mode no NET_RX polls it */
	w->sirq_anchor = -1;
	pc.lean = o->probes == PROBES_LEAN;
	pc.sirq_anchor = RXS_THREADS;
	pc.sirq_cpu = -1;
	if (pc.lean && w->have_tb && o->napi == NAPI_SOFTIRQ) {
		w->sirq_anchor = RXS_TH_TX;
		pc.sirq_anchor = RXS_TH_TX;
		pc.sirq_cpu = o->tx_cpu;
	}
	pc.verbose = o->verbose;
	err = probes__open_attach(&w->probes, &w->feat, w->ch, &pc);
	if (err && rxc_stop)
		return 0;
	if (err) {
		fprintf(stderr, "rxcalibrate: loading the probes: %s%s\n",
			probes__why()[0] ? probes__why() : strerror(-err),
			o->verbose ? "" : " (-v shows libbpf's messages)");
		return 1;
	}
	drop_reason_names(w->drop_names);
	if (o->verbose) {
		for (int s = 0; s < STAGE_COUNT; s++)
			fprintf(stderr, "  %-16s %-10s %s\n", stage_name(s),
				method_name(w->ch[s].method), w->ch[s].why);
		if (probes__sample_period_ns(w->probes) > 0)
			fprintf(stderr, "  stack sampler    %s, %d Hz per busy CPU\n",
				probes__tick(w->probes) ? "the scheduler tick" :
							  "cpu-clock perf events",
				1000000000 / probes__sample_period_ns(w->probes));
	}
	return 0;
}

/* After the sender has stopped: the variant's own count of the packets it dropped over the whole run
 * (warm-ups included) against the packets sent, so a rule that let packets through shows. */
static void print_variant_drops(struct sweep *w)
{
	static const char *const by[TB_VARIANT_COUNT] = {
		[TB_XDP_DROP] = "the XDP program (XDP_DROP verdicts)",
		[TB_NETFILTER_DROP] = "the nftables INPUT rule (its counter)",
		[TB_TC_DROP] = "the tc ingress filter (TC_ACT_SHOT verdicts)",
	};
	uint64_t n, sent = __atomic_load_n(&w->tx.sent, __ATOMIC_RELAXED);
	int err;

	if (!w->have_tb || w->o->variant == TB_BASELINE || rxc_stop)
		return;
	usleep(20000);	/* frames still in the veth ring reach the rule */
	err = testbed__variant_drops(&w->tb, &n);
	if (err) {
		fprintf(stderr, "variant %s: cannot read the drop count: %s\n",
			tb_variant_name(w->o->variant), strerror(-err));
		return;
	}
	fprintf(stderr, "variant %s: %llu packets of the test flow dropped by %s over the run, "
		"%llu sent\n", tb_variant_name(w->o->variant), (unsigned long long)n,
		by[w->o->variant], (unsigned long long)sent);
}

/* The threads whose exact CPU time anchors the samples taken in them: the threaded NAPI kthread,
 * the built-in receiver and sender (they publish their tid as they start). */
static void anchor_threads(struct sweep *w)
{
	for (int i = 0; i < 200 && ((w->rx.started && !w->rx.tid) || (w->tx.started && !w->tx.tid));
	     i++)
		usleep(1000);
	if (!w->probes)
		return;
	if (w->have_tb)
		probes__set_thread(w->probes, RXS_TH_NAPI, w->tb.napi_pid);
	probes__set_thread(w->probes, RXS_TH_RX, w->rx.started ? w->rx.tid : 0);
	probes__set_thread(w->probes, RXS_TH_TX, w->tx.started ? w->tx.tid : 0);
	probes__set_workload(w->probes, w->inf.active && !w->o->inferred_cmd ? w->inf.pid : 0);
}

static void teardown(struct sweep *w)
{
	inferred__stop(&w->inf);
	if (w->iperf)
		iperf__stop(&w->ip);	/* before the namespaces go */
	sender__stop(&w->tx);
	print_variant_drops(w);
	receiver__stop(&w->rx);
	if (w->tx.fd > 0)
		close(w->tx.fd);
	if (w->rx.fd > 0)
		close(w->rx.fd);
	probes__destroy(w->probes);
	w->probes = NULL;
	if (w->have_tb)
		testbed__destroy(&w->tb);
	w->have_tb = false;
}

/* The workload's throughput without traffic: after setup (probes attached, sender idle), a warm-up
 * then one window of --duration (built-in) or one run of the command. 0 or an exit status. */
static int inferred_baseline(struct sweep *w)
{
	const struct run_opts *o = w->o;
	char err[512];
	int r;

	fprintf(stderr, "inferred: baseline of the %s on CPU %d without traffic (%.1f s)%s\n",
		o->inferred_cmd ? "command" : "built-in workload", w->inf.cpu,
		(double)(o->warmup_ns + o->duration_ns) / 1e9,
		o->dev ? "; no traffic must reach the device now" : "");
	if (!o->inferred_cmd) {
		uint64_t i0, i1, t0, t1;

		inferred__go(&w->inf);
		if (!wait_ns(o->warmup_ns))
			return 0;
		i0 = inferred__iters(&w->inf);
		t0 = now_ns();
		if (!wait_ns(o->duration_ns))
			return 0;
		i1 = inferred__iters(&w->inf);
		t1 = now_ns();
		if (!inferred__alive(&w->inf, err, sizeof(err))) {
			fprintf(stderr, "rxcalibrate: %s\n", err);
			return 1;
		}
		w->inf_base = (double)(i1 - i0) / ((double)(t1 - t0) / 1e9);
	} else {
		if (!wait_ns(o->warmup_ns))
			return 0;
		r = inferred__cmd_start(&w->inf, err, sizeof(err));
		if (!r)
			r = inferred__cmd_finish(&w->inf, (uint64_t)(o->inferred_seconds + 30) *
						 1000000000ull, &rxc_stop, &w->inf_base, err,
						 sizeof(err));
		if (r == -EINTR)
			return 0;
		if (r) {
			fprintf(stderr, "rxcalibrate: %s\n", err);
			return 1;
		}
	}
	if (!(w->inf_base > 0)) {
		fprintf(stderr, "rxcalibrate: --inferred: the workload made no progress on CPU %d\n",
			w->inf.cpu);
		return 1;
	}
	fprintf(stderr, "inferred: baseline %.4g %s/s\n", w->inf_base,
		o->inferred_cmd ? "ops" : "iter");
	return 0;
}

/* One run at a time: two would measure each other's traffic and probes. The lock goes with the
 * process (flock), however it ends; it holds the owner's pid for the message. The fd, or -1
 * after saying why. */
static int run_lock(void)
{
	char buf[32] = "";
	int fd = open(RXC_RUN_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "rxcalibrate: %s: %s\n", RXC_RUN_LOCK, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
			buf[0] = 0;	/* only the message's pid is lost */
		return fd;
	}
	if (errno == EWOULDBLOCK) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		fprintf(stderr, "rxcalibrate: another rxcalibrate run (pid %s) is measuring on this "
			"machine; two at once would measure each other: wait for it (lock %s)\n",
			buf[0] ? buf : "?", RXC_RUN_LOCK);
	} else {
		fprintf(stderr, "rxcalibrate: %s: %s\n", RXC_RUN_LOCK, strerror(errno));
	}
	close(fd);
	return -1;
}

/* On the testbed, rxcalibrate's own thread (snapshots, the lean set's attaches, reading /proc)
 * keeps off the CPU whose receive path is measured: the sender's in softirq mode, where NET_RX
 * runs on its back, the NAPI kthread's in threaded mode. Left to the scheduler it lands there in
 * about half the runs and takes 5-6 % of that CPU with the lean set (bench.md). Preferred: a CPU
 * none of the testbed's threads is pinned to, else the receiver's. Children (ip, nft) inherit it;
 * the sender, receiver, workload and iperf3 pin themselves. Returns the CPU, or -1 (unchanged). */
static int keep_off_measured_cpu(const struct run_opts *o)
{
	int measured = o->napi == NAPI_THREADED ? o->napi_cpu : o->tx_cpu, pick = -1;
	cpu_set_t allowed, set;

	if (o->dev || sched_getaffinity(0, sizeof(allowed), &allowed))
		return -1;
	for (int c = 0; c < CPU_SETSIZE && pick < 0; c++)
		if (CPU_ISSET(c, &allowed) && c != measured && c != o->tx_cpu && c != o->rx_cpu &&
		    c != o->napi_cpu)
			pick = c;
	if (pick < 0 && o->rx_cpu != measured && CPU_ISSET(o->rx_cpu, &allowed))
		pick = o->rx_cpu;
	if (pick < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(pick, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -1 : pick;
}

/* After the run, with --canary: the receive path's canary over the steps, and the steps whose
 * canary on some CPU was more than 15 % above that CPU's median (rxcalibrate validate's default
 * --canary-tol): the host slowed the VM then, which the stage times carry. */
static void print_canary_summary(struct sweep *w)
{
	double v[RXC_MAX_RATES][CANARY_ROLES], med[CANARY_ROLES], lo = INFINITY, hi = 0;
	char list[160] = "";
	int n = 0, slow = 0;

	if (!w->canary_on)
		return;
	for (size_t r = 0; r < w->nrows && n < RXC_MAX_RATES; r += STAGE_COUNT) {
		const struct meas_row *m = &w->rows[r];

		v[n][0] = m->canary_rx_ns;
		v[n][1] = m->canary_app_ns;
		v[n][2] = m->canary_tx_ns;
		lo = fmin(lo, m->canary_rx_ns);
		hi = fmax(hi, m->canary_rx_ns);
		n++;
	}
	if (!n)
		return;
	for (int k = 0; k < CANARY_ROLES; k++) {
		double t[RXC_MAX_RATES];

		for (int i = 0; i < n; i++)
			t[i] = v[i][k];
		gsl_sort(t, 1, (size_t)n);
		med[k] = gsl_stats_median_from_sorted_data(t, 1, (size_t)n);
	}
	for (int i = 0; i < n; i++) {
		if (!fit_canary_slowed(v[i], med, CANARY_TOL_PCT))
			continue;
		if (strlen(list) < sizeof(list) - 16)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d",
				 slow ? ", " : "", w->rows[(size_t)i * STAGE_COUNT].step);
		slow++;
	}
	if (!w->o->quiet || slow)
		fprintf(stderr, "speed canary: the receive path's CPU %.1f-%.1f ns per iteration "
			"(median %.1f) over %d step%s", lo, hi, med[0], n, n == 1 ? "" : "s");
	if (slow)
		fprintf(stderr, "; %d step%s (%s) more than %g %% above the median on some CPU: "
			"the host slowed the VM then (rxcalibrate validate --canary-tol, "
			"docs/rxcalibrate.md)\n", slow, slow == 1 ? "" : "s", list, CANARY_TOL_PCT);
	else if (!w->o->quiet)
		fprintf(stderr, "; none more than %g %% above it\n", CANARY_TOL_PCT);
}

/* The canary with traffic paused: the built-in sender idles (iperf3's client has exited by
 * then), the receiver stops busy-polling (--rx-busy) for the time; 20 ms for the last sends'
 * NAPI, wake-ups and copies. 0, -EINTR on a signal, or -errno. */
static int canary_paused(struct sweep *w, double *ns_per_iter)
{
	int err;

	if (w->have_tb && !w->iperf)
		sender__set_rate(&w->tx, 0);
	if (w->o->rx_busy)
		receiver__set_busy(&w->rx, false);
	err = wait_ns(20000000ull) ? canary_measure(&w->can, w->o->canary_ns, &rxc_stop,
						  ns_per_iter) : -EINTR;
	if (w->o->rx_busy)
		receiver__set_busy(&w->rx, true);
	return err;
}

/* --canary on the built-in testbed (not beside --inferred's workload, which holds a CPU): set up
 * and run once before the first step. 0 or an exit status. */
static int canary_start(struct sweep *w)
{
	const struct run_opts *o = w->o;
	int cpus[3] = { rx_path_cpu(o), o->rx_cpu, o->tx_cpu }, err;

	if (!o->canary_ns || !w->have_tb || o->inferred)
		return 0;
	err = canary_init(&w->can, cpus, 3);
	if (!err)
		err = canary_paused(w, w->can_last);
	if (err == -EINTR)
		return 0;	/* the caller sees rxc_stop */
	if (err) {
		fprintf(stderr, "rxcalibrate: --canary: %s\n", strerror(-err));
		canary_free(&w->can);
		return 1;
	}
	w->canary_on = true;
	return 0;
}

/* After step @step (its rows already added, its line printed): the canary again; the step's
 * values, written into its rows, are the means of this run and the one before it. 0 or an exit
 * status. */
static int canary_after_step(struct sweep *w, int step)
{
	const struct run_opts *o = w->o;
	double now[CANARY_MAX_CPUS], mean[CANARY_MAX_CPUS], rx, app, tx;
	int err;

	if (!w->canary_on)
		return 0;
	err = canary_paused(w, now);
	if (err == -EINTR)
		return 0;
	if (err) {
		fprintf(stderr, "rxcalibrate: --canary: %s\n", strerror(-err));
		return 1;
	}
	for (int i = 0; i < w->can.ncpus; i++) {
		mean[i] = (w->can_last[i] + now[i]) / 2;
		w->can_last[i] = now[i];
	}
	rx = canary_of(&w->can, mean, rx_path_cpu(o));
	app = canary_of(&w->can, mean, o->rx_cpu);
	tx = canary_of(&w->can, mean, o->tx_cpu);
	for (size_t r = 0; r < w->nrows; r++) {
		struct meas_row *m = &w->rows[r];

		if (m->step != step)
			continue;
		m->canary_rx_ns = rx;
		m->canary_app_ns = app;
		m->canary_tx_ns = tx;
	}
	if (!o->quiet)
		fprintf(stderr, "  canary: %.1f ns per iteration on the receive path's CPU %d, "
			"%.1f on the application's %d, %.1f on the sender's %d (before and after "
			"the step)\n", rx, rx_path_cpu(o), app, o->rx_cpu, tx,
			o->tx_cpu);
	return 0;
}

int sweep_run(const struct run_opts *o)
{
	struct sweep w = { .o = o };
	struct sigaction sa = { .sa_handler = on_signal };
	int nsteps = o->passive ? 1 : o->nrates, status = 0, err, lock_fd;
	struct afile out;

	if (geteuid() != 0) {
		fprintf(stderr, "rxcalibrate: run needs root (network namespaces, BPF, perf events)\n");
		return 2;
	}
	/* --out must be writable before minutes of measurement, not after (an unnamed file: nothing
	 * appears); a full disk still shows only at the end */
	err = afile_open(&out, o->out);
	if (err) {
		fprintf(stderr, "rxcalibrate: --out %s: %s\n", o->out, strerror(-err));
		return 2;
	}
	afile_abort(&out);
	lock_fd = run_lock();
	if (lock_fd < 0)
		return 1;
	err = keep_off_measured_cpu(o);
	if (o->verbose && err >= 0)
		fprintf(stderr, "rxcalibrate: own thread on CPU %d, off the measured CPU %d\n", err,
			o->napi == NAPI_THREADED ? o->napi_cpu : o->tx_cpu);
	if (o->generator == GEN_IPERF3 && !o->dev) {
		char ierr[512];

		if (iperf__init(&w.ip, o->verbose, ierr, sizeof(ierr))) {
			fprintf(stderr, "rxcalibrate: %s\n", ierr);
			return 2;
		}
		w.iperf = true;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the built-in workload is forked before anything else exists, so it holds no descriptor
	 * of the testbed or the probes; it idles until the baseline */
	if (o->inferred) {
		char ierr[512];

		err = inferred__init(&w.inf, o->inferred_cpu, o->inferred_cmd, ierr, sizeof(ierr));
		if (err) {
			fprintf(stderr, "rxcalibrate: %s\n", ierr);
			return err == -ENOENT ? 2 : 1;
		}
	}
	status = setup(&w);
	if (!status && o->rx_busy)
		receiver__set_busy(&w.rx, true);
	if (!status)
		anchor_threads(&w);
	if (!status && o->inferred && !rxc_stop)
		status = inferred_baseline(&w);
	if (!status && !rxc_stop)
		status = canary_start(&w);
	for (int i = 0; i < nsteps && !status && !rxc_stop; i++) {
		double rate = o->passive ? 0 : o->rates[i];
		struct probes_snap pa, pb;
		struct sys_snap a, b;
		struct step_result r;
		char buf[16], ierr[512];
		uint64_t ia = 0, ib = 0, ca = 0;
		bool ok;

		if (w.have_tb && w.iperf) {
			err = iperf__start(&w.ip, w.tb.nsfd_rx, w.tb.nsfd_tx, o->rx_cpu, o->tx_cpu,
					   rate, o->payload, iperf_seconds(o->warmup_ns, o->duration_ns),
					   o->rcvbuf, &rxc_stop, ierr, sizeof(ierr));
			if (err == -EINTR)
				break;
			if (err) {
				fprintf(stderr, "rxcalibrate: step %d: %s\n", i + 1, ierr);
				status = 1;
				break;
			}
		} else if (w.have_tb)
			sender__set_rate(&w.tx, rate / (8.0 * o->payload));
		else if (!o->passive)
			fprintf(stderr, "step %d/%d: start the external generator at %sbit/s now\n",
				i + 1, nsteps, format_si(rate, buf, sizeof(buf)));
		if (!wait_ns(o->warmup_ns))
			break;
		if (w.probes)
			probes__snapshot(w.probes, &pa);
		sys_snapshot(&w, &a);
		rxc_fault_pause("step");
		if (o->inferred && !o->inferred_cmd) {
			ia = inferred__iters(&w.inf);
			ca = inferred__cpu_ns(&w.inf);
		} else if (o->inferred_cmd && inferred__cmd_start(&w.inf, ierr, sizeof(ierr))) {
			fprintf(stderr, "rxcalibrate: %s\n", ierr);
			status = 1;
			break;
		}
		/* bpf_stats only in the first slice of the window (stats_slice_ns): enough runs for each
		 * family's mean, at a fortieth of the cost of holding it throughout */
		if (w.probes && probes__lean(w.probes)) {
			ok = lean_window(&w, o->duration_ns);
		} else if (w.probes) {
			uint64_t slice = stats_slice_ns(o->duration_ns);
			probes__stats(w.probes, true);
			ok = wait_ns(slice);
			probes__stats(w.probes, false);
			ok = ok && wait_ns(o->duration_ns - slice);
		} else {
			ok = wait_ns(o->duration_ns);
		}
		if (!ok)
			break;
		if (w.probes)
			probes__snapshot(w.probes, &pb);
		sys_snapshot(&w, &b);
		w.inf_other[i] = -1;
		/* built-in workload only: a command's other threads and children, and its start
		 * within the window, would count as other tasks */
		if (o->inferred && !o->inferred_cmd && w.probes && probes__other_on(w.probes) &&
		    pb.t_ns > pa.t_ns &&
		    w.inf.cpu >= 0 && w.inf.cpu < RXS_MAX_CPUS)
			w.inf_other[i] = (double)(pb.other_ns[w.inf.cpu] - pa.other_ns[w.inf.cpu]) *
					 1e9 / (double)(pb.t_ns - pa.t_ns);
		if (o->inferred && !o->inferred_cmd) {
			ib = inferred__iters(&w.inf);
			if (!inferred__alive(&w.inf, ierr, sizeof(ierr))) {
				fprintf(stderr, "rxcalibrate: %s\n", ierr);
				status = 1;
				break;
			}
			w.inf_rate[i] = (double)(ib - ia) / ((double)(b.t_ns - a.t_ns) / 1e9);
			inferred_cpu_split(w.inf_rate[i], w.inf_base, inferred__cpu_ns(&w.inf) - ca,
					   b.t_ns - a.t_ns, &w.inf_taken[i], &w.inf_speed[i]);
		} else if (o->inferred_cmd) {
			/* the command ran -seconds from the window's start; traffic goes on until
			 * it has finished */
			err = inferred__cmd_finish(&w.inf, (uint64_t)(o->inferred_seconds + 30) *
						   1000000000ull, &rxc_stop, &w.inf_rate[i],
						   ierr, sizeof(ierr));
			if (err == -EINTR)
				break;
			if (err) {
				fprintf(stderr, "rxcalibrate: %s\n", ierr);
				status = 1;
				break;
			}
		}
		if (w.iperf) {
			/* the client stops by itself at the end of its -t */
			err = iperf__finish(&w.ip, (uint64_t)iperf_seconds(o->warmup_ns,
					    o->duration_ns) * 1000000000ull + 10000000000ull,
					    &rxc_stop, &w.ipr, ierr, sizeof(ierr));
			if (err == -EINTR)
				break;
			if (err) {
				fprintf(stderr, "rxcalibrate: step %d: %s\n", i + 1, ierr);
				status = 1;
				break;
			}
		}
		if (o->inferred)
			w.inf_ns[i] = inferred_stolen_ns_per_s(w.inf_rate[i], w.inf_base);
		if (w.probes)
			compute_stages(&w, &pa, &pb, &a, &b, &r);
		err = add_rows(&w, i + 1, rate, &a, &b, w.probes ? &r : NULL);
		if (err) {
			status = 1;
			break;
		}
		print_step(&w, i + 1, rate, &a, &b, w.probes ? &r : NULL);
		note_rate(&w, i + 1, rate);
		if (w.iperf)
			fprintf(stderr, "  iperf3: %sbit/s over %.2f s, %llu datagrams sent, %llu lost "
				"(%.3g%%) as its server counted\n",
				format_si(w.ipr.sent_bps, buf, sizeof(buf)), w.ipr.seconds,
				(unsigned long long)w.ipr.sent_packets,
				(unsigned long long)w.ipr.lost_packets, w.ipr.lost_percent);
		print_inferred(&w, i, (double)(b.t_ns - a.t_ns) / 1e9, w.probes ? &r : NULL);
		if (w.probes)
			print_drop_reasons(&w, &r);
		status = canary_after_step(&w, i + 1);
	}
	teardown(&w);
	canary_free(&w.can);
	if (!status && !rxc_stop) {
		err = write_csv(&w, o->out);
		if (err == -EINTR && rxc_stop) {
			;	/* a signal while writing: said below */
		} else if (err) {
			fprintf(stderr, "rxcalibrate: --out %s: %s; nothing written\n", o->out,
				strerror(-err));
			status = 1;
		} else {
			rxc_stop = 0;	/* written whole: a signal now changes nothing */
			print_summary(&w);
			fprintf(stderr, "wrote %s (%zu rows)\n", o->out, w.nrows);
			print_canary_summary(&w);
			if (w.nshort)
				fprintf(stderr, "rxcalibrate: %d of %d steps fell short of their rate; "
					"the highest rate this machine reached: %.4gMbit/s "
					"(step %d)\n", w.nshort, nsteps, w.max_offered / 1e6,
					w.max_step);
		}
	}
	if (!status && rxc_stop) {
		fprintf(stderr, "rxcalibrate: interrupted by %s; testbed removed, %s not written\n",
			strsignal(rxc_stop), o->out);
		status = 128 + rxc_stop;
	}
	if (lock_fd >= 0)
		close(lock_fd);
	free(w.rows);
	return status;
}
