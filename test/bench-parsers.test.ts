// Parsers of the bench's timing sources, each on lines shaped as kubelet v1.35.4, containerd v2.2.0
// and journald (systemd 252) write them.
import test from 'ava';
import { parsePulledMessage } from '../harness/bench/parse-events.ts';
import { containerdPulls, parseContainerdLine } from '../harness/bench/parse-containerd.ts';
import { KUBELET_MARKERS, findMarker, parseKlog, parseKlogLine, podSpan, splitJournalPrefix } from '../harness/bench/parse-klog.ts';
import { ensureImageDelta, hasMetric, mustPullDelta, parsePrometheusText, pluginDelta } from '../harness/bench/parse-prometheus.ts';
import { goDurationMs, isoToEpochUs, unquoteGo } from '../harness/bench/parse-text.ts';
import { HarnessError } from '../harness/errors.ts';

const IMAGE = 'registry.pullproof.test:5443/tenant-a/bench:v1';

test('Go durations in the formats the kubelet prints', (t) => {
  t.is(goDurationMs('812ms'), 812);
  t.is(goDurationMs('1.2s'), 1200);
  t.is(goDurationMs('1m2.5s'), 62_500);
  t.is(goDurationMs('950.5µs'), 0.9505);
  t.is(goDurationMs('0s'), 0);
  t.is(goDurationMs('1h0m0.001s'), 3_600_001);
});

test('the Pulled event of a pull gives the pull time, the time including waiting and the size', (t) => {
  t.deepEqual(parsePulledMessage(`Successfully pulled image "${IMAGE}" in 1.234s (1.5s including waiting). Image size: 4096 bytes.`), {
    kind: 'pulled', image: IMAGE, pullMs: 1234, includingWaitingMs: 1500, imageSizeBytes: 4096,
  });
  t.deepEqual(parsePulledMessage(`Successfully pulled image "${IMAGE}" in 812ms (812ms including waiting). Image size: 1234 bytes.`), {
    kind: 'pulled', image: IMAGE, pullMs: 812, includingWaitingMs: 812, imageSizeBytes: 1234,
  });
  t.is((parsePulledMessage(`Successfully pulled image "${IMAGE}" in 1m2.5s (1m3s including waiting). Image size: 1 bytes.`) as { pullMs: number }).pullMs, 62_500);
  t.is((parsePulledMessage(`Successfully pulled image "${IMAGE}" in 950.5µs (1ms including waiting). Image size: 1 bytes.`) as { pullMs: number }).pullMs, 0.9505);
});

test('the Pulled event of a cached image says whether the gate\'s check ran', (t) => {
  t.deepEqual(parsePulledMessage(`Container image "${IMAGE}" already present on machine`), { kind: 'present', image: IMAGE, checked: false });
  t.deepEqual(parsePulledMessage(`Container image "${IMAGE}" already present on machine and can be accessed by the pod`), { kind: 'present', image: IMAGE, checked: true });
  t.is(parsePulledMessage('Pulling image "x"'), undefined);
  t.is(parsePulledMessage(`Successfully pulled image "${IMAGE}" in soon (1s including waiting). Image size: 1 bytes.`), undefined);
});

const CTR_PREFIX = '2026-01-15T10:04:06.000100+00:00 pullproof-r1-worker containerd[201]: ';

test('containerd\'s pull lines: start, "Pulled image ... in X" and the returned reference', (t) => {
  const start = parseContainerdLine(`${CTR_PREFIX}time="2026-01-15T10:04:06.000050123Z" level=info msg="PullImage \\"${IMAGE}\\""`);
  t.deepEqual(start, { kind: 'start', atUs: isoToEpochUs('2026-01-15T10:04:06.000050Z'), image: IMAGE });
  const pulled = parseContainerdLine(`${CTR_PREFIX}time="2026-01-15T10:04:06.045678901Z" level=info msg="Pulled image \\"${IMAGE}\\" with image id \\"sha256:aaa\\", repo tag \\"${IMAGE}\\", repo digest \\"registry.pullproof.test:5443/tenant-a/bench@sha256:bbb\\", size \\"1234\\" in 45.201234ms"`);
  t.deepEqual(pulled, {
    kind: 'pulled', atUs: isoToEpochUs('2026-01-15T10:04:06.045678Z'), image: IMAGE, imageId: 'sha256:aaa', repoTag: IMAGE,
    repoDigest: 'registry.pullproof.test:5443/tenant-a/bench@sha256:bbb', sizeBytes: 1234, durationMs: 45.201234,
  });
  const done = parseContainerdLine(`time="2026-01-15T10:04:06.046000000Z" level=info msg="PullImage \\"${IMAGE}\\" returns image reference \\"sha256:aaa\\""`);
  t.deepEqual(done, { kind: 'returned', atUs: isoToEpochUs('2026-01-15T10:04:06.046Z'), image: IMAGE, imageRef: 'sha256:aaa' });
  const failed = parseContainerdLine(`time="2026-01-15T10:04:07Z" level=error msg="PullImage \\"${IMAGE}\\" failed" error="rpc error: code = Unknown desc = 401 Unauthorized"`);
  t.deepEqual(failed, { kind: 'failed', atUs: isoToEpochUs('2026-01-15T10:04:07Z'), image: IMAGE, error: 'rpc error: code = Unknown desc = 401 Unauthorized' });
  t.is(parseContainerdLine('time="2026-01-15T10:04:07Z" level=info msg="StartContainer for \\"abc\\" returns successfully"'), undefined);
});

