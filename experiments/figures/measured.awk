# One row per rate step from an rxcalibrate measurements.csv (one row per step and stage,
# docs/measurements-csv.md), in rxmodel's CSV column names and units (docs/report.md) so that a
# figure reads the model and the measurement alike:
#   awk -F, -v heldout="150e6 600e6" -f measured.awk measurements.csv
# heldout lists the requested rates (bit/s) the fit did not use; the column `heldout` is 1 there.
# The paper metrics sum the same stages as rxmodel's (model/stage.c): poll time = poll + xdp + gro.
# rx_total sums every measured stage (method not `none`) but app and cs, as rxcalibrate validate.
BEGIN {
	n = split(heldout, h, " ")
	for (i = 1; i <= n; i++)
		held[h[i] + 0] = 1
	OFS = ","
}
NR == 1 {
	for (i = 1; i <= NF; i++)
		c[$i] = i
	next
}
{
	k = $c["step"]
	if (!(k in dur)) {
		order[++nsteps] = k
		req[k] = $c["rate_requested_bps"]
		off[k] = $c["offered_bps"]
		dur[k] = $c["duration_s"]
		var[k] = ("variant" in c) ? $c["variant"] : "baseline"
		polls[k] = $c["polls"]
	}
	s = $c["stage"]
	cpu[k, s] = $c["cpu_ns"] / $c["duration_s"]
	calls[k, s] = $c["calls"] / $c["duration_s"]
	if (s == "poll")
		pkts[k] = $c["packets"]
	if ($c["method"] != "none" && s != "app" && s != "cs")
		rx[k] += cpu[k, s]
}
END {
	print "step", "rate_requested_bps", "offered_bps", "seconds", "heldout", "variant",
	      "poll_time_ns_per_s", "skb_prep_time_ns_per_s", "ip_time_ns_per_s",
	      "ip_to_transport_time_ns_per_s", "cs_time_ns_per_s", "rx_total_ns_per_s",
	      "cs_per_s", "polls_per_s", "pkts_per_poll"
	for (i = 1; i <= nsteps; i++) {
		k = order[i]
		print k, req[k], off[k], dur[k], ((req[k] + 0) in held) ? 1 : 0, var[k],
		      cpu[k, "poll"] + cpu[k, "xdp"] + cpu[k, "gro"], cpu[k, "skb_prep"],
		      cpu[k, "ip"], cpu[k, "ip_to_transport"], cpu[k, "cs"], rx[k],
		      calls[k, "cs"], polls[k] / dur[k], (polls[k] > 0 ? pkts[k] / polls[k] : 0)
	}
}
