// Each run gets a Docker network of its own with a known subnet, and (unless --online) a fence: a rule
// in Docker's DOCKER-USER chain that drops traffic forwarded from that subnet to anywhere outside it.
// Traffic between containers on the bridge, and to the host's own bridge address (where the harness's
// proxies listen), never passes that chain. The rule's drop counter, read just before the rule is
// removed, proves that nothing tried to leave.
import { HarnessError } from '../errors.ts';
import { output, run } from '../util/exec.ts';

export const LABEL = 'io.pullproof';
export const RUN_LABEL = 'io.pullproof.run';

export interface RunNetwork {
  runId: string;
  name: string;
  subnet: string;
  gateway: string;
  bridge: string;
  fenced: boolean;
}

const FENCE_COMMENT_PREFIX = 'pullproof:';

async function usedSubnets(): Promise<Set<string>> {
  const used = new Set<string>();
  const ids = (await output(['docker', 'network', 'ls', '-q'])).split('\n').filter(Boolean);
  if (ids.length > 0) {
    const subnets = await output(['docker', 'network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', ...ids]);
    for (const s of subnets.split(/\s+/).filter(Boolean)) used.add(s);
  }
  const routes = await output(['ip', '-4', 'route', 'show']);
  for (const line of routes.split('\n')) {
    const dest = line.split(' ')[0];
    if (dest && dest.includes('/')) used.add(dest);
  }
  return used;
}

/** Picks a free /24 in 172.29.0.0/16 (pullproof's range), avoiding every network Docker and the host use. */
async function pickSubnet(): Promise<{ subnet: string; gateway: string }> {
  const used = await usedSubnets();
  const usedOctets = new Set<number>();
  for (const s of used) {
    const m = /^172\.29\.(\d+)\.\d+\/(\d+)$/.exec(s);
    if (m) usedOctets.add(Number(m[1]));
    if (s === '172.29.0.0/16' || s === '172.16.0.0/12') throw new HarnessError(`the host already routes ${s}, which contains pullproof's network range 172.29.0.0/16`);
  }
  for (let third = 1; third < 255; third++) {
    if (!usedOctets.has(third)) return { subnet: `172.29.${third}.0/24`, gateway: `172.29.${third}.1` };
  }
  throw new HarnessError('no free /24 left in 172.29.0.0/16; run "npx pullproof cleanup" to remove networks of old runs');
}

function fenceRule(net: { subnet: string; runId: string }): string[] {
  return ['-s', net.subnet, '!', '-d', net.subnet, '-m', 'comment', '--comment', `${FENCE_COMMENT_PREFIX}${net.runId}`, '-j', 'DROP'];
}

export async function createRunNetwork(runId: string, options: { online?: boolean } = {}): Promise<RunNetwork> {
  const { subnet, gateway } = await pickSubnet();
  const name = `pullproof-${runId}`;
  const bridge = `br-${runId}`.slice(0, 15);
  await run(['docker', 'network', 'create', '--driver', 'bridge', '--subnet', subnet, '--gateway', gateway,
    '--label', `${LABEL}=1`, '--label', `${RUN_LABEL}=${runId}`,
    '-o', `com.docker.network.bridge.name=${bridge}`,
    // kind reads this to name its nodes' network; MTU default keeps nested pulls working.
    name]);
  const net: RunNetwork = { runId, name, subnet, gateway, bridge, fenced: false };
  if (!options.online) {
    try {
      await run(['iptables', '-w', '-I', 'DOCKER-USER', '1', ...fenceRule(net)]);
    } catch (err) {
      await run(['docker', 'network', 'rm', name], { allowFailure: true });
      throw new HarnessError(`could not install the egress fence for ${subnet} in the DOCKER-USER chain (is dockerd managing iptables?)`,
        (err as Error).message, { cause: err });
    }
    net.fenced = true;
  }
  return net;
}

/** Packets the fence dropped so far (0 means nothing in the run tried to leave its network). */
export async function fenceDrops(net: RunNetwork): Promise<number> {
  if (!net.fenced) return 0;
  const listing = await output(['iptables', '-w', '-L', 'DOCKER-USER', '-v', '-x', '-n']);
  for (const line of listing.split('\n')) {
    if (line.includes(`/* ${FENCE_COMMENT_PREFIX}${net.runId} */`)) return Number(line.trim().split(/\s+/)[0]);
  }
  throw new HarnessError(`the fence rule for run ${net.runId} is missing from DOCKER-USER`);
}

export async function fenceExists(runId: string): Promise<boolean> {
  const rules = await output(['iptables', '-w', '-S', 'DOCKER-USER']);
  return rules.includes(`${FENCE_COMMENT_PREFIX}${runId}`);
}

export async function removeRunNetwork(net: RunNetwork): Promise<void> {
  if (net.fenced) {
    await run(['iptables', '-w', '-D', 'DOCKER-USER', ...fenceRule(net)], { allowFailure: true });
    net.fenced = false;
  }
  // A network that is already gone is fine; one that is still there after rm is a failed cleanup step.
  const rm = await run(['docker', 'network', 'rm', net.name], { allowFailure: true });
  if (rm.exitCode !== 0 && !/not found|No such network/i.test(rm.stderr)) {
    throw new HarnessError(`could not remove the run network ${net.name}: ${rm.stderr.trim().split('\n').slice(-1)[0] ?? ''}`, 'remove what uses it, then run "npx pullproof cleanup"');
  }
}

/** Every fence rule pullproof ever installed that is still there (for `pullproof cleanup`). */
export async function leftoverFenceRules(): Promise<string[]> {
  const rules = await output(['iptables', '-w', '-S', 'DOCKER-USER'], { allowFailure: true });
  return rules.split('\n').filter((r) => r.startsWith('-A DOCKER-USER') && r.includes(FENCE_COMMENT_PREFIX));
}

export async function removeFenceRule(rule: string): Promise<void> {
  // iptables -S prints rules in the form -A accepts; the same words with -D delete it.
  const words = rule.replace(/^-A /, '').match(/"[^"]*"|\S+/g) ?? [];
  // A rule already gone (removed by a concurrent cleanup, or lost when dockerd restarted) is fine.
  const rm = await run(['iptables', '-w', '-D', ...words.map((w) => w.replace(/^"|"$/g, ''))], { allowFailure: true });
  if (rm.exitCode !== 0 && !/does a matching rule exist|Bad rule/i.test(rm.stderr)) {
    throw new HarnessError(`could not remove the fence rule ${rule}: ${rm.stderr.trim().split('\n').slice(-1)[0] ?? ''}`, 'run "npx pullproof cleanup" as root (or with sudo)');
  }
}