test('containerd\'s JSON log format is read too', (t) => {
  const l = parseContainerdLine(JSON.stringify({ level: 'info', msg: `Pulled image "${IMAGE}" with image id "sha256:a", repo tag "", repo digest "r@sha256:b", size "10" in 1.5s`, time: '2026-01-15T10:04:06.5Z' }));
  t.like(l, { kind: 'pulled', durationMs: 1500, repoTag: '', sizeBytes: 10 });
});

test('containerd pulls pair each start with its result, with the CRI time from the microsecond timestamps', (t) => {
  const text = [
    `${CTR_PREFIX}time="2026-01-15T10:04:06.000050Z" level=info msg="PullImage \\"${IMAGE}\\""`,
    `${CTR_PREFIX}time="2026-01-15T10:04:06.045Z" level=info msg="Pulled image \\"${IMAGE}\\" with image id \\"sha256:a\\", repo tag \\"${IMAGE}\\", repo digest \\"d\\", size \\"1\\" in 44.9ms"`,
    `${CTR_PREFIX}time="2026-01-15T10:04:06.046050Z" level=info msg="PullImage \\"${IMAGE}\\" returns image reference \\"sha256:a\\""`,
    `${CTR_PREFIX}time="2026-01-15T10:04:09Z" level=info msg="PullImage \\"${IMAGE}\\""`,
    `${CTR_PREFIX}time="2026-01-15T10:04:09.25Z" level=error msg="PullImage \\"${IMAGE}\\" failed" error="denied"`,
  ].join('\n');
  t.deepEqual(containerdPulls(text), [
    { image: IMAGE, ok: true, criMs: 46, pulledMs: 44.9 },
    { image: IMAGE, ok: false, criMs: 250 },
  ]);
});

const KUBELET_METRICS_BEFORE = `# HELP kubelet_credential_provider_plugin_duration [ALPHA] Duration of execution in seconds for credential provider plugin
# TYPE kubelet_credential_provider_plugin_duration histogram
kubelet_credential_provider_plugin_duration_bucket{plugin_name="pullproof-credential-provider",le="0.005"} 0
kubelet_credential_provider_plugin_duration_bucket{plugin_name="pullproof-credential-provider",le="+Inf"} 3
kubelet_credential_provider_plugin_duration_sum{plugin_name="pullproof-credential-provider"} 0.061
kubelet_credential_provider_plugin_duration_count{plugin_name="pullproof-credential-provider"} 3
kubelet_credential_provider_plugin_duration_bucket{plugin_name="other",le="+Inf"} 1
kubelet_credential_provider_plugin_duration_sum{plugin_name="other"} 0.5
kubelet_credential_provider_plugin_duration_count{plugin_name="other"} 1
# HELP kubelet_image_manager_ensure_image_requests_total [ALPHA] Number of ensure-image requests processed by the kubelet.
# TYPE kubelet_image_manager_ensure_image_requests_total counter
kubelet_image_manager_ensure_image_requests_total{present_locally="true",pull_policy="ifnotpresent",pull_required="false"} 7
# HELP kubelet_imagemanager_image_mustpull_checks_total [ALPHA] Counter for how many times kubelet checked whether credentials need to be re-verified to access an image
# TYPE kubelet_imagemanager_image_mustpull_checks_total counter
kubelet_imagemanager_image_mustpull_checks_total{result="credentialRecordFound"} 5
`;

