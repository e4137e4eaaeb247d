/* The discrete-event model of the receive path. One struct sim owns everything (no globals), so
 * simulations can run side by side. Time is integer ns.
 *
 * Invariants kept by every run (and checked by tests):
 *  - arrivals + in flight at start = delivered + dropped (all causes) + in flight at end;
 *  - per ring: ready + filled + waiting refill = descriptors;
 *  - a core runs at most one thing at a time: hard IRQ > softirq > one thread, and each ns of
 *    busy time is charged to exactly one (stage or thread, context, core);
 *  - the same config and seed give the same results, bit for bit.
 *
 * Work on a core is decided in micro-steps (one packet, one poll boundary, one recvmsg) that
 * never run ahead of the next event in the queue, so lazily generated arrivals and
 * cross-core interactions (socket queue, wakeups) happen in time order. */
#ifndef RX_SIM_H
#define RX_SIM_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "config.h"
#include "eventq.h"
#include "rng.h"
#include "stats.h"

/* Called now and then during a run with the share of simulated time done, in [0, 1]. */
typedef void (*sim_progress_fn)(void *arg, double done);

enum ctx { CTX_HARDIRQ, CTX_SOFTIRQ, CTX_KSOFTIRQD, CTX_NAPI_THREAD, CTX_APP, CTX_BG, CTX_SCHED,
	   CTX_COUNT };
extern const char *const ctx_names[CTX_COUNT];

enum drop_cause { DROP_RING, DROP_BACKLOG, DROP_SOCKET, DROP_RULE, DROP_COUNT };
extern const char *const drop_names[DROP_COUNT];

#define MAX_BATCHES 1000
/* A sender's sleep under 16 us (sleep_class() 0) whose drawn lateness is below this never
 * switched out (sender_step()): 2^15 ns, the line between a shallow and a deep wake-up
 * (model/loghist.h LOGHIST_SLOW_SLOT), where the testbed's lateness histograms have their gap */
#define SENDER_NO_SWITCH_NS 32768.0
#define MAX_WEIGHT 4096

struct pkt {
	uint64_t t;	/* arrival at the NIC */
	uint32_t size;	/* frame bytes */
	uint32_t _pad;
};

/* FIFO of packets with bounded or growable capacity. */
struct pktq {
	struct pkt *buf;
	uint32_t cap, head, len;
};

/* rx ring of one queue: descriptors are ready (tokens), filled (a packet waits) or cleaned and
 * waiting for the refill that returns them in batches. */
struct ring {
	struct pktq q;		/* filled descriptors, in arrival order */
	uint32_t size, ready, to_refill;
	struct tavg occ;
};

struct napi {
	int queue;
	int core;		/* where the poll runs */
	int irq_core;
	int thread;		/* napi thread index (threaded mode) */
	int scheduled;		/* NAPI_STATE_SCHED */
	int irq_enabled;
	int irq_pending;
	uint64_t last_irq;
	double itr_ns;
	uint64_t pkts_since_irq;
	struct ring ring;
};

enum thread_kind { TH_APP, TH_BG, TH_KSOFTIRQD, TH_NAPI, TH_SENDER };
enum thread_state { TS_SLEEP, TS_RUNNABLE, TS_RUNNING };

struct thread {
	enum thread_kind kind;
	enum thread_state state;
	int core;
	int napi;		/* TH_NAPI: its napi */
	double vruntime;
	uint64_t run_start;	/* when it got the CPU */
	int item_active;	/* a work item (recvmsg, a chunk of background work) is under way */
	uint64_t work_left;	/* ns of the item not yet given a time on the core */
	uint64_t seg_start;	/* when the current run of the item started */
	int work_left_running;	/* a segment of the item is scheduled up to the core's time */
	uint64_t woken_at;	/* when it was last woken from sleep; 0: not since it ran */
};

/* net_rx_action / __do_softirq state of one core (inline softirq or ksoftirqd). */
struct softirq_state {
	int active;		/* inside __do_softirq */
	enum ctx ctx;
	int restart_left;
	uint64_t end_jiffy;
	int in_action;		/* inside net_rx_action */
	int budget;
	uint64_t limit_jiffy;
	int list[MAX_QUEUES], nlist;
	int repoll[MAX_QUEUES], nrepoll;
};

