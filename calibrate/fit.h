/* `rxcalibrate fit`: per-stage unit costs from measurements.csv by weighted least squares (GSL),
 * with non-negativity, standard errors, R², residuals and leave-one-step-out cross-validation,
 * written as a libconfig calibration that model/config.c's calibration_load() accepts.
 *
 * Model per stage s and rate step i:  cpu_ns[i] = c·calls[i] + p·packets[i] + b·bytes[i]
 * with bytes = packets × (payload_bytes + FIT_FRAME_OVERHEAD), and for transport in softirq
 * mode + v·wakes[i] + u·wake_idle[i] + w·deep_wakes[i] (fit_step.wakes, .wake_idle,
 * .deep_wakes, docs/fit.md); the softirq
 * stage's packets are the datagrams the application received (fit_step.consumed). Only the
 * regressors the steps can
 * tell apart are fitted (see fit_stage()); the others are reported as dropped, with the reason.
 * Functions return 0 or -errno and write one message naming the file, line or column into @err;
 * only fit_main() prints and turns results into an exit status. See docs/fit.md. */
#ifndef RXC_FIT_H
#define RXC_FIT_H

#include <stdbool.h>
#include <stddef.h>

#include "loghist.h"
#include "stage.h"

/* UDP 8 + IPv4 20 + Ethernet 14 + FCS 4: the frame bytes the model's per_byte_ns multiplies */
#define FIT_FRAME_OVERHEAD 46
#define FIT_MAX_STEPS 256
/* A receiver woken after its CPU idled this long pays transport.deep_wake_ns (docs/fit.md,
 * "Deep wake-ups"): the host's KVM halt-polling window, halt_poll_ns = 200 us by default. */
#define FIT_DEEP_WAKE_AFTER_US 200.0
/* The wake-up of a receiver costs more the longer its CPU has idled, up to this long
 * (transport.wake_idle_ns, docs/fit.md "Wake-ups after idle"): measured per recv call, it rises
 * from the 400-600 Mbit/s steps (28-56 us of idle) to 150 Mbit/s (79 us) and is no higher at
 * 100 Mbit/s (117 us). */
#define FIT_WAKE_IDLE_US 100.0

/* The first packet of a poll costs more the longer its CPU has not polled, up to this long
 * (cold_ns of the stages a poll runs before the socket, docs/fit.md "Cold polls"): per packet,
 * ip_to_transport costs 251 ns at 50 Mbit/s (235 us between polls) and 65 ns at 600 Mbit/s,
 * ip 662 and 370 ns (rounds four to six, softirq). */
#define FIT_COLD_US 100.0
/* Threaded NAPI: the ramp starts this late (cold_from_us), chosen by the fit by least squares
 * over 0..FIT_COLD_FROM_MAX_US in steps of FIT_COLD_FROM_STEP_US (docs/fit.md "Cold polls after
 * a halt"): the NAPI kthread's CPU idles between polls, and a vCPU the host keeps polling
 * keeps its caches. Softirq steps start it at 0 (their gap is the sender's own work). */
#define FIT_COLD_FROM_MAX_US 150.0
#define FIT_COLD_FROM_STEP_US 5.0
#define FIT_COLD_FROM_N 31	/* onsets fit_all() tries: 0, 5, ..., 150 us */
/* How the cold ramp's onset is set for threaded steps (fit_opts, fit_data: cold_mode): chosen by
 * least squares (the default, 0), no cold term in them, or cold_onset_us */
enum fit_cold_mode { FIT_COLD_AUTO, FIT_COLD_OFF, FIT_COLD_FIXED };

/* COEF_DEEP: transport only, per deep wake-up of the receiver (fit_step.deep_wakes);
 * COEF_WAKE: transport only, per wake-up of the receiver on another CPU (fit_step.wakes);
 * COEF_WAKE_IDLE: transport only, per wake-up after FIT_WAKE_IDLE_US of idle or more, in
 * proportion below (fit_step.wake_idle);
 * COEF_COLD: the stages fit_cold_stage() names, per poll after FIT_COLD_US without one or more,
 * in proportion below (fit_step.cold);
 * COEF_REMOTE: the stages fit_remote_stage() names, per datagram the application read (at
 * most the stage's packets) in a step whose receiving application runs on another CPU than
 * the receive path (fit_step.remote) */
