// Every command pullproof runs has a time limit: a command killed at it is reported as timed out, not as
// a bare exit code (under load, `kubectl get nodes` killed at its limit used to read "exit 128").
import test from 'ava';
import { CommandError, run } from '../harness/util/exec.ts';

test('a command killed at its time limit says it timed out; a failing one gives its exit code', async (t) => {
  const slow = await t.throwsAsync(run(['sleep', '5'], { timeoutMs: 300 }), { instanceOf: CommandError });
  t.is(slow?.message, 'command timed out after 0.3s and was killed: sleep 5');
  t.is(slow?.result.timedOutAfterMs, 300);
  const failing = await t.throwsAsync(run(['sh', '-c', 'exit 3']), { instanceOf: CommandError });
  t.is(failing?.message, 'command failed (exit 3): sh -c exit 3');
  t.is(failing?.result.timedOutAfterMs, undefined);
});

test('commands never read the user\'s ~/.bashrc, even when pullproof runs with SHLVL 0 (cron, systemd, setsid)', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const home = mkdtempSync(join(tmpdir(), 'pullproof-test-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  writeFileSync(join(home, '.bashrc'), 'echo BASHRC-READ >&2\n');
  const r = await run(['true'], { env: { HOME: home, SHLVL: '0' } });
  t.is(r.stderr, '');
});
