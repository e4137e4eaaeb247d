# CPU saved by each variant against the baseline, from an rxmodel CSV report (docs/report.md)
# whose first row is the baseline at the same rate:
#   awk -F, -f saved.awk variants.csv
# One row per other variant: the saving in ns/s per group of stages (the paper metrics, then
# transport, app, cs and the rest), the total over every stage, and the total as a share of the
# baseline's total. A negative number is CPU the variant costs more.
BEGIN {
	OFS = ","
	ng = split("poll_time skb_prep_time ip_time ip_to_transport_time transport app cs other", g, " ")
	grp["poll"] = grp["xdp"] = grp["gro"] = "poll_time"
	grp["skb_prep"] = "skb_prep_time"
	grp["ip"] = "ip_time"
	grp["ip_to_transport"] = "ip_to_transport_time"
	grp["transport"] = "transport"
	grp["app"] = "app"
	grp["cs"] = "cs"
}
NR == 1 {
	for (i = 1; i <= NF; i++) {
		name[i] = $i
		if ($i ~ /_cpu_ns_per_s$/) {
			st = $i
			sub(/_cpu_ns_per_s$/, "", st)
			stage[i] = (st in grp) ? grp[st] : "other"
		}
		if ($i == "offered_bps")
			cb = i
		if ($i == "variant")
			cv = i
	}
	printf "variant,offered_bps"
	for (j = 1; j <= ng; j++)
		printf ",%s_saved_ns_per_s", g[j]
	print ",total_saved_ns_per_s,baseline_total_ns_per_s,saved_share"
	next
}
{
	for (j = 1; j <= ng; j++)
		v[g[j]] = 0
	tot = 0
	for (i in stage) {
		v[stage[i]] += $i
		tot += $i
	}
	if (NR == 2) {
		if ($cv != "baseline") {
			print "saved.awk: the first run must be the baseline, not " $cv > "/dev/stderr"
			exit 1
		}
		for (j = 1; j <= ng; j++)
			base[g[j]] = v[g[j]]
		btot = tot
		next
	}
	printf "%s,%s", $cv, $cb
	for (j = 1; j <= ng; j++)
		printf ",%.6g", base[g[j]] - v[g[j]]
	printf ",%.6g,%.6g,%.6g\n", btot - tot, btot, (btot > 0 ? (btot - tot) / btot : 0)
}
