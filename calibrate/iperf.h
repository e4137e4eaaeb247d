/* `rxcalibrate run --generator iperf3`: the traffic of each rate step comes from iperf3, as in the
 * paper, instead of the built-in sender and receiver. Per step:
 *  - an iperf3 server (`-s -1 -J -B 198.18.0.2 -p 5201`) in the receiving namespace, pinned to
 *    --rx-cpu;
 *  - once it listens, an iperf3 UDP client (`-c 198.18.0.2 -B 198.18.0.1 -p 5201 -u -b RATE
 *    -l PAYLOAD -t T -J`) in the sending namespace, pinned to --tx-cpu;
 *  - the sweep's warm-up starts when the first datagrams reach the server's namespace (Udp
 *    InDatagrams of /proc/<server>/net/snmp); T covers warm-up + measurement, rounded up to whole
 *    seconds (iperf3 -t takes an integer) with at least 0.25 s to spare;
 *  - after the window: the client's JSON is read (achieved rate, packets, the server's lost
 *    count), both are reaped.
 * Processes are started without a shell: fork, setns() into the testbed namespace, pin, execv.
 * Each runs in its own process group with PR_SET_PDEATHSIG = SIGKILL; iperf__stop() kills both
 * groups and reaps them (success, error, SIGINT, SIGTERM). Addresses are the testbed's
 * (testbed.h, inside 198.18.0.0/15), never taken from the command line. */
#ifndef RXC_IPERF_H
#define RXC_IPERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RXC_IPERF_PROG "iperf3"
#define RXC_IPERF_PORT 5201
#define RXC_IPERF_MAXARGS 32

/* What the client's JSON says about the whole run (its end.sum_sent / end.sum_received, or
 * end.sum for iperf3 versions without them). */
struct iperf_result {
	double seconds;		/* the sender's test duration */
	double sent_bps;	/* payload bits/s the client achieved */
	uint64_t sent_packets;
	uint64_t recv_packets;	/* as the server counted them (0 if unknown) */
	uint64_t lost_packets;	/* sequence gaps seen by the server */
	double lost_percent;
};

/* argv of the server and the client for one step; strings live in the struct. */
struct iperf_args {
	char rate[32], len[16], secs[16], port[8], win[32];
	char *srv[RXC_IPERF_MAXARGS], *cli[RXC_IPERF_MAXARGS];
};

struct iperf_gen {
	bool active;
	bool verbose;
	char path[4096];		/* iperf3 resolved in PATH */
	pid_t srv, cli;			/* running children, 0 = none */
	int srv_out, cli_out, cli_err, srv_err;	/* memfds with their output, -1 = none */
	struct iperf_args args;
};

/* Pure: the argv of both sides (@prog as argv[0]); @seconds >= 1, @rcvbuf 0 = kernel default
 * (else -w, which iperf3 applies to both sockets). 0 or -EINVAL. */
int iperf_args_build(struct iperf_args *a, const char *prog, double rate_bps, int payload,
		     int seconds, uint64_t rcvbuf);

/* Pure: iperf3's -t for a warm-up and a measurement window: whole seconds covering both plus at
 * least 0.25 s. */
int iperf_seconds(uint64_t warmup_ns, uint64_t duration_ns);

/* Pure: parses the client's -J output. 0, or -EINVAL with a message (iperf3's own "error" if it
 * reported one). */
int iperf_parse_json(const char *json, struct iperf_result *r, char *err, size_t len);

/* Finds iperf3 in PATH. -ENOENT with a message naming the program and the package. */
int iperf__init(struct iperf_gen *g, bool verbose, char *err, size_t len);

/* Starts the server in @nsfd_rx pinned to @rx_cpu, waits until it listens, starts the client in
 * @nsfd_tx pinned to @tx_cpu, waits until its datagrams arrive (at most 5 s each). 0, -EINTR when
 * *@stop was set, or -errno with a message. On error whatever was started is stopped. */
int iperf__start(struct iperf_gen *g, int nsfd_rx, int nsfd_tx, int rx_cpu, int tx_cpu,
		 double rate_bps, int payload, int seconds, uint64_t rcvbuf, volatile int *stop,
		 char *err, size_t len);

/* Udp InDatagrams of the server's network namespace (/proc/<server>/net/snmp). */
int iperf__server_udp_in(const struct iperf_gen *g, uint64_t *v);

/* Waits for the client to end (at most @timeout_ns), parses its JSON, stops both. 0, -EINTR, or
 * -errno with a message. */
int iperf__finish(struct iperf_gen *g, uint64_t timeout_ns, volatile int *stop,
		  struct iperf_result *r, char *err, size_t len);

/* Kills (SIGKILL to each process group) and reaps both children, closes the memfds. Safe to call
 * more than once and on a half-started step. */
void iperf__stop(struct iperf_gen *g);

#endif
