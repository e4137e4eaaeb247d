/* The receive-path stage vocabulary, defined once and shared by the probes (calibrate/), the fit,
 * the simulator and every report. The order of enum stage is the order a locally delivered packet
 * meets the stages; STAGE_COUNT bounds every per-stage array in the project. */
#ifndef RX_STAGE_H
#define RX_STAGE_H

enum stage {
	STAGE_IRQ,		/* hard IRQ handler: i40e_intr / irq:irq_handler_entry..exit */
	STAGE_SOFTIRQ,		/* net_rx_action's own overhead, per invocation */
	STAGE_POLL,		/* driver NAPI poll: descriptors, skb build, refill */
	STAGE_XDP,		/* native XDP program run inside the poll */
	STAGE_GRO,		/* napi_gro_receive / GRO list flush */
	STAGE_SKB_PREP,		/* napi_complete_done -> netif_receive_skb */
	STAGE_IP,		/* netif_receive_skb -> ip_local_deliver (tc, nf prerouting, ip_rcv, route) */
	STAGE_IP_TO_TRANSPORT,	/* ip_local_deliver -> udp_rcv (netfilter input) */
	STAGE_TRANSPORT,	/* udp_rcv -> socket enqueue */
	STAGE_FORWARD,		/* ip_forward -> ip_output (netfilter forward, TTL, neighbour) */
	STAGE_TX,		/* dev_queue_xmit -> driver xmit of a forwarded packet */
	STAGE_APP,		/* recvmsg and the copy to user space */
	STAGE_CS,		/* context switches, all CPUs */
	STAGE_COUNT
};

/* What one "call" of a stage is, for per-call costs and calls/s in reports. */
enum stage_unit {
	UNIT_IRQ,	/* one hard interrupt */
	UNIT_INVOKE,	/* one net_rx_action invocation */
	UNIT_POLL,	/* one NAPI poll (a batch of packets) */
	UNIT_PACKET,	/* one packet */
	UNIT_SYSCALL,	/* one recvmsg call */
	UNIT_SWITCH,	/* one context switch */
};

/* The paper's metrics (Sharma et al.), each a sum of stages. */
enum paper_metric {
	METRIC_NONE = -1,
	METRIC_POLL,		/* total packet poll time */
	METRIC_SKB_PREP,	/* skb-ip prep time */
	METRIC_IP,		/* total IP processing time */
	METRIC_IP_TO_TRANSPORT,	/* IP to transport time */
	METRIC_CS,		/* cs time */
	METRIC_COUNT
};

struct stage_info {
	const char *name;	/* config, CSV and report name */
	const char *span;	/* kernel span, for docs and `rxcalibrate probe` */
	enum stage_unit unit;
	enum paper_metric metric;
	int per_packet;		/* 1 if the stage is on a packet's path (vs irq/softirq/cs) */
};

extern const struct stage_info stage_table[STAGE_COUNT];
extern const char *const paper_metric_names[METRIC_COUNT];

/* Returns the stage named @name, or -ENOENT. */
int stage_lookup(const char *name);
const char *stage_name(enum stage s);
const char *stage_unit_name(enum stage_unit u);
/* Whether a packet dropped at stage @drop (a rule, path.drop) has its drop's own work in stage
 * @st, whose drop_ns then charges it: the dropping stage itself, and for a drop at the XDP hook
 * also poll, since the driver's poll function frees or recycles the dropped buffer (veth:
 * veth_xdp_rcv_skb's kfree_skb; i40e: the page recycled in i40e_clean_rx_irq). */
int stage_holds_drop(enum stage drop, enum stage st);

/* Whether a rule can drop a packet in stage @st (path.drop): the stages a poll runs for its
 * packets, not irq, softirq, app or cs; they alone take drop_ns and head_share. */
int stage_can_drop(enum stage st);

#endif