struct poll_state {
	int active;
	int napi;
	int work;
	enum ctx ctx;
	uint32_t seen;		/* stages that saw a packet in this poll (per-call costs) */
	double gap_ns;		/* since this core's previous poll ended (cold costs) */
	int pending;		/* a packet's stage work is charged, its outcome not yet applied */
	struct pkt pkt;
	int pkt_fate;		/* -1 reached the path end, else the stage that dropped it */
};

struct core {
	int id;
	uint64_t t;		/* time up to which this core's work is decided */
	double carry;		/* sub-ns remainder of fractional costs */
	uint64_t gen;		/* invalidates stale EV_CORE events */
	int curr;		/* running thread, -1 idle */
	uint64_t idle_since;	/* when it last switched to idle */
	uint64_t idle_seq;	/* counts its idle periods */
	/* cpu.halt_poll_us: the host's polling window (ns) and whether the idle period
	 * halt_seq ended in a halted vCPU, decided at its first wake-up */
	double halt_poll_ns;
	uint64_t halt_seq;
	int halted;
	uint64_t poll_end;	/* when its last poll ended; 0: none yet */
	/* the last packet polled here went to an application on another core (remote_ns) */
	int remote_prev;
	int in_softirq;		/* NET_RX runs on top of curr (or of idle) */
	int softirq_pending;
	int need_resched;
	int ksoftirqd;
	int sd_list[MAX_QUEUES], nsd;	/* softnet poll_list */
	int runq[16], nrunq;
	struct softirq_state sirq;
	struct poll_state poll;
};

struct app_item {
	struct pkt pkt;
	uint64_t enq;		/* when it was queued on the socket */
};

struct source {
	double t;		/* exact time of the next arrival at the NIC, ns */
	double gen_t;		/* the same before the link serialised it */
	uint64_t ti;
	uint32_t size;
	int queue;
	double gap_ns;		/* mean gap between arrivals (in an on period for onoff) */
	int on;
	double phase_end;
	uint64_t rr;		/* round-robin flow counter */
	uint32_t in_burst;	/* frames sent so far in the current burst */
	double last_t;
	double last_wire_ns;
	double next_wire_ns;	/* wire time of the frame about to arrive */
	gsl_ran_discrete_t *size_table;
};

struct batch {
	double arrivals, delivered, drops;
	double sock_offered, sock_drops;
	double wait_sum, wait_n;
	double soj_sum, soj_n;
	double sock_area;
	double busy_ns;		/* poll core busy */
};

/* Wake-ups of one kind of thread: count, latency sum and sum of squares (ns), log2 histogram
 * (model/loghist.h). */
struct wake_acc {
	uint64_t n;
	double sum, sq;
	uint64_t hist[LOGHIST_SLOTS];
};

struct sim_counters {
	uint64_t arrivals, delivered, dropped[DROP_COUNT], drop_stage[STAGE_COUNT];
	uint64_t sock_offered, sock_accepted;
	uint64_t irqs, softirq_runs, net_rx_actions, ksoftirqd_wakeups, cs, time_squeeze, polls;
	uint64_t remote_wakeups, deep_wakeups;	/* of the application by a socket enqueue */
	double idle_wake_ramp;	/* sum of min(1, idle / wake_idle_after_us) over those */
	double cold_ramp[STAGE_COUNT];	/* sum of the cold ramps over polls (sim.c cold_frac()) */
	/* packets and bytes a rule dropped did not pay of the stage (1 - head_share each) */
	double head_saved_pkts[STAGE_COUNT], head_saved_bytes[STAGE_COUNT];
	double head_full_ns[STAGE_COUNT];	/* the whole stage's cost of those packets */
	uint64_t remote_pkts[STAGE_COUNT];	/* packets charged remote_ns */
	/* the wake-ups that reached a core, from thread_wake to running: the application's, and
	 * the NAPI kthreads' (threaded mode) */
	struct wake_acc app_wake, napi_wake;
	uint64_t napi_halted;	/* of the NAPI kthreads' wake-ups, those of a halted core */
	uint64_t stage_calls[STAGE_COUNT], stage_pkts[STAGE_COUNT], stage_bytes[STAGE_COUNT];
	uint64_t poll_hist[MAX_WEIGHT + 1];
	uint64_t bg_chunks;
	uint64_t sender_bursts, sender_sleeps;	/* traffic.sender_call_us: the sender thread's */
	uint64_t sender_spins;	/* its sleeps that never switched out */
	double sender_send_ns;	/* the CPU of its sends (calls and frames) */
	/* the lateness drawn for its sleeps, 2 us bins (model/loghist.h ushist), and by the
	 * sleep's length */
	uint64_t sender_late_hist[USHIST_BINS];
	uint64_t sender_late_by_sleep[SLEEP_CLASSES][USHIST_BINS];
	double wait_sum, soj_sum, ring_soj_sum;
	uint64_t wait_n, soj_n, ring_soj_n;
};

