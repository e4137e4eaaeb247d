/* Scenario configuration and calibration: the schema shared by config files and the command line.
 * Defaults are loaded into the struct first, the file is overlaid, then the command line
 * (config_* functions never leave a half-filled struct: on error the caller discards it).
 * Every key is documented in docs/config.md. */
#ifndef RX_CONFIG_H
#define RX_CONFIG_H

#include "loghist.h"
#include <limits.h>
#include <stdint.h>

#include <libconfig.h>

#include "stage.h"

#define MAX_CORES 64
#define MAX_QUEUES 64
#define MAX_SIZES 64
#define MAX_VARIANTS 32
#define NAME_LEN 64
#define ERR_LEN 512

enum arrival_kind { ARR_CONSTANT, ARR_POISSON, ARR_ONOFF };
enum nic_mode { NIC_RING, NIC_BACKLOG };
enum napi_mode { NAPI_SOFTIRQ, NAPI_THREADED };
enum cost_dist { DIST_FIXED, DIST_GAMMA, DIST_EXP };
enum path_end { END_SOCKET, END_FORWARD, END_CONSUME };

/* Cost of one stage: per call (its unit in stage_table), per packet and per byte, ns. */
/* The terms of a stage's cost, in the order of a calibration's `cov` (the costs' covariance, row
 * by row): per_call, per_packet, per_byte, deep_wake, per_wake, wake_idle, cold, remote; the
 * fit's own order (calibrate/fit.h, enum fit_coef). */
enum cost_term { TERM_CALL, TERM_PACKET, TERM_BYTE, TERM_DEEP_WAKE, TERM_WAKE, TERM_WAKE_IDLE,
		 TERM_COLD, TERM_REMOTE, TERM_COUNT };

struct stage_cost {
	double per_call_ns, per_packet_ns, per_byte_ns;
	double per_call_se, per_packet_se, per_byte_se;
	enum cost_dist dist;
	double cv;		/* coefficient of variation for gamma */
	double netfilter_share;	/* part of per_packet_ns spent in netfilter hooks */
	double skb_build_ns;	/* poll: part of per_packet_ns after the XDP hook (skb build) */
	/* transport only: the socket enqueue's wake-up of the application sleeping on another
	 * core (IPI), paid by the waker; deep_wake_ns more when that core has been idle for
	 * deep_wake_after_us or longer (a halted vCPU past its host's halt-polling window) */
	double per_wake_ns, per_wake_se, deep_wake_ns, deep_wake_se, deep_wake_after_us;
	/* more per wake-up the longer that core has idled: wake_idle_ns x min(1, idle /
	 * wake_idle_after_us) (a vCPU the host has halted costs a VM exit to wake) */
	double wake_idle_ns, wake_idle_se, wake_idle_after_us;
	/* more for the first packet of a poll the longer its core has not polled: cold_ns x
	 * min(1, max(0, gap since that core's previous poll ended - cold_from_us) /
	 * cold_after_us) (caches and branch predictors the code between polls has taken over;
	 * docs/model.md "Cold polls") */
	double cold_ns, cold_se, cold_after_us, cold_from_us;
	/* the share of per_packet_ns and per_byte_ns paid before the hook where a rule drops a
	 * packet in this stage (tc ingress in ip, the LOCAL_IN netfilter hook in ip_to_transport):
	 * a packet dropped there pays that share (has_head), else the whole stage */
	int has_head;
	double head_share, head_share_se;
	/* more per packet when the buffers its core recycles were last read by the application on
	 * another core: the previous packet polled on the core went to such an application
	 * (docs/model.md "Buffers read on another core") */
	double remote_ns, remote_se;
	/* more per packet a rule drops in this stage: the drop's own work, which no baseline step
	 * has (the rule's evaluation, the free of the dropped skb); fitted from a drop variant's
	 * steps on top of the baseline costs (rxcalibrate fit --drops; docs/model.md "A drop's own
	 * work") */
	double drop_ns, drop_se;
	/* the costs' covariance (ns², cost_term order), from the fit; without it (has_cov 0) the
	 * terms' standard errors are taken as independent */
	double cov[TERM_COUNT][TERM_COUNT];
	int has_cov;
	int present;
	char source[256];
};

/* The host the costs were measured on: the lines of a scenario's cpu and traffic groups that
 * rxcalibrate fit measured in the same steps (the calibration's host group; docs/config.md).
 * config_apply_host() puts them into a scenario. A value <= 0 or a has_ flag 0: not given. */
