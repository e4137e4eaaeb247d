// SPDX-License-Identifier: GPL-2.0
/* XDP_PASS on the testbed's receiving veth: with an XDP program attached the veth runs its own NAPI
 * instance (ring of 256, weight 64) instead of the per-CPU backlog. It counts what it saw so the
 * testbed can cross-check packet counts. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 xdp_packets[128];

SEC("xdp")
int rxc_xdp_pass(struct xdp_md *ctx)
{
	xdp_packets[bpf_get_smp_processor_id() & 127]++;
	return XDP_PASS;
}