const KUBELET_METRICS_AFTER = KUBELET_METRICS_BEFORE
  .replace('plugin_name="pullproof-credential-provider",le="+Inf"} 3', 'plugin_name="pullproof-credential-provider",le="+Inf"} 4')
  .replace('_sum{plugin_name="pullproof-credential-provider"} 0.061', '_sum{plugin_name="pullproof-credential-provider"} 0.0835')
  .replace('_count{plugin_name="pullproof-credential-provider"} 3', '_count{plugin_name="pullproof-credential-provider"} 4')
  .replace('pull_required="false"} 7', 'pull_required="false"} 7\nkubelet_image_manager_ensure_image_requests_total{present_locally="true",pull_policy="ifnotpresent",pull_required="true"} 1')
  .replace('result="credentialRecordFound"} 5', 'result="credentialRecordFound"} 5\nkubelet_imagemanager_image_mustpull_checks_total{result="mustAuthenticate"} 1');

test('Prometheus text: every sample with its labels, histogram _sum and _count included', (t) => {
  const s = parsePrometheusText(KUBELET_METRICS_BEFORE + 'weird{a="x\\"y",b="line\\nbreak"} NaN 1700000000000\n');
  t.is(s.length, 10);
  t.deepEqual(s[2], { name: 'kubelet_credential_provider_plugin_duration_sum', labels: { plugin_name: 'pullproof-credential-provider' }, value: 0.061 });
  t.deepEqual(s[1]?.labels, { plugin_name: 'pullproof-credential-provider', le: '+Inf' });
  t.deepEqual(s[9]?.labels, { a: 'x"y', b: 'line\nbreak' });
  t.true(Number.isNaN(s[9]?.value));
  t.throws(() => parsePrometheusText('kubelet_x{a="b"} fast'), { instanceOf: HarnessError, message: /line 1/ });
});

test('the plugin duration histogram gives execs and seconds per plugin over one pod start', (t) => {
  const d = pluginDelta(KUBELET_METRICS_BEFORE, KUBELET_METRICS_AFTER);
  const mine = d.find((x) => x.plugin === 'pullproof-credential-provider');
  t.is(mine?.calls, 1);
  t.is(Number(mine?.seconds.toFixed(6)), 0.0225);
  t.deepEqual(d.find((x) => x.plugin === 'other'), { plugin: 'other', calls: 0, seconds: 0 });
});

test('the image manager counters give the must-pull result and the ensure-image labels of one pod start', (t) => {
  t.deepEqual(mustPullDelta(KUBELET_METRICS_BEFORE, KUBELET_METRICS_AFTER), { mustAuthenticate: 1 });
  t.deepEqual(ensureImageDelta(KUBELET_METRICS_BEFORE, KUBELET_METRICS_AFTER), [{ pullPolicy: 'ifnotpresent', presentLocally: 'true', pullRequired: 'true', count: 1 }]);
  t.true(hasMetric(KUBELET_METRICS_AFTER, 'kubelet_imagemanager_image_mustpull_checks_total'));
  t.false(hasMetric('kubelet_running_pods 3\n', 'kubelet_imagemanager_image_mustpull_checks_total'));
});

test('a counter that went down between scrapes is an error naming the kubelet restart', (t) => {
  t.throws(() => mustPullDelta(KUBELET_METRICS_AFTER, KUBELET_METRICS_BEFORE), { instanceOf: HarnessError, message: /restarted/ });
  const restarted = KUBELET_METRICS_BEFORE.replace('result="credentialRecordFound"} 5', 'result="credentialRecordFound"} 1');
  t.throws(() => mustPullDelta(KUBELET_METRICS_BEFORE, restarted), { instanceOf: HarnessError, message: /went down between two scrapes \(5 to 1\)/ });
});

const J = (time: string, body: string): string => `2026-01-15T${time}+00:00 pullproof-r1-worker kubelet[312]: ${body}`;
const POD = 'bench/bench-record-hit-001';
const JOURNAL = [
  J('10:04:05.123480', `I0115 10:04:05.123401     312 kubelet.go:2588] "SyncLoop ADD" source="api" pods=["${POD}"]`),
  J('10:04:05.130000', `I0115 10:04:05.129950     312 kubelet.go:2588] "SyncLoop ADD" source="api" pods=["bench/other"]`),
  J('10:04:05.401000', `I0115 10:04:05.400912     312 kuberuntime_manager.go:1398] "computePodActions got for pod" podActions="KillPod: true, CreateSandbox: true" pod="${POD}"`),
  J('10:04:05.612400', `I0115 10:04:05.612300     312 event.go:389] "Event occurred" object="${POD}" fieldPath="spec.containers{app}" kind="Pod" apiVersion="v1" type="Normal" reason="Pulled" message="Container image \\"${IMAGE}\\" already present on machine and can be accessed by the pod"`),
  J('10:04:05.700100', `I0115 10:04:05.700000     312 event.go:389] "Event occurred" object="${POD}" fieldPath="spec.containers{app}" kind="Pod" apiVersion="v1" type="Normal" reason="Created" message="Container created"`),
  J('10:04:05.745700', `I0115 10:04:05.745623     312 event.go:389] "Event occurred" object="${POD}" fieldPath="spec.containers{app}" kind="Pod" apiVersion="v1" type="Normal" reason="Started" message="Container started"`),
  J('10:04:05.901000', `W0115 10:04:05.900000     312 some.go:1] plain unstructured text, not a marker`),
  '-- Boot 1234 --',
].join('\n');

