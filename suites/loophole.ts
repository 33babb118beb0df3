// The loophole suite, for any worker kubelet (`pullproof run --suite loophole --kubelet v1.32.10`): a
// pod with a pull secret pulls a private image; a pod in another namespace without one runs it from the
// node cache (kubernetes#18787) while KubeletEnsureSecretPulledImages is off or unknown; and, on
// kubelets that have the gate, turning it on refuses a new private image to the pod without a secret.
import { ENSURE_SECRET_PULLED_IMAGES } from '../harness/cluster/gates.ts';
import type { Scenario, Suite } from '../harness/suite/types.ts';
import { NS_A, NS_B, clusterOf, describeOutcome, pushPrivateImages, refusedPull, runPod, setWorkerGate, tenantsAndSecret, workerKnowsGate, workerOf } from './pods.ts';

export function loopholeSuite(): Suite {
  let images: string[] = [];
  const image = (i: number): string => {
    const ref = images[i];
    if (!ref) throw new Error('the first scenario did not push the images');
    return ref;
  };
  const scenarios: Scenario[] = [
    {
      name: 'A pod with a pull secret pulls private image X and runs (KubeletEnsureSecretPulledImages off, or unknown to this kubelet)',
      async run(env, t) {
        images = await pushPrivateImages(env, 'loophole', ['x', 'y']);
        await tenantsAndSecret(env);
        t.note(`worker kubelet ${clusterOf(env).kubelets.get(workerOf(env).name) ?? 'unknown'}`);
        if (workerKnowsGate(env, ENSURE_SECRET_PULLED_IMAGES)) await setWorkerGate(env, t, ENSURE_SECRET_PULLED_IMAGES, false);
        else t.note(`this kubelet has no ${ENSURE_SECRET_PULLED_IMAGES} gate: the loophole cannot be closed on it`);
        const o = await runPod(env, t, { namespace: NS_A, image: image(0), pullPolicy: 'IfNotPresent', secret: true, expectRunning: true });
        t.expect(o.running, 'the pod to run', describeOutcome(o));
      },
    },
    {
      name: 'A pod in another namespace without a secret runs private image X from the node cache (kubernetes#18787)',
      async run(env, t) {
        const o = await runPod(env, t, { namespace: NS_B, image: image(0), pullPolicy: 'IfNotPresent', secret: false, expectRunning: true });
        t.expect(o.running, 'the pod to run without credentials', describeOutcome(o));
      },
    },
    {
      name: 'A new private image Y pulled with a secret is refused to a pod without one where the kubelet can enforce it (gate on), and runs where it cannot',
      async run(env, t) {
        const enforce = workerKnowsGate(env, ENSURE_SECRET_PULLED_IMAGES);
        if (enforce) await setWorkerGate(env, t, ENSURE_SECRET_PULLED_IMAGES, true);
        const pulled = await runPod(env, t, { namespace: NS_A, image: image(1), pullPolicy: 'IfNotPresent', secret: true, expectRunning: true });
        t.expect(pulled.running, 'the pod with the secret to run', describeOutcome(pulled));
        const o = await runPod(env, t, { namespace: NS_B, image: image(1), pullPolicy: 'IfNotPresent', secret: false, expectRunning: !enforce });
        if (enforce) t.expect(refusedPull(o), 'ErrImagePull or ImagePullBackOff (the gate closes the loophole)', describeOutcome(o));
        else t.expect(o.running, 'the pod to run: this kubelet has no way to refuse it', describeOutcome(o));
      },
    },
  ];
  return {
    name: 'loophole',
    title: 'Loophole: a private image reused without credentials, per worker kubelet version',
    description: 'kubernetes#18787 on the worker kubelet you choose with --kubelet (default: the 1.35 node image\'s), and whether that kubelet can close it.',
    needs: ['registry', 'cluster'],
    cluster: { kubernetes: 'v1.35.4', workers: [{}] },
    scenarios,
  };
}
