#!/usr/bin/env bash
# Round 41 out of sample (docs/validation.md, "Eighteenth round"): round 40's calibration
# (head_share, no drop_ns) with the testbed scenario and with round 40's host scenario.
# Run from anywhere (it works in the repository's root); needs .output built.
cd "$(dirname "$0")/../../../.."
o=experiments/data/round41/oos40; mkdir -p $o
for m in softirq threaded; do
  cal=experiments/data/round40/calibration-$m.cfg
  for how in scenario host; do
    opt=(); [ $how = host ] && opt=(--config experiments/data/round40/host/scenario-$m.cfg)
    line="$m $how:"
    for v in all xdp-drop netfilter-drop tc-drop; do
      f=experiments/data/round41/validate-$m-$v.csv
      [ -f $f ] || { line="$line $v -"; continue; }
      vv=(); [ $v != all ] && vv=(--variant $v)
      .output/rxcalibrate validate --measured $f --calibration $cal "${opt[@]}" "${vv[@]}" --out $o/validation-$m-$v-$how.csv > $o/validation-$m-$v-$how.txt
      e=$(sed -n 's/^all steps: receive.*error \(.*\) %$/\1/p' $o/validation-$m-$v-$how.txt)
      line="$line $v ${e:-?}"
    done
    echo "$line"
  done
done
