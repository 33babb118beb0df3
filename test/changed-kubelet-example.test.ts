// The committed example of a deliberately changed kubelet (docs/examples/changed-kubelet/, docs/upgrades.md):
// a v1.35.4 kubelet built from the module proxy's zip with writeRecordWhileMatchingLimit lowered from 100
// to 1 (fixtures/changed-kubelet/make-tree.sh), run with the same selection as upstream v1.35.4. The
// verdicts `pullproof diff` finds changed must be exactly the scenarios whose prediction the oracle
// changes when told the same change (--kubelet-limits recordedSecretsLimit=1), and at least one.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { plan } from '../harness/engine/plan.ts';
import { diffReports } from '../harness/report/diff.ts';
import type { Report } from '../harness/report/types.ts';
import { ensureSecretPulled } from '../suites/ensure-secret-pulled.ts';

const read = (name: string): Report => JSON.parse(readFileSync(new URL(`../docs/examples/changed-kubelet/${name}/report.json`, import.meta.url), 'utf8')) as Report;

test('the changed kubelet differs from upstream in exactly the scenarios the oracle predicts for recordedSecretsLimit 1', (t) => {
  const upstream = read('upstream');
  const changed = read('changed');
  t.is(changed.run.kubeletBuild?.source, 'source', 'the changed report names its build');
  t.not(changed.run.kubeletBuild?.sha256, undefined);
  t.is(upstream.run.kubeletBuild, undefined);
  const ids = new Set(upstream.scenarios.map((s) => s.id));
  t.deepEqual(new Set(changed.scenarios.map((s) => s.id)), ids, 'the same selection');

  const select = [...ids].map((id) => new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  const before = plan({ suites: [ensureSecretPulled], kubelets: ['v1.35.4'], focus: select });
  const after = plan({ suites: [ensureSecretPulled], kubelets: ['v1.35.4'], focus: select, limits: { recordedSecretsLimit: 1 } });
  const expectation = (p: (typeof before.scenarios)[number]): string => JSON.stringify([p.prediction.outcome, p.prediction.cause, p.prediction.record]);
  const predicted = after.scenarios.filter((s) => expectation(s) !== expectation(before.scenarios.find((x) => x.id === s.id) as never)).map((s) => `${s.id}@${s.kubelet}`).sort();

  const found = diffReports(upstream, changed).changed.map((c) => c.match).sort();
  t.true(found.length > 0);
  t.deepEqual(found, predicted);
  t.true(upstream.scenarios.every((s) => s.status === 'passed'), 'upstream agrees with the oracle everywhere');
});
