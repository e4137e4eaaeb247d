# Figure 5a: CPU each stage-skipping variant saves against the baseline on the Gi-LAN server of
# configs/gilan.cfg at one rate (experiments/figures.sh VARIANT_RATE, default 10G), predicted by
# rxmodel; stacked by the stage group the saving comes from (saved.awk). Above each bar: the
# total over every stage, and as a share of the baseline's total.
width = 1000; height = 520
load gpdir.'/common.gp'
saved = figdir.'/variants-gilan-saved.csv'

stats saved using (Gbps('offered_bps')) name 'rate' nooutput
stats saved using (ms('baseline_total_ns_per_s')) name 'base' nooutput
group = "poll_time skb_prep_time ip_time ip_to_transport_time transport app cs other"
label = "'packet poll (poll+xdp+gro)' 'skb-ip prep' 'IP processing' 'IP to transport' \
'transport' 'application (recvmsg)' 'context switches' 'irq, softirq, other'"
colour = "#1f5fa8 #5fa8d3 #2a9d8f #8ab17d #e9c46a #c0392b #9b59b6 #999999"

set title sprintf("CPU saved per variant, configs/gilan.cfg at %g Gbit/s (baseline: %.0f ms of CPU per s, all stages), predicted", rate_max, base_max)
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border lc rgb '#ffffff'
set boxwidth 0.6
set xrange [-0.6:rate_records - 0.4]
set ylabel 'CPU saved (ms per s)'
set yrange [0:*]
set offsets 0, 0, graph 0.15, 0
set key inside top right invert
set grid noxtics
plot for [i = 1:8] saved using (ms(word(group, i).'_saved_ns_per_s')):xtic(1) \
		lc rgb word(colour, i) title word(label, i), \
     saved using 0:(ms('total_saved_ns_per_s')): \
		(sprintf("%.0f ms/s (%.0f %%)", ms('total_saved_ns_per_s'), column('saved_share') * 100)) \
		with labels offset 0, 1 notitle
