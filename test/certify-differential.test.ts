// The differential test: every case of the corpus (harness/certify/judge/corpus.ts) decided by the
// kubelet's own code (the judge, built from k8s.io/kubernetes at the release) and by pullproof's
// rules, with zero disagreements. CI runs v1.35.4; PULLPROOF_DIFFERENTIAL=all (or a list such as
// "v1.33 v1.34") runs other versions, each building its judge on first use.
import test from 'ava';
import { differentialVersions, runDifferential } from '../harness/certify/judge/differential.ts';

/** The tags every version's corpus must cover: each rejection reason of docs/specification.md B3 and each certify finding. */
const REQUIRED = [
  'B3.exec', 'B3.timeout', 'B3.gvk', 'B3.apiVersion', 'B3.kind', 'B3.strict', 'B3.cacheKeyType', 'B3.token-echo', 'B3.auth-keys',
  'finding-1', 'finding-2', 'finding-3', 'finding-4', 'finding-5', 'finding-6', 'finding-7', 'held-stdout', 'kubelet-config',
];

for (const version of differentialVersions(process.env.PULLPROOF_DIFFERENTIAL)) {
  test(`Kubernetes ${version}: the kubelet's own code and pullproof's rules agree on every case of the corpus`, async (t) => {
    t.timeout(40 * 60_000, 'a cold judge build takes minutes');
    const r = await runDifferential(version, { progress: (l) => t.log(l) });
    t.log(`${r.release}: ${r.judged} cases (${Object.entries(r.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}) in ${r.seconds.toFixed(1)} s, of which the judge build ${r.buildSeconds.toFixed(0)} s`);
    t.true(r.judged >= 200, `only ${r.judged} cases judged`);
    t.deepEqual(REQUIRED.filter((tag) => !r.covers.includes(tag)), [], 'every B3 reason and every finding has cases');
    t.deepEqual(r.disagreements.map((d) => `${d.kind} "${d.id}": kubelet ${JSON.stringify(d.kubelet)} (${d.detail.slice(0, 200)}), rules ${JSON.stringify(d.rules)}`), []);
  });
}