enum fit_coef { COEF_CALL, COEF_PACKET, COEF_BYTE, COEF_DEEP, COEF_WAKE, COEF_WAKE_IDLE,
		COEF_COLD, COEF_REMOTE, COEF_COUNT };

/* --drops files at most */
#define FIT_MAX_DROP_FILES 8

struct fit_opts {
	const char *in;		/* measurements.csv */
	const char *out;	/* calibration file */
	const char *name;	/* calibration name (default "measured") */
	/* --canary-tol: leave out the steps with a canary above (1 + canary_tol %) times the
	 * steps' median (0: keep every step) */
	double canary_tol;
	/* --cold-onset: auto, off, or FIT_COLD_FIXED at cold_onset_us */
	enum fit_cold_mode cold_mode;
	double cold_onset_us;
	bool verbose;
	/* --drops: measurements of drop variants, for each one's own work at its drop stage */
	const char *drops[FIT_MAX_DROP_FILES];
	int ndrops;
};

/* The speed canary's roles, in column order: receive path, application, sender. */
#define CANARY_ROLES 3
/* A step ran on a slowed vCPU when one of its canaries is more than this share above the
 * reference's (rxcalibrate validate's default --canary-tol; run's closing line) */
#define CANARY_TOL_PCT 15.0

/* One rate step of the CSV (the columns shared by all its rows). */
struct fit_step {
	int step;
	double rate_requested_bps, offered_bps, offered_pps;
	double duration_s;
	int payload_bytes;
	char napi_mode[16];
	double drops_kfree;	/* the kernel's drops in the window, NAN without the column */
	double rx_thread_ns;	/* the receiver thread's CPU time in the window, 0: unknown */
	/* softirq testbed: the receiver's wake-ups (wakes) if their mean idle gap, (window -
	 * rx_thread_ns) / wakes, is at least FIT_DEEP_WAKE_AFTER_US, else 0 */
	double deep_wakes;
	/* the receiving application's CPU and the receive path's (rx_cpu, napi_cpu; -1: not in
	 * the file), and whether they differ: the columns' word, else the testbed's defaults
	 * (softirq: the application on 1, NET_RX on the sender's 0; threaded: both on 1) */
	int rx_cpu, napi_cpu;
	bool remote;
	double wakes;		/* softirq mode: the receiver's wake-ups (its sleeps, else recv calls) */
	/* wakes x min(1, mean idle gap per wake-up / FIT_WAKE_IDLE_US) */
	double wake_idle;
	/* the datagrams the application received (the app row's packets): the softirq stage's
	 * packets, whose skbs net_rx_action frees after the application copied them on another
	 * CPU (skb_defer_free_flush; docs/fit.md "The softirq stage") */
	double consumed;
	double polls;		/* NAPI polls of the device in the window (0: unknown) */
	double rx_runs;		/* the receiver's sleeps (rx_thread_runs; 0: unknown) */
	/* the probes' wake-ups of the receiver (rx_wakeups), their mean latency
	 * (rx_wake_latency_ns) and its log2 histogram (rx_wake_hist; all 0: none) */
	double rx_wakeups, rx_wake_lat_ns;
	double wake_hist[LOGHIST_SLOTS];
	/* threaded NAPI: the kthread's CPU time (napi_thread_ns) and the same for its wake-ups
	 * (napi_wakeups, napi_wake_latency_ns, napi_wake_hist) */
	double napi_thread_ns, napi_wakeups, napi_wake_lat_ns;
	double napi_wake_hist[LOGHIST_SLOTS];
	/* the built-in sender: its CPU time (tx_thread_ns), bursts, sleeps before them and its
	 * lateness after those (tx_wake_hist; all 0: none) */
	double tx_thread_ns, tx_bursts, tx_sleeps;
	double tx_wake_hist[USHIST_BINS];
	double tx_send_ns;	/* its time inside sendmmsg (tx_send_ns; 0: unknown) */
	/* tx_wake_hist by the sleep's length (tx_wake_by_sleep; all 0: none) */
	double tx_wake_by_sleep[SLEEP_CLASSES][USHIST_BINS];
	/* the speed canary on the CPUs of the receive path, the application and the sender
	 * (canary_rx_ns, canary_app_ns, canary_tx_ns; 0: not run) */
	double canary_ns[CANARY_ROLES];
	double net_rx_ns;	/* the device's NET_RX time in the window, NAN: unknown */
	/* the mean gap between the device's polls: softirq, the window less the NET_RX time over
	 * the polls; threaded, the window less the NAPI kthread's CPU time over them; NAN
	 * without those columns */
	double gap_ns;
	/* polls x min(1, max(0, gap - fit_data.cold_from_us) / FIT_COLD_US) (fit_cold_polls());
	 * 0 without a gap */
	double cold;
};

