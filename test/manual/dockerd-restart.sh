#!/bin/bash
# A real Docker engine restart in the middle of `pullproof run --suite SUITE` (docs/reliability.md, by
# hand: it stops every container on the machine, so it is not in CI). At the run's first PASS line dockerd
# gets SIGTERM, is waited for, and is started again as `pullproof setup` starts it; then the run's exit,
# report and leftovers are summarised in $OUT/<suite>-<n>/result.json. Usage: test/manual/dockerd-restart.sh smoke 1
# Refuses while any container is running (another run would lose its engine too).
set -u
suite=${1:-smoke}; n=${2:-1}; out=${OUT:-/tmp/pullproof-dockerd-restart}/$suite-$n
cd "$(dirname "$0")/../.."
if [ "$(docker ps -q | wc -l)" != 0 ]; then echo "refusing: containers are running:"; docker ps --format '{{.Names}}'; exit 2; fi
rm -rf "$out"; mkdir -p "$out"
t0=$(date +%s.%N)
npx pullproof run --suite "$suite" --report-dir "$out/report" > "$out/stdout" 2> "$out/stderr" &
pid=$!
until grep -q ' PASS ' "$out/stderr" 2>/dev/null; do sleep 0.5; kill -0 $pid 2>/dev/null || { echo "run ended before a PASS"; exit 1; }; done
t1=$(date +%s.%N)
dpid=$(pidof dockerd); kill -TERM $dpid
while kill -0 $dpid 2>/dev/null; do sleep 0.2; done
t2=$(date +%s.%N)
setsid dockerd >> /var/log/pullproof-dockerd.log 2>&1 < /dev/null &
until docker version >/dev/null 2>&1; do sleep 0.2; done
t3=$(date +%s.%N)
wait $pid; rc=$?
t4=$(date +%s.%N)
id=$(grep -o 'run pp[0-9a-f]\{6\}' "$out/stderr" | head -1 | cut -d' ' -f2)
left=$(npx pullproof cleanup --run "$id" --check > "$out/cleanup-check" 2>&1; echo $?)
python3 - "$t0" "$t1" "$t2" "$t3" "$t4" "$rc" "$left" "$out" <<'PY'
import sys, json
t0,t1,t2,t3,t4=map(float,sys.argv[1:6]); rc=int(sys.argv[6]); left=int(sys.argv[7]); out=sys.argv[8]
r=json.load(open(out+'/report/report.json'))
res={'exit':rc,'firstPassAt':round(t1-t0,1),'dockerdStopSeconds':round(t2-t1,1),'dockerdBackSeconds':round(t3-t2,1),'runEndedAfterStop':round(t4-t1,1),
 'complete':r['run']['complete'],'incompleteReason':r['run'].get('incompleteReason'),'summary':r['summary'],'cleanupCheckExit':left,
 'failedChecks':[c['name']+': '+str(c.get('message')) for c in r['checks'] if not c['ok']]}
json.dump(res,open(out+'/result.json','w'),indent=1); print(json.dumps(res,indent=1))
PY
grep -n "infrastructure failure\|waiting up to\|Docker engine" "$out/stderr" | head -5
