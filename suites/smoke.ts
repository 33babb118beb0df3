// The smoke suite: on one 1.35 cluster built from source, the loophole kubernetes#18787 with
// KubeletEnsureSecretPulledImages off, and its closing with the gate on under the default policy
// (NeverVerifyPreloadedImages), including the migration caveat: images cached while the gate was off
// count as preloaded. Every pod is pinned with nodeName to the worker under test; every gate change is
// confirmed through the kubelet's /configz. Scenarios run in order and build on each other.
import { credentialHash } from '../harness/credprovider/hash.ts';
import { buildFixtureImage } from '../harness/image/fixtures.ts';
import { ENSURE_SECRET_PULLED_IMAGES } from '../harness/cluster/gates.ts';
import { PULL_FAILURE_REASONS, type PodOutcome } from '../harness/cluster/kube.ts';
import { nodeHostsServers } from '../harness/cluster/mirror.ts';
import type { Environment, Scenario, ScenarioTools, Suite } from '../harness/suite/types.ts';
import type { Cluster } from '../harness/cluster/provider.ts';
import type { KindNode } from '../harness/node/kind-node.ts';

const NS_A = 'tenant-a';
const NS_B = 'tenant-b';
const SECRET = 'pull-tenant-a';

interface State {
  x: string;
  y: string;
  yRef?: string;
  secretUid: string;
  pods: number;
}

function describe(o: PodOutcome): string {
  return o.running ? 'Running' : `${o.phase}, waiting: ${o.waitingReason ?? 'none'}${o.waitingMessage ? ` (${o.waitingMessage.slice(0, 160)})` : ''}`;
}