test('journald short-iso-precise prefixes, with +hh:mm and +hhmm offsets', (t) => {
  const p = splitJournalPrefix(J('10:04:05.123480', 'I0115 x'));
  t.like(p, { atUs: isoToEpochUs('2026-01-15T10:04:05.123480Z'), offsetMinutes: 0, year: 2026, host: 'pullproof-r1-worker', identifier: 'kubelet', pid: 312, message: 'I0115 x' });
  t.is(splitJournalPrefix('2026-01-15T12:04:05.000001+0200 h containerd[1]: x')?.atUs, isoToEpochUs('2026-01-15T10:04:05.000001Z'));
  t.is(isoToEpochUs('2026-01-15T10:04:05.123456789-05:30'), Date.UTC(2026, 0, 15, 15, 34, 5) * 1000 + 123456);
  t.is(splitJournalPrefix('I0115 10:04:05.123401     312 kubelet.go:2588] "x"'), undefined);
});

test('klog lines: severity, microsecond time, source, structured message and fields', (t) => {
  const lines = parseKlog(JOURNAL);
  t.is(lines.length, 7);
  const add = lines[0];
  t.is(add?.severity, 'I');
  t.is(add?.atUs, isoToEpochUs('2026-01-15T10:04:05.123401Z'));
  t.is(add?.threadId, 312);
  t.is(add?.source, 'kubelet.go:2588');
  t.is(add?.message, 'SyncLoop ADD');
  t.deepEqual(add?.fields, { source: 'api', pods: `["${POD}"]` });
  t.is(lines[3]?.fields.message, `Container image "${IMAGE}" already present on machine and can be accessed by the pod`);
  t.is(lines[3]?.fields.fieldPath, 'spec.containers{app}');
  t.is(lines[6]?.message, 'plain unstructured text, not a marker');
  t.deepEqual(lines[6]?.fields, {});
});

test('klog lines without a journald prefix need the year; the zone defaults to UTC', (t) => {
  const line = 'I1129 16:07:44.123456    1234 file.go:12] "msg" pod="ns/name"';
  t.throws(() => parseKlogLine(line), { message: /no year/ });
  t.is(parseKlogLine(line, { year: 2025 })?.atUs, Date.UTC(2025, 10, 29, 16, 7, 44) * 1000 + 123456);
  t.is(parseKlogLine(line, { year: 2025, utcOffsetMinutes: 60 })?.atUs, Date.UTC(2025, 10, 29, 15, 7, 44) * 1000 + 123456);
  // Logged on 31 December, printed by journald on 1 January.
  const ny = parseKlogLine('2026-01-01T00:00:00.000100+00:00 n kubelet[1]: I1231 23:59:59.999990       1 a.go:1] "x"');
  t.is(ny?.atUs, Date.UTC(2025, 11, 31, 23, 59, 59) * 1000 + 999990);
});

test('the in-node pod start runs from "SyncLoop ADD" to the Started event, in microseconds', (t) => {
  const lines = parseKlog(JOURNAL);
  const span = podSpan(lines, POD);
  t.is(span?.ms, 622.222);
  t.regex(span?.start ?? '', /kubelet\.go:2588/);
  t.regex(span?.end ?? '', /kuberuntime_container\.go:298/);
  t.is(podSpan(lines, 'bench/other'), undefined, 'no Started line for that pod');
  // Configurable markers: to the Pulled event instead.
  t.is(podSpan(lines, POD, { end: KUBELET_MARKERS.pulled })?.ms, 488.899);
  t.is(findMarker(lines, POD, KUBELET_MARKERS.computePodActions)?.atUs, isoToEpochUs('2026-01-15T10:04:05.400912Z'));
  t.is(podSpan(lines, POD, { start: { message: /^SyncLoop/, podField: 'pods', source: 'test' } })?.ms, 622.222);
});

test('Go quoted strings with escapes', (t) => {
  t.is(unquoteGo('"a\\"b\\\\c\\n\\t\\x41\\u00e9\\U0001F600\\101"'), 'a"b\\c\n\tAé😀A');
  t.is(unquoteGo('"open'), undefined);
  t.is(unquoteGo('"a" tail'), undefined);
});
