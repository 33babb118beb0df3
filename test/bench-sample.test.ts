// One pod start's raw material, as the wiring collects it, becomes one bench sample.
import test from 'ava';
import { buildSample, type RawPodStart } from '../harness/bench/sample.ts';
import { isoToEpochUs } from '../harness/bench/parse-text.ts';
import type { ScheduledSample } from '../harness/bench/schedule.ts';
import type { RequestRecord } from '../harness/proxy/records.ts';

const POD = 'bench/bench-sa-miss-004';
const IMAGE = 'registry.pullproof.test:5443/tenant-sa/bench:v1';
const J = (time: string, ident: string, body: string): string => `2026-01-15T${time}+00:00 pullproof-r1-worker ${ident}: ${body}`;
const K = (time: string, klog: string, rest: string): string => J(time, 'kubelet[312]', `I0115 ${klog}     312 ${rest}`);

const KUBELET = [
  K('10:04:05.123480', '10:04:05.123401', `kubelet.go:2588] "SyncLoop ADD" source="api" pods=["${POD}"]`),
  K('10:04:05.300000', '10:04:05.299990', `status_manager.go:1074] "Status for pod updated successfully" pod="${POD}" statusVersion=1 status={"phase":"Pending"}`),
  K('10:04:05.702000', '10:04:05.701900', `event.go:389] "Event occurred" object="${POD}" fieldPath="spec.containers{app}" kind="Pod" apiVersion="v1" type="Normal" reason="Pulled" message="Successfully pulled image \\"${IMAGE}\\" in 212ms (212ms including waiting). Image size: 4096 bytes."`),
  K('10:04:05.845700', '10:04:05.845623', `event.go:389] "Event occurred" object="${POD}" fieldPath="spec.containers{app}" kind="Pod" apiVersion="v1" type="Normal" reason="Started" message="Container started"`),
  K('10:04:06.902000', '10:04:06.901500', `status_manager.go:1074] "Status for pod updated successfully" pod="${POD}" statusVersion=2 status={"phase":"Running"}`),
].join('\n');

const CONTAINERD = [
  J('10:04:05.380200', 'containerd[201]', `time="2026-01-15T10:04:05.380123456Z" level=info msg="RunPodSandbox for name:\\"bench-sa-miss-004\\" uid:\\"u1\\" namespace:\\"bench\\" returns sandbox id \\"abc\\""`),
  J('10:04:05.490000', 'containerd[201]', `time="2026-01-15T10:04:05.489900Z" level=info msg="PullImage \\"${IMAGE}\\""`),
  J('10:04:05.690000', 'containerd[201]', `time="2026-01-15T10:04:05.689000Z" level=info msg="Pulled image \\"${IMAGE}\\" with image id \\"sha256:a\\", repo tag \\"${IMAGE}\\", repo digest \\"d\\", size \\"4096\\" in 199.1ms"`),
  J('10:04:05.690500', 'containerd[201]', `time="2026-01-15T10:04:05.690400Z" level=info msg="PullImage \\"${IMAGE}\\" returns image reference \\"sha256:a\\""`),
].join('\n');

const metrics = (calls: number, sum: number, mustAuth: number): string => [
  '# TYPE kubelet_credential_provider_plugin_duration histogram',
  `kubelet_credential_provider_plugin_duration_sum{plugin_name="pullproof-credential-provider"} ${sum}`,
  `kubelet_credential_provider_plugin_duration_count{plugin_name="pullproof-credential-provider"} ${calls}`,
  `kubelet_imagemanager_image_mustpull_checks_total{result="credentialRecordFound"} 9`,
  `kubelet_imagemanager_image_mustpull_checks_total{result="mustAuthenticate"} ${mustAuth}`,
  `kubelet_image_manager_ensure_image_requests_total{present_locally="true",pull_policy="ifnotpresent",pull_required="true"} ${mustAuth}`,
].join('\n');

const scheduled: ScheduledSample = { seq: 17, id: 'sa-miss-004', arm: 'sa-miss', block: 2, delayMs: 50, warmup: false, mint: 'service-account' };

const record = (seq: number, target: RequestRecord['target'], at: string): RequestRecord => ({
  seq, target, scenario: 'sa-miss-004', at, method: 'GET', path: '/x', kind: target === 'sts' ? 'exchange' : target === 'token' ? 'token' : 'manifest', status: 200, durationMs: 51, identity: 'sts-user-4', fault: 'latency 50ms',
});

