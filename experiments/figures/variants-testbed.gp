# Figure 5b: the testbed's drop variants at 200 Mbit/s, receive-path CPU (every stage but app and
# cs) measured live against rxmodel's prediction from the baseline calibration only (the
# prediction rxcalibrate validate makes), both NAPI modes. The baseline bar is the mean of the
# validation run's two 200 Mbit/s steps. Above each predicted bar: its error against the
# measurement.
width = 1000; height = 440
load gpdir.'/common.gp'

set multiplot layout 1, 2 title "Drop variants at 200 Mbit/s on the testbed: receive-path CPU, measured and predicted"
set style fill solid 0.85 border lc rgb '#ffffff'
set boxwidth 0.35
set xrange [-0.6:3.6]   # four bars: baseline and the three variants
set yrange [0:*]
set offsets 0, 0, graph 0.2, 0
set ylabel 'CPU (ms per s)'
set grid noxtics
set key top right
do for [m in "threaded softirq"] {
	f = figdir.'/variants-testbed-'.m.'.csv'
	set title m.' NAPI (configs/'.(m eq 'threaded' ? 'testbed-threaded' : 'testbed').'.cfg)'
	err(x) = (column('predicted_ns_per_s') / column('measured_ns_per_s') - 1) * 100
	plot f using 0:(0):xtic(1) with points ps 0 notitle, \
	     f using ($0 - 0.18):(ms('measured_ns_per_s')) with boxes lc rgb '#c0392b' \
			title 'measured', \
	     f using ($0 + 0.18):(ms('predicted_ns_per_s')) with boxes lc rgb '#1f5fa8' \
			title 'predicted', \
	     f using ($0 + 0.18):(ms('predicted_ns_per_s')):(ms('predicted_se_ns_per_s')) \
			with yerrorbars lc rgb '#000000' pt 0 ps 0 title '± se', \
	     f using ($0 + 0.18):(ms('predicted_ns_per_s') + ms('predicted_se_ns_per_s')): \
			(sprintf("%+.0f %%", err(0))) with labels offset 0, 0.8 notitle
	unset key
}
unset multiplot