/* One (step, stage) row: what the fit uses. */
struct fit_obs {
	double calls, packets, bytes, cpu_ns, samples;
	double head;	/* of samples: before the stage's drop hook (head_samples; 0 without) */
};

struct fit_data {
	char path[256];
	int nsteps;
	struct fit_step step[FIT_MAX_STEPS];
	struct fit_obs obs[STAGE_COUNT][FIT_MAX_STEPS];
	char method[STAGE_COUNT][16];	/* "none", one method, or "mixed" */
	bool present[STAGE_COUNT];	/* rows seen for this stage */
	char variant[32];		/* the testbed variant measured; "" without the column */
	/* where the cold ramp of fit_step.cold starts (0 as read; fit_all() chooses it for a
	 * file with threaded steps; fit_set_cold_from()) */
	double cold_from_us;
	/* how fit_all() sets it for threaded steps: FIT_COLD_AUTO (fit_read_csv()'s), FIT_COLD_OFF
	 * (their cold polls 0) or FIT_COLD_FIXED at cold_onset_us */
	enum fit_cold_mode cold_mode;
	double cold_onset_us;
};

/* The wake-up latencies of the thread woken from idle, summarised as a scenario's cpu group
 * (docs/fit.md, "Idle exits for the model"): the receiver in softirq steps, the NAPI kthread in
 * threaded ones (its CPU idle but for it and the receiver). A step is deep when most of its wake-ups take
 * 2^FIT_DEEP_SLOT ns (32.8 us) or more, the host having stopped polling the halted vCPU. */
#define FIT_DEEP_SLOT LOGHIST_SLOW_SLOT
struct fit_idle_exit {
	int shallow, deep;		/* steps with a histogram, by kind */
	double hist[LOGHIST_SLOTS];	/* the shallow steps' histograms, added up */
	double deep_us;			/* the deep steps' mean latency (per wake-up); NAN: none */
	/* the mean halt before a wake-up, (window - receiver CPU) / wake-ups - mean latency:
	 * the longest of a shallow step, the shortest of a deep one; NAN: no such step */
	double halt_shallow_us, halt_deep_us;
	int moved;	/* steps left out: the application not where the mode has it (fit_moved()) */
};

/* Fills @ie from the steps of @d that carry a histogram. */
void fit_idle_exit(const struct fit_data *d, struct fit_idle_exit *ie);

/* The built-in sender as rxmodel's sender thread (docs/fit.md, "The sender for the model"):
 * its time per burst and per frame, least squares over the steps with its bursts measured: the
 * time inside sendmmsg (tx_send_ns) when every step has it, else its CPU time (tx_thread_ns)
 * less 2 x @cs_ns per sleep (the context switches the model charges to its cs stage); in
 * softirq steps less the NET_RX it ran. And its lateness after a sleep, the steps' histograms
 * added up. */
struct fit_sender {
	int steps;			/* steps used */
	int skipped;			/* steps left out: time less NET_RX <= 0 */
	double bursts, sleeps;		/* over them */
	double call_ns, frame_ns;	/* own CPU per burst and per frame */
	double cs_ns;			/* per context switch, taken out */
	bool from_send;			/* from tx_send_ns (else from the CPU time) */
	/* from_send: its CPU outside sendmmsg per sleep (the sleep's syscall and switches);
	 * NAN: unknown */
	double sleep_ns;
	double hist[USHIST_BINS];	/* tx_wake_hist, added up */
	double by_sleep[SLEEP_CLASSES][USHIST_BINS];	/* tx_wake_by_sleep, added up */
	int by_sleep_steps;		/* steps that have it (or no sleep to have it for) */
	int moved;	/* steps left out: the application not where the mode has it (fit_moved()) */
};
void fit_sender(const struct fit_data *d, double cs_ns, struct fit_sender *fs);