struct cal_host {
	int present;
	/* cpu: the shallow idle exit's histogram, the deep one and the halt-polling window */
	double idle_exit_hist[LOGHIST_SLOTS];
	int has_idle_exit_hist;
	double idle_exit_deep_us, halt_poll_us;
	/* traffic: the built-in sender as a thread (applied to a scenario that has one) */
	double sender_call_us, sender_frame_us;
	int has_sender_cost;
	double sender_wake_hist[USHIST_BINS];
	int has_sender_wake_hist;
	double sender_wake_by_sleep[SLEEP_CLASSES][USHIST_BINS];
	int has_sender_wake_by_sleep[SLEEP_CLASSES];
};

#define CAL_MAX_FIT_RATES 64	/* distinct fit rates kept from a calibration's provenance */

struct calibration {
	char name[NAME_LEN];
	char path[PATH_MAX];
	char method[NAME_LEN];
	char kernel[128];
	char cpu[128];
	/* the speed canary's medians over the fit's steps (provenance canary_rx_ns, canary_app_ns,
	 * canary_tx_ns; rxcalibrate's calibrate/canary.h), 0: not recorded */
	double canary_ns[3];
	/* the distinct rates the fit used (provenance rates_requested_bps), bit/s */
	double fit_rates[CAL_MAX_FIT_RATES];
	int nfit_rates;
	struct stage_cost stage[STAGE_COUNT];
	struct cal_host host;
};

struct variant {
	char name[NAME_LEN];
	char description[160];
	uint32_t skip_mask;	/* stages removed from the path */
	uint32_t add_mask;	/* stages added to the path */
	double drop[STAGE_COUNT];	/* drop share override, < 0: unchanged */
	double scale[STAGE_COUNT];	/* per-packet cost factor, 1: unchanged */
	int netfilter_off;	/* scale ip/ip_to_transport by (1 - netfilter_share) */
	int path_end;		/* -1: unchanged */
	int app_cpu;		/* the application's core; -1: unchanged */
	int napi_cpu;		/* threaded: every NAPI kthread's core; -1: unchanged */
};

struct model_config {
	char name[NAME_LEN];
	char path[PATH_MAX];
	/* config_apply_host() put the calibration's idle exits in, and its sender's lines */
	int host_from_cal, host_sender_from_cal;

	/* cpu / scheduler */
	int cores;
	int hz;
	double slice_us;	/* scheduler time slice with several runnable threads */
	double wakeup_gran_us;	/* a woken thread preempts when this far behind in vruntime */
	double idle_exit_us;	/* a thread woken on an idle core runs this much later (leaving
				 * the idle state: a halted vCPU's wake-up IPI, C-state exit) */
	double idle_exit_cv;	/* > 0: that delay is gamma distributed with this CV */
	/* > 0: a core idle for idle_exit_deep_after_us or longer takes idle_exit_deep_us instead
	 * (a vCPU its host has stopped polling for and descheduled) */
	double idle_exit_deep_us, idle_exit_deep_after_us;
	/* > 0: instead of idle_exit_deep_after_us, the host's adaptive halt polling (KVM's
	 * halt_poll_ns) decides which wake-ups find the vCPU halted: a per-core polling window,
	 * up to halt_poll_us, grown (x halt_poll_grow, from halt_poll_grow_start_us) after a
	 * halt shorter than the maximum, cut (/ halt_poll_shrink, 0: to 0) after a longer one;
	 * a wake-up within the window is shallow, a later one deep (docs/model.md) */
	double halt_poll_us, halt_poll_grow_start_us;
	int halt_poll_grow, halt_poll_shrink;
	/* cpu.idle_exit_hist: the shallow idle exit drawn from this log2 histogram (weights per
	 * slot, model/loghist.h) instead of idle_exit_us; has_idle_exit_hist says it is set */
	double idle_exit_hist[LOGHIST_SLOTS];
	int has_idle_exit_hist;

	/* nic */
	enum nic_mode nic_mode;
	double line_rate_bps;
	int queues;
	int ring;		/* descriptors per queue (or netdev_max_backlog in backlog mode) */
	int refill_batch;
	double itr_us;
	int adaptive_itr;
	double itr_min_us, itr_max_us;
	int irq_cpu[MAX_QUEUES];
	int n_irq_cpu;

	/* napi / softirq */
	enum napi_mode napi_mode;
	int weight;
	int budget;
	int budget_usecs;
	int thread_cpu[MAX_QUEUES];
	int n_thread_cpu;
	int max_restart;
	int max_softirq_us;
	int defer_to_ksoftirqd;

