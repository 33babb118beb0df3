// A report with every optional field of the model set, typed Full<Report>: TypeScript refuses this file
// when harness/report/types.ts gains a field it does not set, so the schema test sees every field.
import type { Report } from '../../harness/report/types.ts';

type Full<T> = T extends readonly (infer U)[] ? Full<U>[] : T extends object ? { [K in keyof T]-?: Full<T[K]> } : T;

const at = '2026-05-04T10:00:05.000Z';
const secret = { uid: 'b3c1', namespace: 'pp-a', name: 'pull-a', credentialHash: 'sha256:' + 'a'.repeat(64) };
const sa = { uid: 'c9d2', namespace: 'pp-a', name: 'default' };
const entry = { kubernetesSecrets: [secret], kubernetesServiceAccounts: [sa], nodePodsAccessible: false };
const pct = { n: 30, p50: 500, p95: 600, p99: 650, min: 450, max: 700, mean: 510 };
const boot = { estimate: 40, lo: 30, hi: 50, level: 0.95, seed: 1, resamples: 1000, n: [30, 30], method: 'm' };
const counts = { n: 20, mean: 3, median: 3, min: 3, max: 3 };
const fit = { n: 50, slope: 3, intercept: 500, se: 0.05, df: 48, level: 0.95, ci: [2.9, 3.1] as [number, number], levels: [0, 50, 200], method: 'm' };

