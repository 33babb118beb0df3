// Building blocks for scenario suites: the common world (a registry user with access to one private
// image, two namespaces, a pull secret in the first) and the pods scenarios start. Scenarios stay data:
// none states what the kubelet should do; the oracle predicts it.
import type { PodSpec, Step, WorldSpec } from '../harness/engine/spec.ts';
import type { PullPolicy } from '../harness/oracle/types.ts';

/** owner may pull img (private); namespaces a and b; secret pull-a (owner's credentials) in a. */
export function privateImageWorld(extra: Partial<WorldSpec> = {}): WorldSpec {
  return {
    users: { owner: { pulls: ['img'] }, ...extra.users },
    images: { img: { repository: 'private' }, ...extra.images },
    namespaces: extra.namespaces ?? ['a', 'b'],
    secrets: { 'pull-a': { namespace: 'a', user: 'owner' }, ...extra.secrets },
    serviceAccounts: extra.serviceAccounts,
  };
}

export function pod(namespace: string, pullPolicy: PullPolicy, o: { image?: string; secrets?: string[]; serviceAccount?: string; privileged?: boolean } = {}): PodSpec {
  return { namespace, image: o.image ?? 'img', pullPolicy, secrets: o.secrets, serviceAccount: o.serviceAccount, privileged: o.privileged };
}

/** Namespace a pulls the image with its secret (the kubelet pulls it and, with the gate on, records it). */
export function primedBy(secret = 'pull-a', image = 'img', namespace = 'a'): Step {
  return { pod: pod(namespace, 'IfNotPresent', { image, secrets: [secret] }) };
}
