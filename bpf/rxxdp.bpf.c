// SPDX-License-Identifier: GPL-2.0
/* The testbed's programs on the receiving veth.
 *
 * rxc_xdp: native XDP. With an XDP program attached the veth runs its own NAPI instance (ring of
 * 256, weight 64) instead of the per-CPU backlog. It counts what it saw (xdp_packets: every frame
 * the veth's NAPI polls) so the testbed can cross-check packet counts, and rxcalibrate --probes
 * lean takes that count as the polled frames instead of running napi_poll per frame (a .bss
 * increment: under 1 ns per run in BPF_PROG_TEST_RUN, the whole program 5-6 ns). With xdp_drop
 * set (variant xdp-drop) it returns XDP_DROP for the UDP test flow, before any skb is built for
 * it (those frames are counted too: they were polled). Everything else (ARP above all) passes, so
 * the sender's neighbour entry still resolves.
 *
 * rxc_tc_drop: a cls_bpf direct-action filter on the clsact ingress hook (variant tc-drop):
 * TC_ACT_SHOT for the UDP test flow in __netif_receive_skb_core, before ip_rcv. A BPF filter
 * because it needs no classifier or action module beyond cls_bpf (many kernels, this project's
 * development VM among them, have neither cls_flower/matchall nor act_gact).
 *
 * Both are set before load (rodata): with xdp_drop false the verifier removes the flow test, so
 * the baseline's XDP program costs what it always did. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define RXC_ETH_P_IP 0x0800
#define RXC_TC_ACT_OK 0
#define RXC_TC_ACT_SHOT 2

const volatile bool xdp_drop = false;
const volatile __u32 drop_daddr = 0;	/* network order: the testbed's rx address */
const volatile __u16 drop_dport = 0;	/* host order: the test flow's UDP port */

__u64 xdp_packets[128];
__u64 xdp_drops[128];
__u64 tc_drops[128];

/* IPv4 UDP to drop_daddr:drop_dport, in an Ethernet frame [data, end). */
static __always_inline bool test_flow(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(RXC_ETH_P_IP))
		return false;
	if (ip->protocol != IPPROTO_UDP || ip->daddr != drop_daddr || ip->ihl < 5)
		return false;
	udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > end)
		return false;
	return udp->dest == bpf_htons(drop_dport);
}

SEC("xdp")
int rxc_xdp(struct xdp_md *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id() & 127;

	xdp_packets[cpu]++;
	if (xdp_drop && test_flow((void *)(long)ctx->data, (void *)(long)ctx->data_end)) {
		xdp_drops[cpu]++;
		return XDP_DROP;
	}
	return XDP_PASS;
}

SEC("tc")
int rxc_tc_drop(struct __sk_buff *skb)
{
	if (test_flow((void *)(long)skb->data, (void *)(long)skb->data_end)) {
		tc_drops[bpf_get_smp_processor_id() & 127]++;
		return RXC_TC_ACT_SHOT;
	}
	return RXC_TC_ACT_OK;
}
