# Figure 4: capacity of the Gi-LAN server of configs/gilan.cfg (published calibration): CPU
# utilisation per core and drop share against the offered rate, with the knee, the largest rate
# rxmodel --capacity finds meeting the drop limit, marked. Core roles follow gilan.cfg:
# nic.irq_cpus = [0, 1] (one rx queue each), app.cpu = 2, cpu 3 idle.
width = 1000; height = 760
load gpdir.'/common.gp'
sweep = figdir.'/model-gilan-sweep.csv'
cap = figdir.'/model-gilan-capacity.csv'

# limit is 'drop=SHARE%', as given to rxmodel --capacity
limit_pct = real(limit[6:strlen(limit) - 1])
# the knee: the one row of the capacity report, or none when no rate met the limit
found = int(system(sprintf("awk 'END { print NR - 1 }' '%s'", cap))) > 0
if (found) {
	stats cap using (Gbps('offered_bps')) name 'knee' nooutput
	stats cap using (column('drop_share') * 100) name 'kdrop' nooutput
	stats cap using (column('cpu2_util') * 100) name 'kapp' nooutput
	set arrow 1 from knee_max, graph 0 to knee_max, graph 1 nohead dt 2 lw 1.5 lc rgb '#444444'
	knee_label = sprintf("knee %.1f Gbit/s (%s)", knee_max, limit)
} else {
	knee_label = sprintf("no rate meets %s", limit)
}

set multiplot layout 2, 1 title "Capacity of one Gi-LAN firewall server (configs/gilan.cfg): ".knee_label
set xrange [0:40]
set lmargin 10
set xlabel 'offered UDP payload (Gbit/s), 1518-byte frames, Poisson arrivals'

set title 'CPU utilisation per core'
set ylabel 'busy (% of time)'
set yrange [0:105]
set key bottom right
if (found) { set label 1 knee_label at knee_max, graph 0.08 offset 1, 0 }
core = "cpu0_util cpu1_util cpu2_util cpu3_util"
role = "'cpu0: IRQ + NET_RX, rx queue 0' 'cpu1: IRQ + NET_RX, rx queue 1' \
'cpu2: application (recvmsg)' 'cpu3: idle'"
colour = "#1f5fa8 #5fa8d3 #c0392b #999999"
plot for [i = 1:4] sweep using (Gbps('offered_bps')):(column(word(core, i)) * 100) \
		with linespoints lw 2 pt 7 ps 0.5 lc rgb word(colour, i) title word(role, i), \
     cap using (Gbps('offered_bps')):(column('cpu2_util') * 100) \
		with points pt 6 ps 2 lw 2 lc rgb '#000000' title 'run at the knee'

set title 'drop share (log scale; zero is not drawn)'
set ylabel 'dropped (% of packets)'
set logscale y
set yrange [1e-4:100]
set format y '%g'
set key top left
unset label 1
if (found) { set label 1 knee_label at knee_max, graph 0.08 offset 1, 0 }
drops(c) = column('drop_ring') + column('drop_backlog') + column('drop_socket') + \
	column('drop_rule') + column('delivered')
share(c) = drops(0) > 0 ? column(c) * 100 / drops(0) : NaN
pos(v) = v > 0 ? v : NaN
plot sweep using (Gbps('offered_bps')):(pos(column('drop_share') * 100)) \
		with linespoints lw 2 pt 7 ps 0.5 lc rgb '#000000' title 'all drops', \
     sweep using (Gbps('offered_bps')):(pos(share('drop_socket'))) \
		with linespoints lw 1.5 pt 7 ps 0.4 lc rgb '#c0392b' title 'socket (rcvbuf full)', \
     sweep using (Gbps('offered_bps')):(pos(share('drop_ring'))) \
		with linespoints lw 1.5 pt 7 ps 0.4 lc rgb '#1f5fa8' title 'ring (no rx descriptor)', \
     cap using (Gbps('offered_bps')):(pos(column('drop_share') * 100)) \
		with points pt 6 ps 2 lw 2 lc rgb '#000000' title 'run at the knee', \
     limit_pct with lines dt 3 lc rgb '#666666' title sprintf('drop limit %g %%', limit_pct)
unset multiplot
