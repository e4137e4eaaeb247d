# Sourced by the fit's round-trip tests (not run on its own): the softirq testbed simulated in
# both placements of the receiving application, as experiments/validate-testbed.sh LOCAL=1
# measures it live.
#
# sim_both_placements RXMODEL CALIBRATION DIR: writes DIR/local.cfg (configs/testbed.cfg with the
# application on CPU 0, NET_RX's), DIR/remote.csv and DIR/local.csv (rxmodel --format
# measurements at 50-400 Mbit/s with the application on CPU 1 and on CPU 0) and DIR/both.csv
# (one file, the local steps numbered after the remote ones). Returns non-zero, with a FAIL
# line, if any of it fails.
sim_both_placements() {
	local rxm=$1 cal=$2 dir=$3 rates=50M,100M,200M,300M,400M

	awk '/^app:/ { app = 1 } app && /^  cpu = 1;/ { sub(/1;/, "0;"); app = 0 } { print }' \
		configs/testbed.cfg >"$dir/local.cfg"
	grep -A3 '^app:' "$dir/local.cfg" | grep -q '^  cpu = 0;' ||
		{ echo "FAIL: test scenario's application not moved to CPU 0"; return 1; }
	"$rxm" -c configs/testbed.cfg -C "$cal" --sweep $rates -f measurements -q \
		-o "$dir/remote.csv" || { echo "FAIL: rxmodel, application on CPU 1"; return 1; }
	"$rxm" -c "$dir/local.cfg" -C "$cal" --sweep $rates -f measurements -q \
		-o "$dir/local.csv" || { echo "FAIL: rxmodel, application on CPU 0"; return 1; }
	{ cat "$dir/remote.csv"; awk -F, -v OFS=, 'NR > 1 { $1 += 5; print }' "$dir/local.csv"; } \
		>"$dir/both.csv"
}
