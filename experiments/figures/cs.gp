# Figure 2, the paper's Fig. 4 on the testbed: context-switch CPU time against bandwidth,
# threaded NAPI, measured and predicted; beside it the count of switches, to tell a wrong count
# from a wrong unit cost. Measured switches are /proc/stat ctxt over all CPUs (the count
# sched:sched_switch fires for), so they include the machine's own; the model counts the
# switches of its own threads (kthread, receiver) and to and from idle.
width = 1000; height = 420
load gpdir.'/common.gp'
model = figdir.'/model-testbed-threaded.csv'
meas = figdir.'/measured-testbed-threaded.csv'

set multiplot layout 1, 2 title "Context switching against bandwidth: threaded NAPI testbed, measured and predicted"
set xrange [0:700]
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0
set xlabel 'offered UDP payload (Mbit/s)'

set title 'cs time (CPU of context switches)'
set ylabel 'CPU (ms per s)'
plot model using (Mbps('offered_bps')):(ms('cs_cpu_ns_per_s') - ms('cs_cpu_se_ns_per_s')): \
		(ms('cs_cpu_ns_per_s') + ms('cs_cpu_se_ns_per_s')) \
		with filledcurves ls 4 title 'model ± se (calibration)', \
     model using (Mbps('offered_bps')):(ms('cs_cpu_ns_per_s')) with lines ls 1 title 'model', \
     meas using (Mbps('offered_bps')):(column('heldout') == 0 ? ms('cs_time_ns_per_s') : NaN) \
		with points ls 2 title 'measured, fitted rate', \
     meas using (Mbps('offered_bps')):(column('heldout') == 1 ? ms('cs_time_ns_per_s') : NaN) \
		with points ls 3 title 'measured, held-out rate (150, 600M)'

set title 'context switches per second'
set ylabel 'switches per s (thousands)'
unset key
plot model using (Mbps('offered_bps')):(column('cs_per_s') / 1e3) with lines ls 1, \
     meas using (Mbps('offered_bps')):(column('heldout') == 0 ? column('cs_per_s') / 1e3 : NaN) \
		with points ls 2, \
     meas using (Mbps('offered_bps')):(column('heldout') == 1 ? column('cs_per_s') / 1e3 : NaN) \
		with points ls 3
unset multiplot