	/* traffic */
	double bw_bps;		/* UDP payload bits/s (iperf3 -b); used when pps == 0 */
	double pps;
	enum arrival_kind arrivals;
	double on_us, off_us;
	int burst;		/* constant arrivals: frames sent back to back per burst */
	double burst_us;	/* > 0: burst = ceil(rate x burst_us), a sender paced every burst_us */
	/* paced sender: each burst leaves after the sender's own wake-up from its timer, drawn
	 * from the cpu group's shallow idle exit (idle_exit_hist, else idle_exit_us / _cv); the
	 * schedule stays absolute, so a late burst can run into the next */
	int sender_wakes;
	int sender_cpu;		/* >= 0: the sender runs on this core and sends no frame while
				 * NET_RX runs there (veth testbed); -1: an independent source */
	/* > 0 (either): the paced sender is a thread on sender_cpu that takes sender_call_us of
	 * CPU per burst (its sendmmsg call, the return from its timer) and sender_frame_us per
	 * frame before that frame leaves, and sleeps until the next burst's time when ahead of
	 * its schedule, waking through that core's idle exit */
	double sender_call_us, sender_frame_us;
	/* traffic.sender_wake_hist: the sender thread's time from its timer's deadline to running
	 * (measurements.csv tx_wake_hist), drawn instead of its core's idle exit */
	double sender_wake_hist[USHIST_BINS];
	int has_sender_wake_hist;
	/* traffic.sender_wake_by_sleep: the same by the sleep's length (sleep_class(),
	 * model/loghist.h: under 16, 32, 64 us, longer), drawn instead where given */
	double sender_wake_by_sleep[SLEEP_CLASSES][USHIST_BINS];
	int has_sender_wake_by_sleep[SLEEP_CLASSES];
	int flows;
	int nsizes;
	uint32_t size[MAX_SIZES];	/* Ethernet frame bytes incl. FCS */
	double size_weight[MAX_SIZES];

	/* path */
	uint32_t path_mask;	/* stages on a packet's path */
	double drop[STAGE_COUNT];	/* share dropped at each stage (firewall rule) */
	enum path_end path_end;

	/* socket / application */
	uint64_t rcvbuf;
	uint32_t truesize;
	int app_enabled;
	int app_cpu;
	int app_batch;		/* datagrams per call: 1 recvmsg, > 1 recvmmsg vlen */
	int bg_enabled;
	int bg_cpu;

	/* run */
	uint64_t duration_ns;
	uint64_t warmup_ns;
	uint64_t seed;
	int batches;

	char calibration_path[PATH_MAX];
	struct calibration cal;

	struct variant variant[MAX_VARIANTS];
	int nvariants;
};

/* Fills @c with the built-in defaults (kernel defaults, one i40e queue). */
/* Errors of a libconfig file naming file:line (the setting's line where libconfig knows it). */
struct config_err {
	const char *file;
	char *err;
	int errlen;
};
/* Formats "FILE:LINE: message" (or "FILE: message") into l->err; returns -EINVAL. */
int config_fail(const struct config_err *l, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Parses @path into @cfg (config_init'ed) with every @include checked first and resolved against
 * @path's directory; 0, or -errno with one "FILE:LINE: message" line in l->err. */
int config_parse_file(config_t *cfg, const char *path, struct config_err *l);
/* @rel as named in @file: relative paths are taken from @file's directory. */
void config_dir_join(const char *file, const char *rel, char *out, size_t len);
/* Replaces control characters (a newline in a quoted path or value) by '?': one printable line. */
void config_one_line(char *msg);

void config_defaults(struct model_config *c);

/* Overlays the scenario file @path; loads the calibration it names unless @cal_override is set.
 * On error returns -errno and writes "file:line: message" into @err. */
int config_load(struct model_config *c, const char *path, const char *cal_override, char *err,
		int errlen);

/* Loads a calibration file into @cal. Same error convention. */
int calibration_load(struct calibration *cal, const char *path, char *err, int errlen);

/* Checks cross-field consistency (cpus in range, sizes, rates); same error convention. */
int config_validate(const struct model_config *c, char *err, int errlen);

/* Applies the named variant (built-in or from the config) to @c; -ENOENT if unknown. */
int config_apply_variant(struct model_config *c, const char *name, char *err, int errlen);

/* Replaces @c's idle exits and, when it simulates the sender as a thread (traffic.sender_call_us
 * or sender_frame_us > 0), the sender's lines by those of its calibration's host group: what was
 * measured with the costs. A key the group lacks keeps the scenario's value. -ENOENT (with a
 * message) if the calibration has no host group; then config_validate() as usual. */
int config_apply_host(struct model_config *c, char *err, int errlen);

/* Names of the built-in variants, NULL-terminated. */
extern const char *const builtin_variant_names[];

/* Frame bytes -> UDP payload bytes (frame - 14 Ethernet - 4 FCS - 20 IPv4 - 8 UDP). */
static inline double frame_payload(double frame)
{
	return frame - 46;
}

/* Frame bytes -> bits on the wire (+ 8 preamble/SFD + 12 inter-frame gap). */
static inline double frame_wire_bits(double frame)
{
	return (frame + 20) * 8;
}

double config_mean_frame(const struct model_config *c);
/* Offered packets/s from bw or pps, before the line-rate cap. */
double config_offered_pps(const struct model_config *c);

#endif
