#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "ksyms.h"
#include "sysinfo.h"

static long read_long(const char *path, long dflt)
{
	FILE *f = fopen(path, "r");
	long v;

	if (!f)
		return dflt;
	if (fscanf(f, "%ld", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

static int config_hz(void)
{
	char line[256];
	int hz = 0;
	gzFile z = gzopen("/proc/config.gz", "rb");

	if (z) {
		while (gzgets(z, line, sizeof(line)))
			if (sscanf(line, "CONFIG_HZ=%d", &hz) == 1)
				break;
		gzclose(z);
	}
	if (!hz) {
		struct utsname u;
		char path[256];
		FILE *f;

		if (uname(&u) == 0) {
			snprintf(path, sizeof(path), "/boot/config-%s", u.release);
			f = fopen(path, "r");
			if (f) {
				while (fgets(line, sizeof(line), f))
					if (sscanf(line, "CONFIG_HZ=%d", &hz) == 1)
						break;
				fclose(f);
			}
		}
	}
	return hz;
}

int host_read(struct rxc_host *h)
{
	struct utsname u;
	char line[256];
	FILE *f;

	memset(h, 0, sizeof(*h));
	if (uname(&u) == 0)
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
	h->ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	h->hz = config_hz();
	h->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	h->netdev_budget = read_long("/proc/sys/net/core/netdev_budget", -1);
	h->netdev_budget_usecs = read_long("/proc/sys/net/core/netdev_budget_usecs", -1);
	h->dev_weight = read_long("/proc/sys/net/core/dev_weight", -1);
	h->netdev_max_backlog = read_long("/proc/sys/net/core/netdev_max_backlog", -1);
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *c = strchr(line, ':');
			if (!strncmp(line, "model name", 10) && c) {
				c += 2;
				c[strcspn(c, "\n")] = 0;
				snprintf(h->cpu_model, sizeof(h->cpu_model), "%s", c);
				break;
			}
		}
		fclose(f);
	}
	return 0;
}

static int ethtool(int fd, const char *dev, void *cmd)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* Hard IRQs of the device's receive queues, from /proc/interrupts: lines whose action names the
 * interface (i40e: "i40e-eth0-TxRx-0") or its virtio device's input queues ("virtio2-input.0").
 * Only names are compared; nothing is changed. */
static void dev_irqs(struct rxc_dev *d)
{
	char path[256], link[256], vq[64] = "", line[1024];
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/device", d->name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = 0;
		const char *base = strrchr(link, '/');
		base = base ? base + 1 : link;
		if (!strncmp(base, "virtio", 6))
			snprintf(vq, sizeof(vq), "%.40s-input", base);
	}
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && d->nirqs < RXC_MAX_DEV_IRQS) {
		int irq;
		char *name;
		line[strcspn(line, "\n")] = 0;
		name = strrchr(line, ' ');
		if (sscanf(line, " %d:", &irq) != 1 || !name)
			continue;
		name++;
		if (strstr(name, d->name) || (vq[0] && !strncmp(name, vq, strlen(vq))))
			d->irqs[d->nirqs++] = irq;
	}
	fclose(f);
}

static void dev_poll_fn(struct rxc_dev *d)
{
	static const char *const suffixes[] = { "_napi_poll", "_poll", "_clean_rx_irq", NULL };
	static const struct {
		const char *driver, *poll;
	} known[] = {
		{ "virtio_net", "virtnet_poll" }, { "mlx5_core", "mlx5e_napi_poll" },
		{ "mlx4_en", "mlx4_en_poll_rx_cq" }, { "bnxt_en", "bnxt_poll" },
		{ "ena", "ena_io_poll" }, { "vmxnet3", "vmxnet3_poll_rx_only" },
		{ "hv_netvsc", "netvsc_poll" }, { "gve", "gve_napi_poll" },
	};
	struct ksyms *ks = NULL;
	char name[64];

	if (!d->driver[0] || ksyms__load(&ks))
		return;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!strcmp(d->driver, known[i].driver) && ksyms__find(ks, known[i].poll)) {
			snprintf(d->poll_fn, sizeof(d->poll_fn), "%s", known[i].poll);
			ksyms__free(ks);
			return;
		}
	}
	for (int i = 0; suffixes[i]; i++) {
		snprintf(name, sizeof(name), "%s%s", d->driver, suffixes[i]);
		if (ksyms__find(ks, name)) {
			snprintf(d->poll_fn, sizeof(d->poll_fn), "%s", name);
			break;
		}
	}
	ksyms__free(ks);
}

int dev_read(const char *name, struct rxc_dev *d)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ethtool_ringparam rp = { .cmd = ETHTOOL_GRINGPARAM };
	struct ethtool_coalesce co = { .cmd = ETHTOOL_GCOALESCE };
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	char path[256];
	struct dirent *e;
	DIR *dir;
	int fd;

	memset(d, 0, sizeof(*d));
	if (strlen(name) >= IFNAMSIZ || !if_nametoindex(name))
		return -ENODEV;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->rx_ring = d->rx_ring_max = d->rx_usecs = d->rx_frames = d->adaptive_rx = -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (!ethtool(fd, name, &di))
			snprintf(d->driver, sizeof(d->driver), "%s", di.driver);
		if (!ethtool(fd, name, &rp)) {
			d->rx_ring = (int)rp.rx_pending;
			d->rx_ring_max = (int)rp.rx_max_pending;
		}
		if (!ethtool(fd, name, &co)) {
			d->rx_usecs = (int)co.rx_coalesce_usecs;
			d->rx_frames = (int)co.rx_max_coalesced_frames;
			d->adaptive_rx = (int)co.use_adaptive_rx_coalesce;
		}
		if (!ethtool(fd, name, &ch))
			d->combined = (int)ch.combined_count;
		close(fd);
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", name);
	dir = opendir(path);
	if (dir) {
		while ((e = readdir(dir)))
			if (!strncmp(e->d_name, "rx-", 3))
				d->rx_queues++;
		closedir(dir);
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/threaded", name);
	d->threaded = (int)read_long(path, -1);
	dev_irqs(d);
	if (!strcmp(d->driver, "veth"))
		snprintf(d->poll_fn, sizeof(d->poll_fn), "veth_poll");
	else
		dev_poll_fn(d);
	return 0;
}