export function smokeSuite(): Suite {
  let state: State | undefined;
  const cluster = (env: Environment): Cluster => {
    if (!env.cluster) throw new Error('the smoke suite needs a cluster');
    return env.cluster;
  };
  const worker = (env: Environment): KindNode => {
    const w = cluster(env).workers[0];
    if (!w) throw new Error('the smoke suite needs a worker node');
    return w;
  };
  const st = (): State => {
    if (!state) throw new Error('the first scenario did not set up the images');
    return state;
  };
  /** Runs a pod on the worker and returns what the user sees; the pod is deleted afterwards. */
  const runPod = async (env: Environment, t: ScenarioTools, ns: string, image: string, pullPolicy: 'IfNotPresent' | 'Never' | 'Always', secret: boolean, expectRunning: boolean): Promise<PodOutcome> => {
    const kube = cluster(env).kube;
    const name = `p${++st().pods}`;
    await kube.createPod({ namespace: ns, name, node: worker(env).name, image, pullPolicy, pullSecrets: secret ? [SECRET] : [] });
    try {
      // A refused pull shows up at once; a backoff reason can take a few seconds more.
      return await kube.waitForOutcome(ns, name, { reasons: expectRunning ? [] : PULL_FAILURE_REASONS, timeoutMs: expectRunning ? 120_000 : 90_000 });
    } finally {
      t.note(`pod ${ns}/${name} (${image.split('/').slice(1).join('/')}, ${pullPolicy}${secret ? `, secret ${SECRET}` : ', no secret'})`);
      await kube.deletePod(ns, name);
    }
  };
  const setGate = async (env: Environment, t: ScenarioTools, on: boolean): Promise<void> => {
    const node = worker(env);
    const r = await cluster(env).setKubelet(node, { featureGates: { [ENSURE_SECRET_PULLED_IMAGES]: on } }, `workers[0]`);
    t.expect((r.configz.featureGates as Record<string, boolean> | undefined)?.[ENSURE_SECRET_PULLED_IMAGES] === on,
      `/configz to show ${ENSURE_SECRET_PULLED_IMAGES}=${on}`, JSON.stringify(r.configz.featureGates));
    t.measure({ name: 'kubelet restart to Ready', value: r.seconds, unit: 's', how: 'systemctl restart kubelet until healthz answers and the node reports Ready with a newer heartbeat', samples: 1 });
  };

  const scenarios: Scenario[] = [
    {
      name: 'With KubeletEnsureSecretPulledImages off, a pod with a pull secret pulls private image X and runs',
      async run(env, t) {
        const c = cluster(env);
        const admin = env.registry.client(env.registry.admin);
        const images: string[] = [];
        for (const variant of ['x', 'y']) {
          const repo = `tenant-a/smoke-${variant}-${env.run.id}`;
          await admin.push(repo, 'v1', await buildFixtureImage({ scenario: 'smoke', variant }));
          images.push(`${env.registry.host}/${repo}:v1`);
        }
        admin.close();
        for (const ns of [NS_A, NS_B]) await c.kube.ensureNamespace(ns);
        const cred = env.registry.tenant('tenant-a');
        const secretUid = await c.kube.createPullSecret({ namespace: NS_A, name: SECRET, registry: env.registry.host, ...cred });
        state = { x: images[0] as string, y: images[1] as string, secretUid, pods: 0 };
        await setGate(env, t, false);
        const o = await runPod(env, t, NS_A, st().x, 'IfNotPresent', true, true);
        t.expect(o.running, 'the pod to run', describe(o));
      },
    },
    {
      name: 'With the gate off, a pod in another namespace without a secret runs private image X from the node cache (kubernetes#18787)',
      async run(env, t) {
        const since = env.registry.log.cursor;
        const o = await runPod(env, t, NS_B, st().x, 'IfNotPresent', false, true);
        t.expect(o.running, 'the pod to run without credentials (the loophole)', describe(o));
        const manifests = env.registry.log.query({ since, kind: 'manifest' });
        t.expect(manifests.length === 0, 'no manifest request to the registry (served from the cache)', `${manifests.length} requests`);
      },
    },
    {
      name: 'With the gate on (default policy), a pod with a pull secret pulls new private image Y and runs',
      async run(env, t) {
        await setGate(env, t, true);
        const o = await runPod(env, t, NS_A, st().y, 'IfNotPresent', true, true);
        t.expect(o.running, 'the pod to run', describe(o));
        st().yRef = o.imageID ? await worker(env).imageRef(st().y) : undefined;
      },
    },
    {
      name: 'With the gate on, an IfNotPresent pod without a secret cannot use private image Y from the cache',
      async run(env, t) {
        const since = env.registry.log.cursor;
        const o = await runPod(env, t, NS_B, st().y, 'IfNotPresent', false, false);
        t.expect(!o.running && (o.waitingReason === 'ErrImagePull' || o.waitingReason === 'ImagePullBackOff'), 'ErrImagePull or ImagePullBackOff', describe(o));
        const refused = env.registry.log.query({ since, kind: 'manifest' }).filter((r) => r.status === 401);
        t.expect(refused.length > 0, 'the kubelet to re-verify at the registry, which refused it (401)', `${refused.length} refused manifest requests`);
      },
    },
    {
      name: 'With the gate on, a Never pod without a secret is refused with ErrImageNeverPull',
      async run(env, t) {
        const o = await runPod(env, t, NS_B, st().y, 'Never', false, false);
        t.expect(o.waitingReason === 'ErrImageNeverPull', 'ErrImageNeverPull', describe(o));
      },
    },
    {
      name: "The node's pulled record for Y names tenant A's secret and its credential hash",
      async run(env, t) {
        const node = worker(env);
        const ref = st().yRef ?? (await node.imageRef(st().y));
        t.expect(ref !== undefined, 'image Y to be present on the node', 'absent');
        const record = await node.pulledRecordFor(ref as string);
        const cred = env.registry.tenant('tenant-a');
        const name = st().y.replace(/:v1$/, '');
        const secrets = record?.credentialMapping[name]?.kubernetesSecrets ?? [];
        t.expect(secrets.length === 1 && secrets[0]?.namespace === NS_A && secrets[0].name === SECRET && secrets[0].uid === st().secretUid,
          `one secret ${NS_A}/${SECRET} (uid ${st().secretUid}) under ${name}`, JSON.stringify(record?.credentialMapping ?? null));
        t.expect(secrets[0]?.credentialHash === credentialHash({ username: cred.username, password: cred.password }),
          'the credential hash the kubelet computes for those credentials', secrets[0]?.credentialHash ?? 'none');
      },
    },
    {
      name: 'After a kubelet restart the record is still there and the pod without a secret is still refused',
      async run(env, t) {
        const node = worker(env);
        const seconds = await node.restartKubelet();
        t.measure({ name: 'kubelet restart to Ready', value: seconds, unit: 's', how: 'systemctl restart kubelet until healthz answers and the node reports Ready with a newer heartbeat', samples: 1 });
        const ref = st().yRef ?? (await node.imageRef(st().y));
        t.expect((await node.pulledRecordFor(ref as string)) !== undefined, 'the pulled record for Y to survive the restart', 'missing');
        const o = await runPod(env, t, NS_B, st().y, 'IfNotPresent', false, false);
        t.expect(!o.running && (o.waitingReason === 'ErrImagePull' || o.waitingReason === 'ImagePullBackOff'), 'ErrImagePull or ImagePullBackOff', describe(o));
      },
    },
    {
      name: 'X, pulled while the gate was off, counts as preloaded: a pod without a secret still runs it (migration caveat)',
      async run(env, t) {
        const o = await runPod(env, t, NS_B, st().x, 'IfNotPresent', false, true);
        t.expect(o.running, 'the pod to run (X has no record, so NeverVerifyPreloadedImages exempts it)', describe(o));
      },
    },
    {
      name: 'A privileged pod runs on the node',
      async run(env, t) {
        const c = cluster(env);
        const name = `priv${++st().pods}`;
        await c.kube.createPod({ namespace: NS_A, name, node: worker(env).name, image: st().y, pullPolicy: 'IfNotPresent', pullSecrets: [SECRET], privileged: true });
        try {
          const o = await c.kube.waitForOutcome(NS_A, name, { reasons: [] });
          t.expect(o.running, 'the privileged pod to run', describe(o));
        } finally {
          await c.kube.deletePod(NS_A, name);
        }
      },
    },
    {
      name: 'Every hosts.toml in every node names the harness registry as server',
      async run(env, t) {
        for (const node of [cluster(env).controlPlane, ...cluster(env).workers]) {
          const servers = await nodeHostsServers(node);
          t.expect(servers.size >= 4, `${node.name}: hosts.toml for registry.k8s.io, docker.io, _default and the harness registry`, [...servers.keys()].join(', '));
          const foreign = [...servers].filter(([, s]) => !s.startsWith(env.registry.endpoint));
          t.expect(foreign.length === 0, `${node.name}: every server to be ${env.registry.endpoint}`, foreign.map(([f, s]) => `${f}: ${s}`).join('; ') || 'none');
        }
      },
    },
  ];
  return {
    name: 'smoke',
    title: 'Smoke: the #18787 loophole and KubeletEnsureSecretPulledImages on a source-built 1.35 cluster',
    description: 'One 1.35 cluster (control plane + one worker) from a source-built node image: the loophole with the gate off, closed with it on.',
    needs: ['registry', 'cluster'],
    cluster: { kubernetes: 'v1.35.4', workers: [{}] },
    scenarios,
  };
}