const raw: RawPodStart = {
  scheduled, pod: POD, image: IMAGE,
  requests: [record(1, 'sts', '2026-01-15T10:04:05.410Z'), record(2, 'token', '2026-01-15T10:04:05.495Z'), record(3, 'registry', '2026-01-15T10:04:05.550Z')],
  metricsBefore: metrics(3, 0.06, 2), metricsAfter: metrics(4, 0.1315, 3),
  kubeletJournal: KUBELET, containerdJournal: CONTAINERD,
  pulledMessage: `Successfully pulled image "${IMAGE}" in 212ms (212ms including waiting). Image size: 4096 bytes.`,
  createReturnedMs: isoToEpochUs('2026-01-15T10:04:05.100Z') as number / 1000,
  watchHandledMs: isoToEpochUs('2026-01-15T10:04:06.950Z') as number / 1000,
};

test('every timing source of a pod start lands in its sample', (t) => {
  const { sample, problems } = buildSample(raw);
  t.deepEqual(problems, []);
  t.like(sample, { id: 'sa-miss-004', arm: 'sa-miss', block: 2, seq: 17, delayMs: 50, warmup: false });
  t.is(sample.measures.inNode, 722.222);
  t.is(sample.measures.imageCheck, 321.777, 'sandbox returned (containerd, ns truncated to µs) to the Pulled event line');
  t.is(sample.measures.pulled, 212);
  t.is(sample.measures.pulledWaiting, 212);
  t.is(sample.measures.containerdPull, 199.1);
  t.is(Number(sample.measures.plugin?.toFixed(6)), 71.5);
  t.is(sample.measures.endToEnd, 1850);
  t.deepEqual(sample.mustPull, { mustAuthenticate: 1 });
  t.deepEqual(sample.ensureImage, [{ pullPolicy: 'ifnotpresent', presentLocally: 'true', pullRequired: 'true', count: 1 }]);
  t.deepEqual(sample.requests.map((r) => r.target), ['sts', 'token', 'registry']);
  t.deepEqual(Object.keys(sample.requests[0] ?? {}).sort(), ['at', 'durationMs', 'fault', 'kind', 'status', 'target'], 'identities and paths are not copied into the result');
});

test('without a credential provider on the kubelet the plugin ran 0 times; with one configured, an absent histogram stays unknown', (t) => {
  const noPlugin = (text: string): string => text.split('\n').filter((l) => !l.includes('credential_provider_plugin')).join('\n');
  const bare = { ...raw, metricsBefore: noPlugin(raw.metricsBefore ?? ''), metricsAfter: noPlugin(raw.metricsAfter ?? '') };
  t.deepEqual(buildSample({ ...bare, providerConfigured: false }).sample.plugin, []);
  t.is(buildSample({ ...bare, providerConfigured: true }).sample.plugin, undefined);
  t.is(buildSample(bare).sample.plugin, undefined);
});

test('the harness-overhead timestamps end at the status update after the container started', (t) => {
  const { timestamps } = buildSample(raw);
  t.deepEqual(timestamps, {
    pod: POD,
    createReturnedMs: raw.createReturnedMs,
    watchHandledMs: raw.watchHandledMs,
    kubeletStartMs: (isoToEpochUs('2026-01-15T10:04:05.123401Z') as number) / 1000,
    kubeletEndMs: (isoToEpochUs('2026-01-15T10:04:06.901500Z') as number) / 1000,
  });
});

test('a kubelet below -v=3 leaves the in-node time out and says why', (t) => {
  const quiet = KUBELET.split('\n').filter((l) => !l.includes('Event occurred')).join('\n');
  const { sample, problems, timestamps } = buildSample({ ...raw, kubeletJournal: quiet });
  t.is(sample.measures.inNode, undefined);
  t.is(timestamps, undefined);
  t.is(sample.measures.imageCheck, undefined);
  t.is(problems.length, 2);
  t.regex(problems[0] ?? '', /no "Event occurred" line for bench\/bench-sa-miss-004 after its start/);
  t.regex(problems[1] ?? '', /no "Pulled" event line for bench\/bench-sa-miss-004 after its sandbox was ready/);
});

test('without the image manager counters (kubelets before 1.35) the must-pull delta is absent, not empty', (t) => {
  const old = (calls: number, sum: number): string => metrics(calls, sum, 0).split('\n').filter((l) => !l.includes('image_manager') && !l.includes('imagemanager')).join('\n');
  const { sample } = buildSample({ ...raw, metricsBefore: old(3, 0.06), metricsAfter: old(4, 0.1315) });
  t.is(sample.mustPull, undefined);
  t.is(sample.ensureImage, undefined);
  // On a 1.35 kubelet whose gate is off the counters are absent too, and that means zero.
  const gateOff = buildSample({ ...raw, metricsBefore: old(3, 0.06), metricsAfter: old(3, 0.06), imageManagerMetrics: true });
  t.deepEqual(gateOff.sample.mustPull, {});
});
