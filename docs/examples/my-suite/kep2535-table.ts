// An example suite of your own, loaded from outside the repository with
//   npx pullproof run --suite-file docs/examples/my-suite/kep2535-table.ts
//   npx pullproof list --suite-file /path/to/kep2535-table.ts --kubelet v1.34.4
// It is the KEP-2535 verdict table of a release engineer: every verification policy x pull policy for
// a pod without credentials and a pod with a copy of the pulling secret (same credentials, another
// name and namespace), after another namespace pulled the image with its secret. Nothing here says
// what the kubelet should do: pullproof's oracle predicts each cell and judges what the kubelet did.
import { defineSuite, expandAxes, pod, primedBy, privateImageWorld } from 'pullproof';

const POLICIES = ['NeverVerify', 'NeverVerifyPreloadedImages', 'NeverVerifyAllowlistedImages', 'AlwaysVerify'] as const;

export const table = defineSuite({
  name: 'my-kep2535-table',
  title: 'My KEP-2535 table: policy x pull policy x credentials',
  description: 'Two credential cases against every policy and pull policy, on the kubelet given with --kubelet.',
  scenarios: () => expandAxes(
    { policy: POLICIES, pullPolicy: ['IfNotPresent', 'Never'], credential: ['no secret', 'copy of the secret'] },
    ({ policy, pullPolicy, credential }) => ({
      id: `${policy}/${pullPolicy}/${credential.replace(/ /g, '-')}`,
      name: `${pullPolicy} pod with ${credential === 'no secret' ? 'no pull secret' : 'a copy of the pulling secret'} after another namespace pulled the private image, under ${policy}`,
      world: privateImageWorld({ secrets: { copy: { namespace: 'b', user: 'owner' } } }),
      kubelet: { ensureSecretPulledImages: true, policy },
      setup: [primedBy()],
      act: pod('b', pullPolicy, { secrets: credential === 'no secret' ? [] : ['copy'] }),
    }),
  ),
});