/* Whether step @sp ran with another placement than its NAPI mode's testbed default: softirq
 * with the application on the receive path's CPU, threaded with the kthread on another CPU
 * than the application. The idle-exit and sender lines describe the default placement (an
 * idle CPU of the woken thread's own, a sender alone on its CPU), so they leave such steps
 * out. */
bool fit_moved(const struct fit_step *sp);

struct fit_stage_result {
	bool fitted;		/* false: not measured (method none or no calls), zero costs */
	char method[16];
	int n;			/* steps used */
	int p;			/* regressors fitted (identifiable and not held at 0) */
	bool identifiable[COEF_COUNT];
	bool at_zero[COEF_COUNT];	/* identifiable, but the non-negative optimum holds it at 0 */
	bool constrained;	/* the unconstrained optimum had a negative coefficient */
	bool absolute_weights;	/* variances known from sample counts (perf_event) */
	double coef[COEF_COUNT], se[COEF_COUNT];	/* ns per call / packet / byte */
	/* the costs' covariance, scaled as se is (a cost held at 0: its se², no covariance) */
	double cov[COEF_COUNT][COEF_COUNT];
	double chi2;		/* weighted residual sum of squares */
	int dof;
	double r2;
	/* leave one rate out: RMS over the rates of each rate's relative error, (sum of its steps'
	 * predictions from a fit without that rate - sum measured) / sum measured */
	double cv_rms;
	int cv_n;		/* rates that entered cv_rms */
	int cv_rates;		/* and their requested rates (0: a step without one), steps, errors */
	double cv_rate_bps[FIT_MAX_STEPS], cv_rate_err[FIT_MAX_STEPS];
	int cv_rate_steps[FIT_MAX_STEPS];
	double pred[FIT_MAX_STEPS], resid[FIT_MAX_STEPS], sigma[FIT_MAX_STEPS];
	double cv_pred[FIT_MAX_STEPS], cv_rel[FIT_MAX_STEPS];
	bool cv_ok[FIT_MAX_STEPS];
	char note[512];		/* why regressors were dropped or held at zero */
	/* the share of the stage's time before the hook where a rule drops a packet in it
	 * (head_samples / samples over the steps; docs/fit.md "A drop's own work"); the
	 * standard error of that ratio from the steps' scatter; has_head false without samples
	 * in the head */
	bool has_head;
	double head_share, head_share_se;
};

/* A drop's own work at the stage a variant drops in (docs/fit.md, "A drop's own work"): per
 * packet dropped there, what the stage's measured time holds beyond the baseline costs at the
 * step's own counts. One coefficient, weighted least squares through the origin over the
 * variant steps, held at 0 if negative. */
struct fit_drop {
	bool fitted;
	bool at_zero;		/* the optimum was negative */
	int n, files;		/* variant steps and files used */
	/* weighted sums over the steps, x = drops, y = measured - baseline costs at the counts */
	double sxx, sxy, syy;
	double sxz[COEF_COUNT];	/* sum w x x_j over the baseline regressors x_j */
	bool relative;		/* some weights only relative (not perf_event) */
	double ns, se;		/* per packet dropped */
	double se_base;		/* the part of se from the baseline costs' standard errors */
	double chi2;
	int dof;
	char source[512];	/* "FILE (VARIANT, N steps); ..." */
};

struct fit_result {
	struct fit_stage_result stage[STAGE_COUNT];
	struct fit_drop drop[STAGE_COUNT];
	/* the cold ramp's onset (fit_data.cold_from_us) and, when fit_all() chose it
	 * (cold_from_chosen), the summed chi² of the stages with a cold term at each onset tried,
	 * k x FIT_COLD_FROM_STEP_US */
	double cold_from_us;
	bool cold_from_chosen;
	double cold_from_chi2[FIT_COLD_FROM_N];
};

/* The regressors @x of packets a rule drops in their stage, who pay only its head: the
 * per-packet, per-byte and cold counts times @share (head_share; model/sim.c likewise). */
