#include <errno.h>
#include <string.h>

#include "stage.h"

const struct stage_info stage_table[STAGE_COUNT] = {
	[STAGE_IRQ] = { "irq", "hard IRQ handler (i40e_intr; irq:irq_handler_entry/exit)",
			UNIT_IRQ, METRIC_NONE, 0 },
	[STAGE_SOFTIRQ] = { "softirq", "net_rx_action own overhead (irq:softirq_entry/exit vec 3)",
			    UNIT_INVOKE, METRIC_NONE, 0 },
	[STAGE_POLL] = { "poll", "driver NAPI poll (i40e_napi_poll, veth_poll; napi:napi_poll)",
			 UNIT_POLL, METRIC_POLL, 1 },
	[STAGE_XDP] = { "xdp", "native XDP program inside the driver poll", UNIT_POLL, METRIC_POLL,
			1 },
	[STAGE_GRO] = { "gro", "napi_gro_receive / GRO flush (net:napi_gro_receive_entry/exit)",
			UNIT_POLL, METRIC_POLL, 1 },
	[STAGE_SKB_PREP] = { "skb_prep", "napi_complete_done -> netif_receive_skb", UNIT_POLL,
			     METRIC_SKB_PREP, 1 },
	[STAGE_IP] = { "ip",
		       "netif_receive_skb -> ip_local_deliver (tc, nf prerouting, ip_rcv/ip_list_rcv)",
		       UNIT_POLL, METRIC_IP, 1 },
	[STAGE_IP_TO_TRANSPORT] = { "ip_to_transport", "ip_local_deliver -> udp_rcv (nf input)",
				    UNIT_POLL, METRIC_IP_TO_TRANSPORT, 1 },
	[STAGE_TRANSPORT] = { "transport", "udp_rcv -> __udp_enqueue_schedule_skb", UNIT_POLL,
			      METRIC_NONE, 1 },
	[STAGE_FORWARD] = { "forward", "ip_forward -> ip_output (nf forward, neighbour)", UNIT_POLL,
			    METRIC_NONE, 1 },
	[STAGE_TX] = { "tx", "dev_queue_xmit -> driver xmit", UNIT_POLL, METRIC_NONE, 1 },
	[STAGE_APP] = { "app", "recvmsg and copy to user space", UNIT_SYSCALL, METRIC_NONE, 0 },
	[STAGE_CS] = { "cs", "context switch (sched:sched_switch), all CPUs", UNIT_SWITCH,
		       METRIC_CS, 0 },
};

const char *const paper_metric_names[METRIC_COUNT] = {
	[METRIC_POLL] = "total packet poll time",
	[METRIC_SKB_PREP] = "skb-ip prep time",
	[METRIC_IP] = "total IP processing time",
	[METRIC_IP_TO_TRANSPORT] = "IP to transport time",
	[METRIC_CS] = "cs time",
};

int stage_lookup(const char *name)
{
	for (int s = 0; s < STAGE_COUNT; s++)
		if (strcmp(stage_table[s].name, name) == 0)
			return s;
	return -ENOENT;
}

const char *stage_name(enum stage s)
{
	return (unsigned)s < STAGE_COUNT ? stage_table[s].name : "?";
}

int stage_holds_drop(enum stage drop, enum stage st)
{
	return st == drop || (drop == STAGE_XDP && st == STAGE_POLL);
}

int stage_can_drop(enum stage st)
{
	return st != STAGE_IRQ && st != STAGE_SOFTIRQ && st != STAGE_APP && st != STAGE_CS;
}

const char *stage_unit_name(enum stage_unit u)
{
	static const char *const names[] = { "irq", "invocation", "poll", "packet", "syscall",
					     "switch" };
	return (unsigned)u < sizeof(names) / sizeof(names[0]) ? names[u] : "?";
}
