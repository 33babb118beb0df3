#!/usr/bin/env bash
# One measured `--suite all` run at default options, as docs/examples/ci-gate/README.md reports it:
#   docs/examples/ci-gate/measure.sh LABEL KUBELET
# writes reports/ci-gate/LABEL/ (the run's report folder), LABEL.load (the 1-minute load average every
# 10 s during the run, from /proc/loadavg) and prints one table row: kubelet, wall time, passed, known
# bugs, flaky, errors, set-aside attempts, exit code, load average (mean and max of the samples).
set -uo pipefail
label=$1 kubelet=$2
cd "$(dirname "$0")/../../.."
out=reports/ci-gate/$label
mkdir -p reports/ci-gate
( while sleep 10; do cut -d' ' -f1 /proc/loadavg; done ) > "reports/ci-gate/$label.load" &
sampler=$!
t0=$(date +%s)
npx pullproof run --suite all --kubelet "$kubelet" --report-dir "$out" > "reports/ci-gate/$label.log" 2>&1
code=$?
t1=$(date +%s)
kill "$sampler" 2>/dev/null
load=$(awk '{s+=$1; if ($1>m) m=$1; n++} END {if (n) printf "%.1f mean, %.1f max (n=%d)", s/n, m, n; else print "n/a"}' "reports/ci-gate/$label.load")
jq -r --arg wall "$((t1 - t0))" --arg code "$code" --arg load "$load" --arg name "$label" \
  '"| \($name) | \(.run.kubelets | join(", ")) | \($wall) s | \(.summary.passed) | \(.summary.knownBugs) | \(.summary.flaky) | \(.summary.errors) | \(.summary.setAside // 0) (\(.summary.setAsideSeconds // 0) s) | \($code) | \($load) |"' "$out/report.json"
