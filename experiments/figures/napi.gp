# Figure 3: packets per NAPI poll and polls per second against load, measured and predicted, on
# both testbeds: the batching behind the paper's observation that poll time per packet falls as
# bandwidth rises. Measured: napi:napi_poll count and work of the testbed's veth (rxcalibrate);
# predicted: rxmodel's polls and packets taken per poll. No band: these are dynamics of the
# simulation, not calibrated costs.
width = 1000; height = 760
load gpdir.'/common.gp'

set multiplot layout 2, 2 title "NAPI batching against load: measured and predicted"
set xrange [0:700]
set yrange [0:*]
set offsets 0, 0, graph 0.3, 0
set xlabel 'offered UDP payload (Mbit/s)'
do for [m in "threaded softirq"] {
	model = figdir.'/model-testbed-'.m.'.csv'
	meas = figdir.'/measured-testbed-'.m.'.csv'
	what = (m eq 'threaded') ? 'threaded NAPI (kthread on cpu 1)' : 'softirq NAPI (NET_RX on the sender''s cpu)'

	set title what.': polls per second'
	set ylabel 'NAPI polls per s (thousands)'
	set key top left
	plot model using (Mbps('offered_bps')):(column('polls_per_s') / 1e3) with lines ls 1 \
			title 'model', \
	     meas using (Mbps('offered_bps')):(column('heldout') == 0 ? column('polls_per_s') / 1e3 : NaN) \
			with points ls 2 title 'measured, fitted rate', \
	     meas using (Mbps('offered_bps')):(column('heldout') == 1 ? column('polls_per_s') / 1e3 : NaN) \
			with points ls 3 title 'measured, held-out rate'

	set title what.': packets per poll'
	set ylabel 'packets per poll'
	unset key
	plot model using (Mbps('offered_bps')):(column('pkts_per_poll')) with lines ls 1, \
	     meas using (Mbps('offered_bps')):(column('heldout') == 0 ? column('pkts_per_poll') : NaN) \
			with points ls 2, \
	     meas using (Mbps('offered_bps')):(column('heldout') == 1 ? column('pkts_per_poll') : NaN) \
			with points ls 3
}
unset multiplot