export const fullReport: Full<Report> = {
  schema: 'pullproof-report/v1',
  pullproof: '0.1.0',
  run: {
    id: 'pp00aa11', command: ['run', '--shard', '1/2'], startedAt: '2026-05-04T10:00:00.000Z', finishedAt: '2026-05-04T10:01:00.000Z', seconds: 60,
    complete: false, incompleteReason: 'interrupted by SIGINT', exitCode: 130, suites: ['smoke'], kubelets: ['v1.35.4'], shard: { index: 1, total: 2 }, parallel: 4, retries: 1,
    host: { os: 'linux x64', kernel: '6.1.0', cpus: 2, memoryGiB: 24, docker: '20.10.24', cgroup: 'v2' },
    kubeletBuild: { release: 'v1.35.4', reported: 'Kubernetes v1.35.4', sha256: 'a'.repeat(64), commit: 'c', source: 'source', origin: '/src/kubernetes' },
    kubeletLimits: { recordedSecretsLimit: 1 },
    preReleases: ['v1.38.0-beta.0'],
  },
  environment: {
    clusters: [{ name: 'pullproof-pp00aa11', controlPlane: 'v1.35.4', nodeImage: 'pullproof/node:v1.35.4-0123456789ab', kind: 'v0.31.0', nodes: [{ name: 'w', role: 'worker', kubelet: 'v1.35.4', build: { source: 'source tree', sha256: 'f'.repeat(64), commit: 'abc123' } }], timings: { createSeconds: 40, nodeImageCached: true } }],
    registry: { host: 'registry.pullproof.test:5443', endpoint: 'https://172.29.4.1:5443' },
    fence: { subnet: '172.29.4.0/24', droppedPackets: 0, readAt: at },
    vendorPlugin: { name: 'ecr-credential-provider', sha256: 'e'.repeat(64), source: 'fixtures/aws/ecr-credential-provider-config.yaml', host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', backend: 'aws', configs: { 'v1.35.4': 'apiVersion: kubelet.config.k8s.io/v1\n' } },
  },
  windows: [{ index: 1, kubelet: 'v1.35.4', worker: 'w', settings: { ensureSecretPulledImages: true }, scenarios: 1, exclusive: false, parallel: 4, startedAt: at, seconds: 20, restarts: [{ why: 'configuration', seconds: 6 }], metrics: { m: 1 }, metricsCheck: { ok: true, expected: { m: 1 }, observed: { m: 1 }, problems: [] }, stages: { configure: 6, scenarios: 12, barriers: 1, teardown: 0.5, bundles: 0.5 } }],
  scenarios: [{
    kind: 'oracle', id: 'smoke/x', key: 'smoke/x@v1.35.4', suite: 'smoke', name: 'x', kubelet: 'v1.35.4', labels: { gate: 'on' }, status: 'failed', message: 'expected a, observed b',
    expected: {
      outcome: 'pull-fails', cause: 'denied', reason: 'r', registryContact: true, event: { reason: 'Failed', contains: '401' }, record: { kind: 'entry', name: 'registry/app', entry },
      stsExchanges: 1, mustPullCheck: 'mustAuthenticate', rules: [{ id: 'A4.always', section: 'A4', text: 't' }], knownBug: { issue: 138175, title: 't', outcome: 'runs-cached', cause: 'denied', mustPullCheck: 'mustAuthenticate' }, uncertain: ['u'],
    },
    observed: {
      outcome: 'runs-cached', cause: 'unknown', summary: 's', phase: 'Running', container: { state: 'waiting', reason: 'ErrImagePull', message: 'm' },
      events: [{ type: 'Warning', reason: 'Failed', message: 'm', count: 1, at }],
      requests: [{ target: 'registry', kind: 'manifest', method: 'HEAD', status: 401, identity: 'anonymous', authScheme: 'none', at, fault: 'error 503' }],
      record: { name: 'registry/app', imageRef: 'sha256:1', entry, unreadable: 'bad json' }, kubeletRefused: 'k', timings: { createdAt: at, decidedAt: at, seconds: 1 }, metrics: { m: 1 }, recovery: { ran: true, seconds: 12, state: 'running' },
      setAside: [{ decidedAt: at, outcome: 'pull-fails', summary: 'ErrImagePull: the token service answered 401', secrets: ['pull-a'], evidence: 'event FailedToRetrieveImagePullSecret: Unable to retrieve some image pull secrets (pull-a)', seconds: 11 }], secretsUnread: 'the kubelet did not read',
    },
    notes: ['n'], setup: [{ step: 0, what: 'w', expected: 'pulls-runs', observed: 'pulls-runs', ok: true, setAside: [{ decidedAt: at, outcome: 'pull-fails', summary: 'ErrImagePull: the token service answered 401', secrets: ['pull-a'], evidence: 'event FailedToRetrieveImagePullSecret: Unable to retrieve some image pull secrets (pull-a)', seconds: 11 }] }],
    failOpen: false,
    swaps: [{ from: 'v1.34.4', to: 'v1.35.4', seconds: 21, recordsBefore: { img: 'v1alpha1' }, recordsAfter: { img: 'v1beta1' }, expectedAfter: { img: 'v1beta1' }, ok: true }],
    attempts: [{ attempt: 1, status: 'failed', startedAt: at, seconds: 3, message: 'm' }], worker: 'w', window: 1, startedAt: at, finishedAt: at, seconds: 3, bundle: 'bundles/x', stages: { world: 0.8, setupPods: 1.4, setupSteps: 0.1, podUnderTest: 1.2, podDecisions: [1.3, 1.1] },
    containers: [{
      kind: 'init', name: 'init-1', image: 'other:v2@digest', status: 'passed', message: 'm',
      expected: { outcome: 'runs-cached', cause: 'denied', reason: 'r', registryContact: false, event: { reason: 'Pulled', contains: 'already present' }, record: { kind: 'unchanged' }, stsExchanges: 0, mustPullCheck: 'credentialPolicyAllowed', rules: [{ id: 'A9.init', section: 'A9', text: 't' }], knownBug: { issue: 138175, title: 't', outcome: 'runs-cached', cause: 'denied', mustPullCheck: 'mustAuthenticate' }, uncertain: ['u'] },
      observed: {
        outcome: 'runs-cached', cause: 'unknown', summary: 's', phase: 'Running', container: { state: 'terminated', reason: 'Completed', message: 'm' },
        events: [{ type: 'Normal', reason: 'Pulled', message: 'm', count: 1, at }], requests: [{ target: 'registry', kind: 'manifest', method: 'HEAD', status: 200, identity: 'u', authScheme: 'bearer', at, fault: 'f' }],
        record: { name: 'registry/other', imageRef: 'sha256:2', entry, unreadable: 'u' }, kubeletRefused: 'k', timings: { createdAt: at, decidedAt: at, seconds: 1 }, metrics: { m: 1 }, recovery: { ran: true, seconds: 1, state: 'running' },
        setAside: [{ decidedAt: at, outcome: 'pull-fails', summary: 's', secrets: ['pull-a'], evidence: 'e', seconds: 1 }], secretsUnread: 'u',
      },
    }],
  }],
  checks: [{ name: 'cleanup', ok: true, message: 'm' }],
  measurements: [{ name: 'kubelet restart to Ready', value: 6, unit: 's', how: 'median of restarts', samples: 1 }],
  summary: { total: 1, passed: 0, failed: 1, knownBugs: 0, notApplicable: 0, errors: 0, flaky: 0, notRun: 0, observed: 0, failOpen: 0, setAside: 3, setAsideSeconds: 23 },
  mergedFrom: [{ runId: 'pp00aa11', shard: { index: 1, total: 2 }, reportDir: 'r1' }],
  bench: {
    schema: 'pullproof.bench.latency/v1', seed: 7, resamples: 1000, level: 0.95,
    design: { text: 'd', restarts: 5, blocks: 6 },
    environment: { kubelet: 'v1.35.4' },
    methods: { quantiles: 'q', bootstrap: 'b', slope: 's', criticalPath: 'c', roundTrips: 'r', random: 'm', warmup: 'w', measures: { imageCheck: 'c', inNode: 'i', pulled: 'p', pulledWaiting: 'pw', containerdPull: 'c', plugin: 'pl', endToEnd: 'e' } },
    arms: [{
      id: 'reverify', title: 't', configuration: 'gate on', samples: { measured: 50, baseline: 30, warmupDiscarded: 2 },
      measures: [{ measure: 'inNode', name: 'n', how: 'h', stats: pct }],
      overhead: { measure: 'inNode', vsGateOff: boot, vsRecordHit: boot },
      roundTrips: { registry: counts, token: counts, sts: counts },
      pluginMs: pct, stsMs: pct, mustPull: { credentialPolicyAllowed: 0, credentialRecordFound: 0, mustAuthenticate: 50, error: 0 },
      checks: [{ what: 'w', status: 'pass', observed: 'o' }],
    }],
    proof: [{
      arm: 'reverify', measure: 'inNode', status: 'pass', fit, counted: counts, verdict: { pass: true, reasons: [], width: 0.2 }, reasons: [],
      attribution: [{ measure: 'pulled', fit, matches: [{ targets: ['registry', 'token'], expected: 3, inside: true }] }],
    }],
    harness: { n: 1, rows: [{ pod: 'p', podStartMs: 1200, kubeletMs: 1150, harnessMs: 50 }], medianPodStartMs: 1200, medianHarnessMs: 50, p95HarnessMs: 50, ratio: 0.04, limit: 0.1, pass: true, how: 'h' },
    verdict: 'pass', reasons: [],
    samples: [{
      id: 'reverify-001', arm: 'reverify', block: 0, seq: 0, delayMs: 50, warmup: false,
      measures: { imageCheck: 150, inNode: 600, pulled: 200, pulledWaiting: 201, containerdPull: 150, plugin: 20, endToEnd: 1300 },
      requests: [{ target: 'registry', kind: 'manifest', at, durationMs: 51, status: 200, fault: 'latency 50ms' }],
      plugin: [{ plugin: 'pullproof-credential-provider', calls: 0, seconds: 0 }],
      mustPull: { credentialPolicyAllowed: 0, credentialRecordFound: 0, mustAuthenticate: 1, error: 0 },
      ensureImage: [{ pullPolicy: 'IfNotPresent', presentLocally: 'true', pullRequired: 'false', count: 1 }],
    }],
  },
};