void fit_scale_head(double x[COEF_COUNT], double share);

/* Reads @path into @d (allocated by the caller, ~150 kB: use the heap). */
int fit_read_csv(const char *path, struct fit_data *d, char *err, size_t len);

/* The machine's usual speed in @d: per canary role, the median over the steps whose three
 * canary columns are all > 0 (a step the host slowed moves a median little). Returns how many
 * steps that is (0: none ran the canary; @ref untouched). */
int fit_canary_reference(const struct fit_data *d, double ref[CANARY_ROLES]);

/* Whether canaries @c (CANARY_ROLES of them) show a slowed vCPU: one of them above
 * (1 + @tol_pct %) times @ref's. */
bool fit_canary_slowed(const double *c, const double *ref, double tol_pct);

/* Drops from @d the steps with a canary above (1 + @tol %) times @ref (steps without canaries
 * stay); returns how many went. */
int fit_drop_slowed(struct fit_data *d, const double ref[CANARY_ROLES], double tol);
/* The regressors of stage @stage in step @i (enum fit_coef order): what the fit multiplies the
 * unit costs by, and what validate's "at measured counts" multiplies a calibration's costs by. */
void fit_regressors(const struct fit_data *d, int stage, int i, double x[COEF_COUNT]);
/* The stages with a cost per packet consumed on another CPU (COEF_REMOTE): those the receive
 * path runs for a packet after the softirq stage. */
bool fit_remote_stage(int st);
/* The stages with a cold cost (COEF_COLD): those a poll runs for its packets before the socket
 * enqueue, and the skb free (softirq). Transport's cold start is in its wake-up terms, but
 * for threaded steps, whose receiver is woken on a running CPU (fit_cold_in_step()). */
bool fit_cold_stage(int stage);
/* Whether stage @stage has a cold regressor in step @i of @d. */
bool fit_cold_in_step(const struct fit_data *d, int stage, int i);
/* Step @sp's cold polls with the ramp starting at @from_us: polls x min(1, max(0, gap -
 * from_us) / FIT_COLD_US); 0 without a gap. */
double fit_cold_polls(const struct fit_step *sp, double from_us);
/* Sets @d's cold ramp onset and every step's fit_step.cold from it (threaded steps; the others
 * ramp from 0). */
void fit_set_cold_from(struct fit_data *d, double from_us);
/* Whether @d has a threaded step with a gap between polls, for which the onset counts. */
bool fit_cold_onset_applies(const struct fit_data *d);

/* Fits one stage. -EDOM (with a message) if the stage has fewer steps than its regressors + 1. */
int fit_stage(const struct fit_data *d, int stage, struct fit_stage_result *r, char *err,
	      size_t len);

/* Adds the steps of drop variant measurements @v to @res->drop, against the baseline fit in
 * @res of the measurements @base (same NAPI mode). @ref (CANARY_ROLES, or NULL): leave out the
 * steps with a canary more than @tol % above it. -EINVAL with a message naming the file on
 * anything that does not fit: a baseline file, an unknown variant, another NAPI mode, no drop
 * count, the drop stage not measured. */
int fit_drop_add(const struct fit_data *base, struct fit_result *res, struct fit_data *v,
		 const double *ref, double tol, char *err, size_t len);
/* Finishes every stage's drop fit that fit_drop_add() fed. */
void fit_drop_finish(struct fit_result *res);

/* Fits every stage in @d. With threaded steps it first sets @d's cold ramp onset as
 * @d->cold_mode says; FIT_COLD_AUTO: the one of 0..FIT_COLD_FROM_MAX_US with the least chi²
 * summed over the stages with a cold term. */
int fit_all(struct fit_data *d, struct fit_result *res, char *err, size_t len);

/* Writes the calibration atomically (temp file, calibration_load() self-check, rename). On error
 * nothing is left at @path. Provenance comes from the running machine and from @d. */
int fit_write_calibration(const char *path, const char *name, const struct fit_data *d,
			  const struct fit_result *res, char *err, size_t len);

/* The whole command: read, fit, print, write. Returns the exit status (0, or 1 on bad input). */
int fit_main(const struct fit_opts *o);

#endif
