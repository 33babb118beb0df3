// Host setup, the per-run network and its fence, and the base image, on the real Docker engine.
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { pullproof } from './helpers/cli.ts';
import { RunContext } from '../harness/run/context.ts';
import { createRunNetwork, fenceDrops, fenceExists, removeRunNetwork } from '../harness/host/network.ts';
import { ensureBaseImage } from '../harness/host/base-image.ts';
import { buildFixtureImage } from '../harness/image/fixtures.ts';
import { toDockerArchive } from '../harness/image/oci.ts';
import type { SetupStep } from '../harness/host/setup.ts';
import type { Finding } from '../harness/host/doctor.ts';

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

test('setup run twice changes nothing the second time', async (t) => {
  const first = await pullproof(['setup', '--json']);
  t.is(first.code, 0, first.stderr);
  const second = await pullproof(['setup', '--json']);
  t.is(second.code, 0, second.stderr);
  const changed = (JSON.parse(second.stdout) as SetupStep[]).filter((s) => s.changed).map((s) => s.name);
  t.deepEqual(changed, []);
});

/** Loads a fixture image and starts a container of it; both are removed when the test ends. */
async function fixtureContainer(t: ExecutionContext, scenario: string, runFlags: string[] = []): Promise<string> {
  const tag = `pullproof-test/${scenario}:latest`;
  execFileSync('docker', ['load'], { input: await toDockerArchive(await buildFixtureImage({ scenario }), [tag]) });
  const name = `pullproof-test-${scenario}-${process.pid}`;
  t.teardown(() => {
    execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    execFileSync('docker', ['rmi', tag], { stdio: 'ignore' });
  });
  docker('run', '-d', '--name', name, '--label', 'io.pullproof=1', ...runFlags, tag);
  return name;
}

test('a --privileged container runs after setup', async (t) => {
  const name = await fixtureContainer(t, 'privileged', ['--privileged', '--security-opt', 'seccomp=unconfined', '--cgroupns=private', '--tmpfs', '/run']);
  t.is(docker('inspect', '--format', '{{.State.Running}} {{.HostConfig.Privileged}}', name), 'true true');
});

test('a fixture container stops in under 2 s (its program exits on SIGTERM)', async (t) => {
  const name = await fixtureContainer(t, 'stop');
  t.is(docker('inspect', '--format', '{{.State.Running}}', name), 'true');
  const t0 = performance.now();
  docker('stop', '--time', '30', name);
  const seconds = (performance.now() - t0) / 1000;
  t.true(seconds < 2, `docker stop took ${seconds.toFixed(2)} s`);
  t.is(docker('inspect', '--format', '{{.State.ExitCode}}', name), '0');
});

test("the fence's drop counter is 0 just before cleanup, and the rule and network are gone after", async (t) => {
  const ctx = RunContext.create({ label: 'test-fence' });
  const net = await ctx.createNetwork();
  t.true(await fenceExists(ctx.id));
  await ctx.finish();
  t.is(ctx.fence?.droppedPackets, 0);
  t.false(await fenceExists(ctx.id));
  t.is(docker('network', 'ls', '--filter', `name=^${net.name}$`, '--format', '{{.Name}}'), '');
});

test('the fence drops traffic from the run network to addresses outside it (here: another local network)', async (t) => {
  // The "outside" target is a second Docker network on this machine, so no packet can leave the host
  // even if the fence were broken.
  const suffix = process.pid.toString(16).slice(-4);
  const inner = await createRunNetwork(`ppf${suffix}a`);
  const outer = await createRunNetwork(`ppf${suffix}b`, { online: true });
  const base = await ensureBaseImage();
  const target = `pullproof-test-fence-target-${process.pid}`;
  t.teardown(async () => {
    execFileSync('docker', ['rm', '-f', target], { stdio: 'ignore' });
    await removeRunNetwork(inner);
    await removeRunNetwork(outer);
  });
  docker('run', '-d', '--name', target, '--label', 'io.pullproof=1', '--network', outer.name, base.tag, 'sleep', '60');
  const targetIp = docker('inspect', '--format', `{{(index .NetworkSettings.Networks "${outer.name}").IPAddress}}`, target);
  const before = await fenceDrops(inner);
  // bash's /dev/tcp opens a TCP connection with no extra tools; the fence must drop the SYN.
  const probe = spawnSync('docker', ['run', '--rm', '--label', 'io.pullproof=1', '--network', inner.name, base.tag,
    'timeout', '3', 'bash', '-c', `echo > /dev/tcp/${targetIp}/9`], { encoding: 'utf8' });
  t.not(probe.status, 0, 'the connection must not succeed');
  t.true((await fenceDrops(inner)) > before, 'the fence counted the dropped packets');
});

test('doctor reports the Docker engine, cgroup version, capabilities, inotify, disk, Go and Node', async (t) => {
  const r = await pullproof(['doctor', '--json']);
  const checks = (JSON.parse(r.stdout) as Finding[]).map((f) => f.check);
  for (const c of ['docker engine', 'cgroup version', 'capability bounding set', 'fs.inotify.max_user_instances', 'free disk (cache)', 'go', 'node']) {
    t.true(checks.includes(c), `missing ${c}`);
  }
});

test('the bookworm base image is cached: a second request is a hit in under 5 s', async (t) => {
  await ensureBaseImage();
  const t0 = performance.now();
  const again = await ensureBaseImage();
  t.true(again.cached && performance.now() - t0 < 5000);
  t.regex(docker('run', '--rm', again.tag, 'cat', '/etc/debian_version'), /^12\./);
});
