#!/bin/bash
# SIGINT and SIGTERM in the cluster phases of `pullproof run --suite smoke` (docs/reliability.md; by hand:
# each case creates a kind cluster, too slow for CI, where test/interruptions.test.ts covers the
# registry phases and test/cluster-upgrades.test.ts a signal during a kubelet swap). Each case runs the CLI
# through the test entry, paused at the end of the named phase (PULLPROOF_TEST_PAUSE_IN_PHASE) or, for
# "kubelet reconfiguration" and "a scenario", signalled when the run prints that a window starts or the
# first PASS; then it records the exit code, the report's complete flag and reason, and what
# `pullproof cleanup --run <id> --check` finds. Output: $OUT/results.tsv.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/pullproof-interrupt-cluster}
mkdir -p "$OUT"; touch "$OUT/results.tsv"
# The node binary itself (npx does not pass signals on to its child).
NODE=$(npx node -e 'process.stdout.write(process.execPath)')
cases=(
  "node image v1.35.4|SIGINT" "kind cluster|SIGTERM" "registry mirror in every node|SIGINT" "check the node mirror|SIGTERM"
  "@window 2 on|SIGINT" "@ PASS |SIGTERM"
)
# Cases may be given as arguments, e.g. "kind cluster|SIGINT" "@ PASS |SIGTERM".
if [ $# -gt 0 ]; then cases=("$@"); fi
for c in "${cases[@]}"; do
  phase=${c%%|*}; sig=${c##*|}; slug=$(echo "$phase-$sig" | tr -c 'a-zA-Z0-9\n' '-')
  dir="$OUT/$slug"; rm -rf "$dir"; mkdir -p "$dir"
  if [[ $phase == @* ]]; then pat=${phase#@}; env=(); else pat="test seam: paused in phase \"$phase"; env=(PULLPROOF_TEST_PAUSE_IN_PHASE="$phase"); fi
  t0=$(date +%s)
  env "${env[@]}" "$NODE" test/helpers/pullproof-test-entry.ts run --suite smoke --report-dir "$dir/report" > "$dir/stdout" 2> "$dir/stderr" &
  pid=$!
  until grep -qF "$pat" "$dir/stderr" 2>/dev/null; do sleep 0.5; kill -0 $pid 2>/dev/null || break; done
  [[ $phase == "@window 2 on" ]] && sleep 1
  kill -s ${sig#SIG} $pid; wait $pid; rc=$?
  t1=$(date +%s)
  id=$(grep -o 'run pp[0-9a-f]\{6\}' "$dir/stderr" | head -1 | cut -d' ' -f2)
  npx pullproof cleanup --run "$id" --check > "$dir/cleanup-check" 2>&1; left=$?
  rep=$(python3 -c "import json,sys; r=json.load(open('$dir/report/report.json')); print(r['run']['complete'], '|', r['run'].get('incompleteReason'), '|', r['summary']['passed'], 'passed', r['summary']['notRun'], 'not run')" 2>&1)
  printf '%s\t%s\t%s\t%ss\t%s\tcleanup-check=%s\n' "$phase" "$sig" "$rc" "$((t1-t0))" "$rep" "$left" | tee -a "$OUT/results.tsv"
done
