# Figure 1, the paper's Fig. 3 on the testbed: CPU time per stage against bandwidth, threaded
# NAPI. Lines: rxmodel with configs/testbed-threaded.cfg and its fitted calibration, with the
# calibration's standard error as a band; points: rxcalibrate's live steps (fitted rates and the
# held-out rates the fit never saw).
width = 1000; height = 760
load gpdir.'/common.gp'
model = figdir.'/model-testbed-threaded.csv'
meas = figdir.'/measured-testbed-threaded.csv'

# paper metric (column prefix), its stages (for the band), panel title
metric = "poll_time skb_prep_time ip_time ip_to_transport_time"
stages = "poll+xdp+gro skb_prep ip ip_to_transport"
titles = "'total packet poll time (poll + xdp + gro)' 'skb-ip prep time (skb_prep)' \
'total IP processing time (ip)' 'IP to transport time (ip_to_transport)'"
# stages are independent in the band, as rxmodel's receive total (docs/report.md)
se(list) = sqrt(sum [j = 1:words(list)] \
	column(word(list, j) . '_cpu_se_ns_per_s') ** 2) / 1e6
y(i) = ms(word(metric, i) . '_ns_per_s')

set multiplot layout 2, 2 title "CPU time per stage against bandwidth: threaded NAPI testbed, measured and predicted"
set xrange [0:700]
set yrange [0:*]
set xlabel 'offered UDP payload (Mbit/s)'
set ylabel 'CPU (ms per s)'
do for [i = 1:4] {
	set title word(titles, i)
	# room above the data for the key, which only the first panel has
	if (i == 1) { set offsets 0, 0, graph 0.3, 0 } else { unset key; set offsets 0, 0, 0, 0 }
	st = word(stages, i)
	st = (st eq 'poll+xdp+gro') ? 'poll xdp gro' : st
	plot model using (Mbps('offered_bps')):(y(i) - se(st)):(y(i) + se(st)) \
			with filledcurves ls 4 title 'model ± se (calibration)', \
	     model using (Mbps('offered_bps')):(y(i)) with lines ls 1 title 'model', \
	     meas using (Mbps('offered_bps')):(column('heldout') == 0 ? y(i) : NaN) \
			with points ls 2 title 'measured, fitted rate', \
	     meas using (Mbps('offered_bps')):(column('heldout') == 1 ? y(i) : NaN) \
			with points ls 3 title 'measured, held-out rate (150, 600M)'
}
unset multiplot
