// The run's infrastructure watch (harness/engine/infra.ts): which scenarios are not judged after a loss,
// and where the Docker API is reached (no Docker; what the watch says about real containers is in
// infrastructure-loss.test.ts).
import test from 'ava';
import { dockerEndpoint } from '../harness/engine/infra.ts';
import { notJudgedAfterLoss } from '../harness/engine/run.ts';
import type { ScenarioResult } from '../harness/report/types.ts';

const result = (key: string, status: ScenarioResult['status'], finishedAt?: string): ScenarioResult => ({
  kind: 'oracle', id: key, key, suite: 's', name: key, kubelet: 'v1.35.4', labels: {}, status, message: 'observed 502', setup: [], attempts: [], seconds: 1, finishedAt,
});

test('after a loss, failures and errors from a minute before it on are not judged; passes and older failures stay', (t) => {
  const at = new Date('2026-11-29T12:00:00Z');
  const rs = new Map<string, ScenarioResult>([
    ['old-fail', result('old-fail', 'failed', '2026-11-29T11:58:30Z')],
    ['near-fail', result('near-fail', 'failed', '2026-11-29T11:59:30Z')],
    ['after-error', result('after-error', 'error', '2026-11-29T12:00:05Z')],
    ['pass', result('pass', 'passed', '2026-11-29T12:00:01Z')],
  ]);
  t.is(notJudgedAfterLoss(rs, { at, message: 'the Docker engine stopped answering (connect ENOENT /x)' }), 2);
  t.is(rs.get('old-fail')?.status, 'failed');
  t.is(rs.get('pass')?.status, 'passed');
  t.is(rs.get('near-fail')?.status, 'not-run');
  t.is(rs.get('near-fail')?.message, 'not judged: infrastructure failure: the Docker engine stopped answering (connect ENOENT /x) (the scenario had ended failed: observed 502)');
  t.is(rs.get('after-error')?.status, 'not-run');
});

test('the Docker API endpoint follows DOCKER_HOST', (t) => {
  t.deepEqual(dockerEndpoint(undefined), { socketPath: '/var/run/docker.sock' });
  t.deepEqual(dockerEndpoint('unix:///tmp/d.sock'), { socketPath: '/tmp/d.sock' });
  t.deepEqual(dockerEndpoint('tcp://127.0.0.1:2375'), { host: '127.0.0.1', port: 2375 });
});
