/* The host facts a calibration depends on: kernel, HZ, NAPI/softirq budgets, and for a device its
 * driver, ring, interrupt moderation, queues and IRQs. Read-only: nothing here changes settings. */
#ifndef RXC_SYSINFO_H
#define RXC_SYSINFO_H

#include <stdbool.h>

#define RXC_MAX_DEV_IRQS 16

struct rxc_host {
	char kernel[128];
	char cpu_model[128];
	int ncpus;
	int hz;			/* CONFIG_HZ, 0 if unknown */
	bool btf;
	long netdev_budget, netdev_budget_usecs, dev_weight, netdev_max_backlog;
};

struct rxc_dev {
	char name[32];
	char driver[32];	/* "" if unknown */
	char poll_fn[64];	/* the driver's NAPI poll function, "" if not resolved */
	int rx_ring, rx_ring_max;	/* -1 if unknown */
	int rx_usecs, rx_frames, adaptive_rx;	/* -1 if unknown */
	int rx_queues, combined;
	int threaded;		/* /sys/class/net/<dev>/threaded, -1 if unknown */
	int nirqs;
	int irqs[RXC_MAX_DEV_IRQS];
};

int host_read(struct rxc_host *h);
/* -ENODEV if @name does not exist (in the current netns). */
int dev_read(const char *name, struct rxc_dev *d);

#endif
