// A report with every optional field of the model set, typed Full<Report>: TypeScript refuses this file
// when harness/report/types.ts gains a field it does not set, so the schema test sees every field.
import type { Report } from '../../harness/report/types.ts';

type Full<T> = T extends readonly (infer U)[] ? Full<U>[] : T extends object ? { [K in keyof T]-?: Full<T[K]> } : T;

const at = '2026-05-04T10:00:05.000Z';
const secret = { uid: 'b3c1', namespace: 'pp-a', name: 'pull-a', credentialHash: 'sha256:' + 'a'.repeat(64) };
const sa = { uid: 'c9d2', namespace: 'pp-a', name: 'default' };
const entry = { kubernetesSecrets: [secret], kubernetesServiceAccounts: [sa], nodePodsAccessible: false };

export const fullReport: Full<Report> = {
  schema: 'pullproof-report/v1',
  pullproof: '0.1.0',
  run: {
    id: 'pp00aa11', command: ['run', '--shard', '1/2'], startedAt: '2026-05-04T10:00:00.000Z', finishedAt: '2026-05-04T10:01:00.000Z', seconds: 60,
    complete: false, incompleteReason: 'interrupted by SIGINT', exitCode: 130, suites: ['smoke'], kubelets: ['v1.35.4'], shard: { index: 1, total: 2 }, parallel: 4, retries: 1,
    host: { os: 'linux x64', kernel: '6.1.0', cpus: 2, memoryGiB: 24, docker: '20.10.24', cgroup: 'v2' },
  },
  environment: {
    clusters: [{ name: 'pullproof-pp00aa11', controlPlane: 'v1.35.4', nodeImage: 'pullproof/node:v1.35.4-0123456789ab', kind: 'v0.31.0', nodes: [{ name: 'w', role: 'worker', kubelet: 'v1.35.4', build: { source: 'source tree', sha256: 'f'.repeat(64), commit: 'abc123' } }], timings: { createSeconds: 40, nodeImageCached: true } }],
    registry: { host: 'registry.pullproof.test:5443', endpoint: 'https://172.29.4.1:5443' },
    fence: { subnet: '172.29.4.0/24', droppedPackets: 0, readAt: at },
  },
  windows: [{ index: 1, kubelet: 'v1.35.4', worker: 'w', settings: { ensureSecretPulledImages: true }, scenarios: 1, exclusive: false, parallel: 4, startedAt: at, seconds: 20, restarts: [{ why: 'configuration', seconds: 6 }], metrics: { m: 1 }, metricsCheck: { ok: true, expected: { m: 1 }, observed: { m: 1 }, problems: [] } }],
  scenarios: [{
    kind: 'oracle', id: 'smoke/x', key: 'smoke/x@v1.35.4', suite: 'smoke', name: 'x', kubelet: 'v1.35.4', labels: { gate: 'on' }, status: 'failed', message: 'expected a, observed b',
    expected: {
      outcome: 'pull-fails', cause: 'denied', reason: 'r', registryContact: true, event: { reason: 'Failed', contains: '401' }, record: { kind: 'entry', name: 'registry/app', entry },
      stsExchanges: 1, mustPullCheck: 'mustAuthenticate', rules: [{ id: 'A4.x', section: 'A4', text: 't' }], knownBug: { issue: 138175, title: 't', outcome: 'runs-cached', cause: 'denied' }, uncertain: ['u'],
    },
    observed: {
      outcome: 'runs-cached', cause: 'unknown', summary: 's', phase: 'Running', container: { state: 'waiting', reason: 'ErrImagePull', message: 'm' },
      events: [{ type: 'Warning', reason: 'Failed', message: 'm', count: 1, at }],
      requests: [{ target: 'registry', kind: 'manifest', method: 'HEAD', status: 401, identity: 'anonymous', authScheme: 'none', at, fault: 'error 503' }],
      record: { name: 'registry/app', imageRef: 'sha256:1', entry, unreadable: 'bad json' }, kubeletRefused: 'k', timings: { createdAt: at, decidedAt: at, seconds: 1 }, metrics: { m: 1 }, recovery: { ran: true, seconds: 12, state: 'running' },
    },
    notes: ['n'], setup: [{ step: 0, what: 'w', expected: 'pulls-runs', observed: 'pulls-runs', ok: true }],
    attempts: [{ attempt: 1, status: 'failed', startedAt: at, seconds: 3, message: 'm' }], worker: 'w', window: 1, startedAt: at, finishedAt: at, seconds: 3, bundle: 'bundles/x',
  }],
  checks: [{ name: 'cleanup', ok: true, message: 'm' }],
  measurements: [{ name: 'kubelet restart to Ready', value: 6, unit: 's', how: 'median of restarts', samples: 1 }],
  summary: { total: 1, passed: 0, failed: 1, knownBugs: 0, notApplicable: 0, errors: 0, flaky: 0, notRun: 0 },
  mergedFrom: [{ runId: 'pp00aa11', shard: { index: 1, total: 2 }, reportDir: 'r1' }],
};