struct sim {
	struct model_config cfg;
	gsl_rng *rng;
	struct zig_exp zig;
	double wire_ns[MAX_SIZES];	/* wire time per frame size */
	struct eventq eq;
	uint64_t now;
	uint64_t t_start, t_end;	/* measurement window */
	int measuring;

	struct source src;
	gsl_ran_discrete_t *idle_exit_table;	/* cpu.idle_exit_hist's slots, or NULL */
	gsl_ran_discrete_t *sender_wake_table;	/* traffic.sender_wake_hist's, or NULL */
	/* traffic.sender_wake_by_sleep's, NULL where none */
	gsl_ran_discrete_t *sender_wake_by_sleep[SLEEP_CLASSES];
	int flow_queue_n;
	int *flow_queue;		/* flow -> rx queue (RSS) */
	int armed;			/* napis with IRQ enabled, none pending */
	int link_event;
	/* traffic.sender_cpu: a frame is due while NET_RX runs on the sender's core; it is sent
	 * when that NET_RX ends */
	int src_held;

	struct napi napi[MAX_QUEUES];
	struct core core[MAX_CORES];
	struct thread *thread;
	int nthreads;
	int app_thread, bg_thread;
	/* traffic.sender_call_us / sender_frame_us: the paced sender as a thread; snd_next is the
	 * time of its next burst on the absolute schedule, snd_left the frames of the current
	 * burst not yet sent */
	int sender_thread;
	double snd_next;
	int snd_left;
	int snd_class;		/* sleep_class() of its current sleep */
	int snd_woke;		/* its next burst follows a sleep */
	double snd_late;	/* the lateness drawn for its current sleep, ns; < 0: none */
	int snd_spin;		/* its work item is a sleep that never switched out */
	double snd_spin_end;	/* when that one returns, ns */

	/* per-packet path: stages in order */
	int path[STAGE_COUNT], npath;
	double drop_credit[STAGE_COUNT];
	double cost_pkt[STAGE_COUNT], cost_byte[STAGE_COUNT], cost_call[STAGE_COUNT];
	double skb_build_ns;		/* poll cost moved after the XDP hook */
	/* per stage a rule drops in: the stages with a drop_ns that hold that drop's own work
	 * (stage_holds_drop()), as a bit mask, so a drop charges only those */
	uint32_t drop_holders[STAGE_COUNT];

	/* socket */
	struct pktq sockq;
	uint64_t *sock_enq;		/* enqueue times, parallel to sockq */
	uint64_t rmem;
	uint64_t sock_n;		/* datagrams charged to rmem (queued + being copied) */
	struct tavg sock_occ;
	int app_sleeping;
	struct app_item *app_items;	/* datagrams of the recvmsg/recvmmsg under way */
	int app_nitems;

	/* accounting, measurement window only */
	double (*stage_ns)[STAGE_COUNT][CTX_COUNT];	/* [core] */
	double (*busy_ns)[CTX_COUNT];			/* [core] */
	struct sim_counters n;
	uint64_t inflight_start;
	struct hist lat_sock, lat_app;
	struct batch batch[MAX_BATCHES];
	uint64_t batch_len;
	char err[ERR_LEN];
	sim_progress_fn progress;
	void *progress_arg;
};

