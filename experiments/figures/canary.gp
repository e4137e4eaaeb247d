# Figure 7: the speed canary against the receive path's cost. One-step runs of rxcalibrate at
# 200 Mbit/s (experiments/canary-vs-cost.sh, experiments/data/canary/): the canary of the CPU
# that runs the receive path (ns per iteration, the mean of its runs before and after the step)
# against the receive-path CPU per packet received (every stage but app and cs). A run whose
# canary is more than 15 % above the median (dashed) ran while the host slowed that vCPU; the
# model's costs describe the machine at its usual speed.
width = 1000; height = 420
load gpdir.'/common.gp'

set multiplot layout 1, 2 title "Speed canary against the receive path's cost per packet, 200 Mbit/s, one run per point"
set xlabel "canary on the receive path's CPU (ns per iteration)"
set ylabel 'receive-path CPU per packet (us)'
set xrange [40:*]
set offsets 0, 5, graph 0.05, 0
set yrange [0:*]
unset key
do for [m in 'softirq threaded'] {
	f = figdir.'/canary-'.m.'.csv'
	stats f using 'canary_rx_ns' nooutput
	set title sprintf('%s NAPI (%d runs; dashed: median canary + 15 %%)', m, STATS_records)
	set arrow 1 from STATS_median * 1.15, graph 0 to STATS_median * 1.15, graph 1 nohead \
		dt 2 lc rgb '#808080'
	plot f using 'canary_rx_ns':(column('receive_ns_per_packet') / 1e3) with points ls 2
}
unset multiplot
