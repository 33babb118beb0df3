// The smoke suite: on one 1.35 cluster built from source, the loophole kubernetes#18787 with
// KubeletEnsureSecretPulledImages off, and its closing with the gate on under the default policy
// (NeverVerifyPreloadedImages), including the migration caveat: images cached while the gate was off
// count as preloaded. Every pod is pinned with nodeName to the worker under test; every gate change is
// confirmed through the kubelet's /configz. Scenarios run in order and build on each other.
import { credentialHash } from '../harness/credprovider/hash.ts';
import { ENSURE_SECRET_PULLED_IMAGES } from '../harness/cluster/gates.ts';
import { nodeHostsServers } from '../harness/cluster/mirror.ts';
import type { Scenario, Suite } from '../harness/suite/types.ts';
import { NS_A, NS_B, RESTART_HOW, SECRET, clusterOf, describeOutcome, pushPrivateImages, refusedPull, runPod, setWorkerGate, tenantsAndSecret, workerOf } from './pods.ts';

interface State {
  x: string;
  y: string;
  secretUid: string;
}

export function smokeSuite(): Suite {
  let state: State | undefined;
  const st = (): State => {
    if (!state) throw new Error('the first scenario did not set up the images');
    return state;
  };

  const scenarios: Scenario[] = [
    {
      name: 'With KubeletEnsureSecretPulledImages off, a pod with a pull secret pulls private image X and runs',
      async run(env, t) {
        const [x, y] = await pushPrivateImages(env, 'smoke', ['x', 'y']);
        state = { x: x as string, y: y as string, secretUid: await tenantsAndSecret(env) };
        await setWorkerGate(env, t, ENSURE_SECRET_PULLED_IMAGES, false);
        const o = await runPod(env, t, { namespace: NS_A, image: st().x, pullPolicy: 'IfNotPresent', secret: true, expectRunning: true });
        t.expect(o.running, 'the pod to run', describeOutcome(o));
      },
    },
    {
      name: 'With the gate off, a pod in another namespace without a secret runs private image X from the node cache (kubernetes#18787)',
      async run(env, t) {
        const since = env.registry.log.cursor;
        const o = await runPod(env, t, { namespace: NS_B, image: st().x, pullPolicy: 'IfNotPresent', secret: false, expectRunning: true });
        t.expect(o.running, 'the pod to run without credentials (the loophole)', describeOutcome(o));
        const manifests = env.registry.log.query({ since, kind: 'manifest' });
        t.expect(manifests.length === 0, 'no manifest request to the registry (served from the cache)', `${manifests.length} requests`);
      },
    },
    {
      name: 'With the gate on (default policy), a pod with a pull secret pulls new private image Y and runs',
      async run(env, t) {
        await setWorkerGate(env, t, ENSURE_SECRET_PULLED_IMAGES, true);
        const o = await runPod(env, t, { namespace: NS_A, image: st().y, pullPolicy: 'IfNotPresent', secret: true, expectRunning: true });
        t.expect(o.running, 'the pod to run', describeOutcome(o));
      },
    },
    {
      name: 'With the gate on, an IfNotPresent pod without a secret cannot use private image Y from the cache',
      async run(env, t) {
        const since = env.registry.log.cursor;
        const o = await runPod(env, t, { namespace: NS_B, image: st().y, pullPolicy: 'IfNotPresent', secret: false, expectRunning: false });
        t.expect(refusedPull(o), 'ErrImagePull or ImagePullBackOff', describeOutcome(o));
        const refused = env.registry.log.query({ since, kind: 'manifest' }).filter((r) => r.status === 401);
        t.expect(refused.length > 0, 'the kubelet to re-verify at the registry, which refused it (401)', `${refused.length} refused manifest requests`);
      },
    },
    {
      name: 'With the gate on, a Never pod without a secret is refused with ErrImageNeverPull',
      async run(env, t) {
        const o = await runPod(env, t, { namespace: NS_B, image: st().y, pullPolicy: 'Never', secret: false, expectRunning: false });
        t.expect(o.waitingReason === 'ErrImageNeverPull', 'ErrImageNeverPull', describeOutcome(o));
      },
    },
    {
      name: "The node's pulled record for Y names tenant A's secret and its credential hash",
      async run(env, t) {
        const node = workerOf(env);
        const ref = await node.imageRef(st().y);
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
        const node = workerOf(env);
        const seconds = await node.restartKubelet();
        t.measure({ name: 'kubelet restart to Ready', value: seconds, unit: 's', how: RESTART_HOW, samples: 1 });
        const ref = await node.imageRef(st().y);
        t.expect((await node.pulledRecordFor(ref ?? '')) !== undefined, 'the pulled record for Y to survive the restart', 'missing');
        const o = await runPod(env, t, { namespace: NS_B, image: st().y, pullPolicy: 'IfNotPresent', secret: false, expectRunning: false });
        t.expect(refusedPull(o), 'ErrImagePull or ImagePullBackOff', describeOutcome(o));
      },
    },
    {
      name: 'X, pulled while the gate was off, counts as preloaded: a pod without a secret still runs it (migration caveat)',
      async run(env, t) {
        const o = await runPod(env, t, { namespace: NS_B, image: st().x, pullPolicy: 'IfNotPresent', secret: false, expectRunning: true });
        t.expect(o.running, 'the pod to run (X has no record, so NeverVerifyPreloadedImages exempts it)', describeOutcome(o));
      },
    },
    {
      name: 'A privileged pod runs on the node',
      async run(env, t) {
        const o = await runPod(env, t, { namespace: NS_A, image: st().y, pullPolicy: 'IfNotPresent', secret: true, expectRunning: true, privileged: true });
        t.expect(o.running, 'the privileged pod to run', describeOutcome(o));
      },
    },
    {
      name: 'Every hosts.toml in every node names the harness registry as server',
      async run(env, t) {
        for (const node of [clusterOf(env).controlPlane, ...clusterOf(env).workers]) {
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
