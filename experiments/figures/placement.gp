# Figure 6: the VNF placement answer of rxmodel --placement configs/gilan-chain.cfg --search
# (experiments/figures.sh PLACEMENT_BW and PLACEMENT_LIMITS): the fewest cores per network
# function meeting the limits, coloured by the server instance it was packed onto; above each
# bar its queues, busiest core and p99 latency at its share of the traffic.
width = 1000; height = 480
load gpdir.'/common.gp'
ans = figdir.'/model-placement-search.csv'

stats ans using 'cores' name 'c' nooutput
stats ans using (column('instance')) name 'inst' nooutput
stats ans using (Gbps('total_bw_bps')) name 'tot' nooutput
set title sprintf("VNF placement (configs/gilan-chain.cfg) at %g Gbit/s, %s: %d cores on %d servers", \
	tot_max, limits, int(c_sum), int(inst_max) + 1)
set style fill solid 0.85 border lc rgb '#ffffff'
set boxwidth 0.6
set xrange [-0.6:c_records - 0.4]
set yrange [0:c_max + 1.5]
set ytics 1
set ylabel 'cores (dedicated, with their rx queues)'
set grid noxtics
unset key
colour(i) = i == 0 ? 0x1f5fa8 : i == 1 ? 0xe08a00 : i == 2 ? 0x2a9d8f : 0x999999
plot ans using 0:'cores':(colour(column('instance'))):xtic(stringcolumn('function')) \
		with boxes lc rgb variable notitle, \
     ans using 0:'cores':(sprintf("%s #%d, %dq\nbusiest core %.0f %%\np99 %.0f us", \
		stringcolumn('server'), column('instance'), column('queues'), \
		100 * column('cpu_max_core'), column('p99_ns') / 1e3)) \
		with labels offset 0, 2.8 notitle
