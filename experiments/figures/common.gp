# Shared by every figure of experiments/figures.sh. The caller sets figdir (data in, figures
# out), gpdir (this directory), fmt ('svg' or 'png') and name; a figure sets width and height
# (pixels) before loading this file. Inputs are CSV files read by column name (rxmodel's names,
# docs/report.md). Nothing here depends on the date or the machine's name, so the same data give
# byte-identical SVG and PNG. Needs gnuplot 5.4 (set datafile columnheaders; Debian 12 has 5.4.4).
set datafile separator comma
set datafile columnheaders
if (fmt eq 'svg') {
	set terminal svg size width, height fixed noenhanced font 'sans,12' background rgb 'white'
} else {
	set terminal pngcairo size width, height noenhanced font 'sans,10' background rgb 'white'
}
set output sprintf('%s/%s.%s', figdir, name, fmt)

# ns/s -> ms of CPU per s; bit/s -> Mbit/s or Gbit/s
ms(c) = column(c) / 1e6
Mbps(c) = column(c) / 1e6
Gbps(c) = column(c) / 1e9

set grid lc rgb '#e0e0e0'
set key top left opaque box lc rgb '#c0c0c0' samplen 2
set style fill transparent solid 0.2 noborder
# 1 model, 2 measured at a fitted rate, 3 measured at a held-out rate, 4 model band
set style line 1 lc rgb '#1f5fa8' lw 2
set style line 2 lc rgb '#c0392b' pt 7 ps 1.0
set style line 3 lc rgb '#e08a00' pt 5 ps 1.1
set style line 4 lc rgb '#1f5fa8'