struct stage_result {
	double calls_per_s, pkts_per_s, cpu_ns_per_s, ns_per_pkt, cpu_se_ns_per_s;
	double ctx_ns_per_s[CTX_COUNT];
	uint64_t drops;
};

struct sim_results {
	double seconds;
	double offered_pps, offered_bw_bps, offered_wire_bps, line_pps;
	int line_capped;
	uint64_t arrivals, delivered, dropped[DROP_COUNT], inflight_start, inflight_end;
	double delivered_pps, delivered_bw_bps;
	double drop_share;
	struct stage_result stage[STAGE_COUNT];
	double core_util[MAX_CORES][CTX_COUNT + 1];	/* share of time; [CTX_COUNT] = total */
	int cores;
	double lat_sock[5], lat_app[5];	/* mean, p50, p90, p99, p99.9 in ns */
	uint64_t lat_sock_n, lat_app_n;
	double pkts_per_poll, polls_per_s;
	uint64_t poll_hist[MAX_WEIGHT + 1];
	int weight;
	double irqs_per_s, softirqs_per_s, net_rx_actions_per_s, ksoftirqd_wakeups_per_s, cs_per_s,
		time_squeeze_per_s;
	/* the application woken on another core by a socket enqueue, and those of them after the
	 * core was idle for transport.deep_wake_after_us or longer */
	double remote_wakeups_per_s, deep_wakeups_per_s;
	/* the application's wake-ups: from thread_wake to running, mean and sd (rxcalibrate's
	 * rx_wake_latency_ns: sched_waking to sched_switch) */
	double app_wakeups_per_s, app_wake_latency_ns, app_wake_latency_sd_ns;
	uint64_t app_wake_hist[LOGHIST_SLOTS];	/* their latency, log2 slots of ns */
	/* threaded NAPI: the kthreads' wake-ups likewise (rxcalibrate's columns 44-47), and those
	 * of them that found their core halted (cpu.halt_poll_us) */
	double napi_wakeups_per_s, napi_wake_latency_ns, napi_wake_latency_sd_ns;
	uint64_t napi_wake_hist[LOGHIST_SLOTS];
	double napi_halted_per_s;
	/* traffic.sender_call_us: the sender thread's bursts and the sleeps before them (each
	 * sleep is two of cs_per_s, but the spins: sender_sleeps_per_s counts those too); 0
	 * without the sender thread */
	double sender_bursts_per_s, sender_sleeps_per_s;
	double sender_spins_per_s;	/* of those sleeps, the ones that never switched out */
	/* the CPU of its sends and on its core in all (background: the sends, spins and the
	 * sleeps' switches), ns/s; its lateness draws (measurements.csv columns 51, 53) */
	double sender_send_ns_per_s, sender_cpu_ns_per_s;
	uint64_t sender_late_hist[USHIST_BINS];
	uint64_t sender_late_by_sleep[SLEEP_CLASSES][USHIST_BINS];
	double metric_ns_per_s[METRIC_COUNT];
	double total_ip_ns_per_s;	/* sum of the paper's four receive metrics */
	double total_rx_ns_per_s, total_rx_se_ns_per_s;	/* every stage but app and cs */
	double inferred_ns_per_s;	/* CPU the background workload lost (-1: none) */
	double sock_mean_n, ring_mean_n;
	double sock_block, sock_mean_wait_ns, sock_mean_sojourn_ns, sock_accept_pps;
	double ring_mean_sojourn_ns, ring_take_pps;
	int nbatches;
	struct batch batch[MAX_BATCHES];
	double batch_seconds;
};

/* Allocates and initialises a simulation of @cfg (copied). 0 or -errno, message in @err. */
int sim_create(struct sim **out, const struct model_config *cfg, char *err, int errlen);
void sim_free(struct sim *s);
/* Runs warm-up plus duration; fills @r. */
int sim_run(struct sim *s, struct sim_results *r);

/* Convenience: create, run, free; @progress may be NULL. */
int sim_simulate(const struct model_config *cfg, struct sim_results *r, char *err, int errlen);
int sim_simulate_progress(const struct model_config *cfg, struct sim_results *r, char *err,
			  int errlen, sim_progress_fn progress, void *arg);

#endif
