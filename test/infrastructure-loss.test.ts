// The Docker engine or a container the run needs going away in the middle of a run (issue 12, part 4):
// the run notices within seconds, names what went away, does not judge the scenarios caught in it, stops,
// cleans up and exits 3 with a report marked incomplete; nothing is left once the engine answers again.
// Real Docker: the run's own registry container is stopped with `docker stop` (what an engine restart
// does to a container without a restart policy), and the engine is made unreachable by giving the run a
// DOCKER_HOST socket that this test stops forwarding for a few seconds (restarting the shared engine
// itself is measured by hand: docs/reliability.md). Runs the registry suite (no kind cluster). Needs root
// and Docker. The first test is the watch itself on a real container (cached pullproof/bookworm image, no
// network).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraWatch, type InfraLoss } from '../harness/engine/infra.ts';
import type { Report } from '../harness/report/types.ts';
import { leftovers, runIdFrom, start } from './helpers/cli.ts';

function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
}

function assertStopped(t: import('ava').ExecutionContext, report: Report, pattern: RegExp): void {
  t.false(report.run.complete);
  t.is(report.run.exitCode, 3);
  t.regex(report.run.incompleteReason ?? '', /^infrastructure failure: /);
  t.regex(report.run.incompleteReason ?? '', pattern);
  const check = report.checks.find((c) => c.name.startsWith('the Docker engine, the registry container and the kind nodes stayed up'));
  t.is(check?.ok, false, JSON.stringify(report.checks));
  // Nothing caught in the loss is a conformance verdict: no failed scenario, the rest not run with the reason.
  t.is(report.summary.failed, 0, JSON.stringify(report.summary));
  t.true(report.summary.notRun > 0, JSON.stringify(report.summary));
  for (const s of report.scenarios.filter((x) => x.status === 'not-run')) t.regex(s.message ?? '', /infrastructure failure: /);
}

test('a watched container that starts again or stops is a loss naming it; an unreachable engine is one too', async (t) => {
  t.timeout(60_000);
  const name = `pullproof-test-watch-${process.pid}`;
  const sh = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();
  sh('run', '-d', '--rm=false', '--network', 'none', '--name', name, 'pullproof/bookworm:minbase', 'sleep', '600');
  t.teardown(() => { try { sh('rm', '-f', name); } catch { /* gone */ } });
  const losses: InfraLoss[] = [];
  const watch = new InfraWatch({ onLost: (l) => losses.push(l) });
  await watch.watch([{ name, what: 'the test container' }]);
  t.is(await watch.check(), undefined, 'healthy while it runs');
  sh('restart', '-t', '0', name);
  const loss = await watch.check();
  t.regex(loss?.message ?? '', /^the test container started again at \S+ \(it had been running since \S+\)/);
  t.is(losses.length, 1, 'reported once');

  const stopped = new InfraWatch({ onLost: () => undefined });
  await stopped.watch([{ name, what: 'the test container' }]);
  sh('stop', '-t', '0', name);
  t.regex((await stopped.check())?.message ?? '', new RegExp(`^the test container \\(${name}\\) is no longer running \\(exited, exit code \\d+, since `));

  const gone = new InfraWatch({ onLost: () => undefined, dockerHost: 'unix:///nonexistent/docker.sock' });
  t.regex((await gone.check())?.message ?? '', /^the Docker engine stopped answering \(connect ENOENT \/nonexistent\/docker\.sock\)$/);
});

test('the run\'s registry container stopped mid-run: exit 3 naming it, the rest not run, nothing left', async (t) => {
  t.timeout(5 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-infra-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = start(['run', '--suite', 'registry', '--report-dir', dir]);
  t.teardown(() => { if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL'); });
  await run.waitFor(/\bPASS\b/, 4 * 60_000);
  const id = runIdFrom((await run.waitFor(/run pp[0-9a-f]{6}/)));
  execFileSync('docker', ['stop', '-t', '1', `pullproof-${id}-registry`]);
  const r = await run.done;
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, new RegExp(`infrastructure failure: the registry container \\(pullproof-${id}-registry\\) is no longer running`));
  assertStopped(t, readReport(dir), /the registry container .* is no longer running \(exited/);
  t.deepEqual(leftovers(id), []);
});

test('the Docker engine unreachable for 5 s mid-run (and the registry container stopped, as a restart does): exit 3 naming the engine, nothing left', async (t) => {
  t.timeout(5 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-infra-'));
  const sockDir = mkdtempSync(join(tmpdir(), 'pullproof-test-dockersock-'));
  const sock = join(sockDir, 'docker.sock');
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); rmSync(sockDir, { recursive: true, force: true }); });
  // A forwarding socket to the real engine, which the test can take away and bring back.
  const open = new Set<Socket>();
  const listen = (): Promise<Server> => new Promise((resolve) => {
    const server = createServer((c) => {
      const up = connect('/var/run/docker.sock');
      open.add(c); open.add(up);
      c.pipe(up).pipe(c);
      const end = (): void => { c.destroy(); up.destroy(); open.delete(c); open.delete(up); };
      c.on('error', end); up.on('error', end); c.on('close', end); up.on('close', end);
    });
    server.listen(sock, () => resolve(server));
  });
  let server = await listen();
  t.teardown(() => { server.close(); for (const s of open) s.destroy(); });
  const run = start(['run', '--suite', 'registry', '--report-dir', dir], { DOCKER_HOST: `unix://${sock}` });
  t.teardown(() => { if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL'); });
  await run.waitFor(/\bPASS\b/, 4 * 60_000);
  const id = runIdFrom((await run.waitFor(/run pp[0-9a-f]{6}/)));
  await new Promise<void>((resolve) => { server.close(() => resolve()); for (const s of open) s.destroy(); });
  execFileSync('docker', ['stop', '-t', '1', `pullproof-${id}-registry`]);
  await run.waitFor(/infrastructure failure: the Docker engine stopped answering/, 60_000);
  await new Promise((resolve) => setTimeout(resolve, 5000));
  server = await listen();
  const r = await run.done;
  t.is(r.code, 3, r.stderr);
  assertStopped(t, readReport(dir), /the Docker engine stopped answering \(connect ENOENT/);
  t.deepEqual(leftovers(id), []);
});
