// The oracle against the specification: every cell of the A4 matrix, every unit-test case listed in
// docs/specification.md A10 (pullmanager's MustAttemptImagePull, merge and allowlist tables), the upstream
// node e2e cases (image_credential_pulls.go, image_credential_provider.go), the KEP-4412 rules of B4-B6,
// configuration refusals and the known bugs. Each case asserts the outcome and the rule cited.
import test from 'ava';
import { allowlistEntryProblem, allowlistMatches, mergeCredentials, predict, POLICIES } from '../harness/oracle/index.ts';
import type { Outcome, Prediction } from '../harness/oracle/types.ts';
import { IMAGE, NAME, REG, build, podSecret, secret, type Build } from './helpers/oracle-inputs.ts';

function rulesOf(p: Prediction): string[] {
  return p.rules.map((r) => r.id);
}

function expectOutcome(t: import('ava').ExecutionContext, b: Build, outcome: Outcome, ruleId: string): Prediction {
  const p = predict(build(b));
  t.is(p.outcome, outcome, `outcome; rules: ${rulesOf(p).join(' > ')}`);
  t.true(rulesOf(p).includes(ruleId), `rule ${ruleId} cited; rules: ${rulesOf(p).join(' > ')}`);
  return p;
}

// ---- A4 matrix (image present, gate on) ------------------------------------------------------------------
const MINE = secret('pull', { namespace: 'b', hash: 'hash-mine' });
const OTHER = secret('pull', { namespace: 'a', hash: 'hash-other' });
const RECORD_STATES = {
  // a valid secret, so that "pull" in the table is a re-verification that succeeds
  none: { record: 'none' as const, secrets: [podSecret(MINE)] },
  mine: { record: { kubernetesSecrets: [MINE] }, secrets: [podSecret(MINE)] },
  // a record exists for the imageRef but the pod's (valid for the registry) credentials do not match it
  other: { record: { kubernetesSecrets: [OTHER] }, secrets: [podSecret(secret('mine', { namespace: 'b', hash: 'hash-x' }))] },
};
type State = keyof typeof RECORD_STATES;

/** A4 as printed: [pull policy][state][policy] -> outcome; Allowlisted split into listed / unlisted. */
const A4: Record<'IfNotPresent' | 'Never', Record<State, Record<string, Outcome>>> = {
  IfNotPresent: {
    none: { NeverVerify: 'runs-cached', NeverVerifyPreloadedImages: 'runs-cached', 'NeverVerifyAllowlistedImages/listed': 'runs-cached', 'NeverVerifyAllowlistedImages/unlisted': 'reverifies-runs', AlwaysVerify: 'reverifies-runs' },
    mine: { NeverVerify: 'runs-cached', NeverVerifyPreloadedImages: 'runs-cached', 'NeverVerifyAllowlistedImages/listed': 'runs-cached', 'NeverVerifyAllowlistedImages/unlisted': 'runs-cached', AlwaysVerify: 'runs-cached' },
    other: { NeverVerify: 'runs-cached', NeverVerifyPreloadedImages: 'reverifies-runs', 'NeverVerifyAllowlistedImages/listed': 'runs-cached', 'NeverVerifyAllowlistedImages/unlisted': 'reverifies-runs', AlwaysVerify: 'reverifies-runs' },
  },
  Never: {
    none: { NeverVerify: 'runs-cached', NeverVerifyPreloadedImages: 'runs-cached', 'NeverVerifyAllowlistedImages/listed': 'runs-cached', 'NeverVerifyAllowlistedImages/unlisted': 'never-pull', AlwaysVerify: 'never-pull' },
    mine: { NeverVerify: 'runs-cached', NeverVerifyPreloadedImages: 'runs-cached', 'NeverVerifyAllowlistedImages/listed': 'runs-cached', 'NeverVerifyAllowlistedImages/unlisted': 'runs-cached', AlwaysVerify: 'runs-cached' },
    other: { NeverVerify: 'runs-cached', NeverVerifyPreloadedImages: 'never-pull', 'NeverVerifyAllowlistedImages/listed': 'runs-cached', 'NeverVerifyAllowlistedImages/unlisted': 'never-pull', AlwaysVerify: 'never-pull' },
  },
};

for (const [pullPolicy, rows] of Object.entries(A4) as ['IfNotPresent' | 'Never', Record<State, Record<string, Outcome>>][]) {
  for (const [state, cells] of Object.entries(rows) as [State, Record<string, Outcome>][]) {
    for (const [cell, outcome] of Object.entries(cells)) {
      const [policy, listing] = cell.split('/') as [string, string | undefined];
      test(`A4: ${pullPolicy}, record ${state}, ${cell} -> ${outcome}`, (t) => {
        const s = RECORD_STATES[state];
        const p = predict(build({ pullPolicy, policy, record: s.record, secrets: s.secrets, allowlist: listing === 'listed' ? [`${REG}/private/*`] : listing === 'unlisted' ? [`${REG}/elsewhere/*`] : undefined }));
        t.is(p.outcome, outcome, rulesOf(p).join(' > '));
        t.true(p.rules.some((r) => r.section.includes('A4') || r.section.includes('A3')), 'cites A3/A4');
        if (outcome === 'runs-cached') {
          t.false(p.registryContact);
          t.deepEqual(p.event, { reason: 'Pulled', contains: 'already present on machine and can be accessed by the pod' });
        }
        if (outcome === 'never-pull') t.deepEqual(p.event, { reason: 'ErrImageNeverPull', contains: 'is not present with pull policy of Never' });
        if (outcome === 'reverifies-runs') t.true(p.registryContact);
      });
    }
  }
}

for (const policy of POLICIES) {
  test(`A4: Always pulls under ${policy}; good credentials run and are merged, bad ones fail`, (t) => {
    const ok = expectOutcome(t, { pullPolicy: 'Always', policy, record: { kubernetesSecrets: [OTHER] }, secrets: [podSecret(MINE)] }, 'reverifies-runs', 'A4.always');
    t.deepEqual(ok.record, { kind: 'entry', name: NAME, entry: { kubernetesSecrets: [OTHER, MINE] } });
    const bad = expectOutcome(t, { pullPolicy: 'Always', policy, record: { kubernetesSecrets: [MINE] }, secrets: [podSecret(MINE, { accepted: false })] }, 'pull-fails', 'A3.pull-credentials');
    t.is(bad.cause, 'denied');
    t.deepEqual(bad.record, { kind: 'unchanged' });
  });
}

test('A4: an absent image under Never is ErrImageNeverPull under every policy, gate on or off', (t) => {
  for (const gates of [{}, { KubeletEnsureSecretPulledImages: false }] as Record<string, boolean>[]) {
    expectOutcome(t, { gates, pullPolicy: 'Never', present: false }, 'never-pull', 'A4.never-absent');
  }
});

test('A4: an absent image under IfNotPresent is pulled with the pod secret and recorded', (t) => {
  const p = expectOutcome(t, { present: false, secrets: [podSecret(MINE)] }, 'pulls-runs', 'A4.absent-pull');
  t.deepEqual(p.record, { kind: 'entry', name: NAME, entry: { kubernetesSecrets: [MINE] } });
  t.deepEqual(p.pulledWith, { kind: 'secret', coordinates: MINE });
  t.deepEqual(p.event, { reason: 'Pulled', contains: 'Successfully pulled image' });
});

// ---- A10: TestFileBasedImagePullManager_MustAttemptImagePull ------------------------------------------------
const S1 = secret('s1', { namespace: 'ns', uid: 'uid1', hash: 'h1' });
const mustAttempt: [string, Build, boolean][] = [
  ['exact secret -> no pull', { record: { kubernetesSecrets: [S1] }, secrets: [podSecret(S1)] }, false],
  ['no pod secrets -> pull', { record: { kubernetesSecrets: [S1] }, secrets: [] }, true],
  ['same coordinates, different hash -> no pull', { record: { kubernetesSecrets: [S1] }, secrets: [podSecret({ ...S1, credentialHash: 'h2' })] }, false],
  ['different uid -> pull', { record: { kubernetesSecrets: [S1] }, secrets: [podSecret({ ...S1, uid: 'uid2', credentialHash: 'h2' })] }, true],
  ['different namespace -> pull', { record: { kubernetesSecrets: [S1] }, secrets: [podSecret({ ...S1, namespace: 'ns2', credentialHash: 'h2' })] }, true],
  ['different coordinates, same hash -> no pull', { record: { kubernetesSecrets: [S1] }, secrets: [podSecret({ uid: 'uid9', namespace: 'ns9', name: 'other', credentialHash: 'h1' })] }, false],
  ['different image name, same secret, same imageRef -> pull', { record: { mapping: { [`${REG}/other/name`]: { kubernetesSecrets: [S1] } } }, secrets: [podSecret(S1)] }, true],
  ['empty credential mapping -> pull', { record: { mapping: {} }, secrets: [podSecret(S1)] }, true],
  ['no record under NeverVerifyPreloadedImages -> no pull', { policy: 'NeverVerifyPreloadedImages', record: 'none' }, false],
  ['no record under AlwaysVerify -> pull', { policy: 'AlwaysVerify', record: 'none' }, true],
  ['only an intent (NeverVerifyPreloadedImages) -> pull', { policy: 'NeverVerifyPreloadedImages', record: 'none', intent: true }, true],
  ['intent under NeverVerify -> no pull', { policy: 'NeverVerify', record: 'none', intent: true }, false],
  ['node-accessible record -> no pull', { record: { nodePodsAccessible: true } }, false],
  ['node-accessible record with secrets -> no pull', { record: { nodePodsAccessible: true, kubernetesSecrets: [S1] }, secrets: [podSecret({ ...S1, uid: 'u3', credentialHash: 'h3' })] }, false],
  ['empty cached hash, different namespace -> pull', { record: { kubernetesSecrets: [{ ...S1, credentialHash: '' }] }, secrets: [podSecret({ ...S1, namespace: 'ns2', credentialHash: '' })] }, true],
  ['empty cached hash, same coordinates -> no pull', { record: { kubernetesSecrets: [{ ...S1, credentialHash: '' }] }, secrets: [podSecret({ ...S1, credentialHash: '' })] }, false],
];
for (const [name, b, pull] of mustAttempt) {
  test(`A10 MustAttemptImagePull: ${name}`, (t) => {
    // Under Never the decision is visible without a pull: must pull -> ErrImageNeverPull.
    const p = predict(build({ ...b, pullPolicy: 'Never' }));
    t.is(p.outcome, pull ? 'never-pull' : 'runs-cached', rulesOf(p).join(' > '));
    t.is(p.mustPullCheck === 'mustAuthenticate' || p.mustPullCheck === 'error', pull, `mustPullCheck ${p.mustPullCheck}`);
  });
}

// ---- A10: Test_pulledRecordMergeNewCreds ---------------------------------------------------------------------
test('A10 merge: a new image entry', (t) => {
  t.deepEqual(mergeCredentials(undefined, { kind: 'secret', coordinates: S1 }), { kubernetesSecrets: [S1] });
});
test('A10 merge: appending secrets keeps them sorted by namespace, name, uid', (t) => {
  const a = secret('zz', { namespace: 'b', uid: 'u1' });
  const b = secret('aa', { namespace: 'b', uid: 'u2' });
  const c = secret('mm', { namespace: 'a', uid: 'u3' });
  t.deepEqual(mergeCredentials(mergeCredentials({ kubernetesSecrets: [a] }, { kind: 'secret', coordinates: b }), { kind: 'secret', coordinates: c }).kubernetesSecrets, [c, b, a]);
});
test('A10 merge: node-accessible overrides all secrets and is sticky', (t) => {
  t.deepEqual(mergeCredentials({ kubernetesSecrets: [S1] }, { kind: 'node' }), { nodePodsAccessible: true });
  t.deepEqual(mergeCredentials({ nodePodsAccessible: true }, { kind: 'secret', coordinates: S1 }), { nodePodsAccessible: true });
});
test('A10 merge: same coordinates with a new hash replace the hash', (t) => {
  t.deepEqual(mergeCredentials({ kubernetesSecrets: [S1] }, { kind: 'secret', coordinates: { ...S1, credentialHash: 'h9' } }), { kubernetesSecrets: [{ ...S1, credentialHash: 'h9' }] });
});
test('A10 merge: the same hash with new coordinates appends', (t) => {
  const other = { ...S1, uid: 'uid2', name: 't1' };
  t.deepEqual(mergeCredentials({ kubernetesSecrets: [S1] }, { kind: 'secret', coordinates: other }).kubernetesSecrets?.length, 2);
});

// ---- A3 record updates on a cache hit --------------------------------------------------------------------------
test('A3: a hash match under new coordinates adds them to the record while fewer than 100 are recorded', (t) => {
  const copy = secret('copy', { namespace: 'b', uid: 'uid-copy', hash: OTHER.credentialHash });
  const p = expectOutcome(t, { record: { kubernetesSecrets: [OTHER] }, secrets: [podSecret(copy)] }, 'runs-cached', 'A3.hash-match-append');
  t.deepEqual(p.record, { kind: 'entry', name: NAME, entry: { kubernetesSecrets: [OTHER, copy] } });
});
test('A3: a secret updated in place (same uid, new password) runs from the cache and its hash is replaced', (t) => {
  const updated = { ...OTHER, credentialHash: 'hash-new-password' };
  const p = expectOutcome(t, { record: { kubernetesSecrets: [OTHER] }, secrets: [podSecret(updated, { accepted: false })] }, 'runs-cached', 'A3.coordinates-match');
  t.deepEqual(p.record, { kind: 'entry', name: NAME, entry: { kubernetesSecrets: [updated] } });
});
test('A3: with the recorded-secrets limit reached, a coordinates-only match does not grant access (limit as input)', (t) => {
  const updated = { ...OTHER, credentialHash: 'hash-new-password' };
  expectOutcome(t, { limit: 1, record: { kubernetesSecrets: [OTHER] }, secrets: [podSecret(updated, { accepted: false })] }, 'pull-fails', 'A3.coordinates-limit');
  expectOutcome(t, { limit: 1, pullPolicy: 'Never', record: { kubernetesSecrets: [OTHER] }, secrets: [podSecret(updated)] }, 'never-pull', 'A3.coordinates-limit');
});
test('A3: an updated secret under Always is checked at the registry: a wrong password fails', (t) => {
  expectOutcome(t, { pullPolicy: 'Always', record: { kubernetesSecrets: [OTHER] }, secrets: [podSecret({ ...OTHER, credentialHash: 'h-new' }, { accepted: false })] }, 'pull-fails', 'A4.always');
});

// ---- A2 allowlist (image_pull_policies_test.go) ------------------------------------------------------------------
const ENTRIES: [string, boolean][] = [
  ['registry.host/*', true], ['registry.host/org/*', true], [`${REG}/private/app`, true], ['docker.io/library/nginx', true],
  ['', false], ['*', false], ['/*', false], [' registry.host/*', false], ['a/*/b', false], ['repo/pokus*', false], ['repo/', false],
  ['test.io/x:tag', false], ['nginx', false], ['test.io/x@sha256:' + 'a'.repeat(64), false],
];
for (const [entry, valid] of ENTRIES) {
  test(`A10 allowlist entry ${JSON.stringify(entry)} is ${valid ? 'valid' : 'refused'}`, (t) => {
    t.is(allowlistEntryProblem(entry) === undefined, valid, allowlistEntryProblem(entry));
    if (!valid && entry !== '') {
      const p = predict(build({ policy: 'NeverVerifyAllowlistedImages', allowlist: [entry] }));
      t.is(p.outcome, 'config-refused');
      t.true(rulesOf(p).includes('A2.allowlist-entry'));
    }
  });
}
test('A10 allowlist: organisation and repository wildcards match by prefix of the normalised name', (t) => {
  t.true(allowlistMatches([`${REG}/*`], IMAGE, true));
  t.true(allowlistMatches([`${REG}/private/*`], IMAGE, true));
  t.false(allowlistMatches([`${REG}/priv/*`], IMAGE, true));
  t.true(allowlistMatches([NAME], IMAGE, true));
  t.false(allowlistMatches([`${NAME}x`], IMAGE, true));
});

// ---- node e2e: image_credential_pulls.go ----------------------------------------------------------------------
const USER1 = secret('user1', { namespace: 'e2e', hash: 'hash-user1' });
const primed = { record: { kubernetesSecrets: [USER1] } };
for (const policy of ['NeverVerifyPreloadedImages', 'AlwaysVerify', 'NeverVerifyAllowlistedImages', 'NeverVerify']) {
  for (const pullPolicy of ['IfNotPresent', 'Never'] as const) {
    const failing: Outcome = policy === 'NeverVerify' ? 'runs-cached' : pullPolicy === 'Never' ? 'never-pull' : 'pull-fails';
    const allowlist = policy === 'NeverVerifyAllowlistedImages' ? [] : undefined;
    test(`node e2e ${policy} ${pullPolicy}: pod without a pull secret accessing a previously pulled private image -> ${failing}`, (t) => {
      const p = predict(build({ policy, pullPolicy, allowlist, ...primed }));
      t.is(p.outcome, failing, rulesOf(p).join(' > '));
    });
    test(`node e2e ${policy} ${pullPolicy}: pod with an invalid pull secret (somerepo.com) -> ${failing}`, (t) => {
      const p = predict(build({ policy, pullPolicy, allowlist, ...primed, secrets: [podSecret(secret('invalid', { hash: 'h-somerepo' }), { matchesRegistry: false })] }));
      t.is(p.outcome, failing, rulesOf(p).join(' > '));
      if (policy !== 'NeverVerify') t.true(rulesOf(p).includes('A3.secret-other-registry'));
    });
    test(`node e2e ${policy} ${pullPolicy}: pod with the same pull secret -> runs`, (t) => {
      const p = predict(build({ policy, pullPolicy, allowlist, ...primed, secrets: [podSecret(USER1)] }));
      t.is(p.outcome, 'runs-cached');
    });
    test(`node e2e ${policy} ${pullPolicy}: the same credentials in a different secret -> runs`, (t) => {
      const p = predict(build({ policy, pullPolicy, allowlist, ...primed, secrets: [podSecret(secret('user1-copy', { namespace: 'e2e', uid: 'uid-copy', hash: 'hash-user1' }))] }));
      t.is(p.outcome, 'runs-cached');
      if (policy !== 'NeverVerify') t.true(rulesOf(p).includes('A3.hash-match'));
    });
  }
}
test('node e2e [NeverVerifyAllowListedImages]: record moved aside, allowlist <registry>/pause, pod without a secret runs', (t) => {
  const image = `${REG}/pause:testing`;
  const p = predict(build({ image, policy: 'NeverVerifyAllowlistedImages', allowlist: [`${REG}/pause`], record: 'none' }));
  t.is(p.outcome, 'runs-cached');
  t.true(rulesOf(p).includes('A4.NeverVerifyAllowlistedImages.exempt'));
});
test('node e2e [NeverVerifyPreloadedImages]: record removed, pod without a secret runs (the image now looks preloaded)', (t) => {
  expectOutcome(t, { policy: 'NeverVerifyPreloadedImages', record: 'none' }, 'runs-cached', 'A4.NeverVerifyPreloadedImages.exempt');
});

// ---- node e2e: image_credential_provider.go (KEP-4412) ----------------------------------------------------------
const SA = { uid: 'sa-uid-1', namespace: 'e2e', name: 'test-service-account', annotations: { 'domain.io/identity-id': '123456', 'domain.io/identity-type': 'serviceaccount' } };
const SA_PROVIDER = {
  matchesImage: true, serviceAccountMode: true, audience: 'test-audience', cacheType: 'ServiceAccount' as const, requireServiceAccount: true,
  requiredAnnotations: ['domain.io/identity-id', 'domain.io/identity-type'], cacheDurationSeconds: 60, audienceGranted: true, stsGrants: true,
};
test('node e2e ImageCredentialProvider: a pod with the annotated service account pulls a private image with PullAlways', (t) => {
  const p = expectOutcome(t, { pullPolicy: 'Always', present: false, serviceAccount: SA, provider: SA_PROVIDER }, 'pulls-runs', 'B6.record-sa');
  t.deepEqual(p.pulledWith, { kind: 'provider-service-account', serviceAccount: { uid: SA.uid, namespace: SA.namespace, name: SA.name } });
  t.is(p.stsExchanges, 1);
  t.deepEqual(p.record, { kind: 'entry', name: NAME, entry: { kubernetesServiceAccounts: [{ uid: SA.uid, namespace: SA.namespace, name: SA.name }] } });
});

// ---- B4-B6 -----------------------------------------------------------------------------------------------------------
const saEntry = { kubernetesServiceAccounts: [{ uid: SA.uid, namespace: SA.namespace, name: SA.name }] };
test('B6: the same service account (same uid) runs a recorded image from the cache; a cached answer costs no STS exchange', (t) => {
  const p = expectOutcome(t, { record: saEntry, serviceAccount: SA, provider: { ...SA_PROVIDER, cachedAnswerAgeSeconds: 5 } }, 'runs-cached', 'B6.sa-match');
  t.is(p.stsExchanges, 0);
  t.true(rulesOf(p).includes('B4.cache-hit'));
});
test('B4: cacheType Token runs the plugin for every pod start (one STS exchange), even with a cached answer for the service account', (t) => {
  const p = expectOutcome(t, { record: saEntry, serviceAccount: SA, provider: { ...SA_PROVIDER, cacheType: 'Token', cachedAnswerAgeSeconds: 5 } }, 'runs-cached', 'B4.cache-token');
  t.is(p.stsExchanges, 1);
});
test('B6: a service account deleted and recreated (new uid) must re-verify', (t) => {
  expectOutcome(t, { record: saEntry, serviceAccount: { ...SA, uid: 'sa-uid-2' }, provider: SA_PROVIDER }, 'reverifies-runs', 'A3.no-match');
});
test('B6: a service account the STS denies cannot reuse an image an allowed one pulled', (t) => {
  const p = expectOutcome(t, { record: saEntry, serviceAccount: { ...SA, uid: 'sa-denied', name: 'denied' }, provider: { ...SA_PROVIDER, stsGrants: false } }, 'pull-fails', 'B6.sts-denies');
  t.is(p.cause, 'denied');
});
test('B4: a missing required annotation means the plugin is not called: no credentials, the pull fails', (t) => {
  const p = expectOutcome(t, { present: false, serviceAccount: { ...SA, annotations: { 'domain.io/identity-id': '1' } }, provider: SA_PROVIDER }, 'pull-fails', 'B4.required-annotation');
  t.is(p.stsExchanges, 0);
});
test('B5: without the audience RBAC the token request is refused and the pull fails', (t) => {
  expectOutcome(t, { present: false, serviceAccount: SA, provider: { ...SA_PROVIDER, audienceGranted: false } }, 'pull-fails', 'B5.audience-rbac');
});
test('B4: with the STS down, a cached answer (cacheType ServiceAccount, within cacheDuration) still starts the pod; an expired one does not', (t) => {
  expectOutcome(t, { record: saEntry, serviceAccount: SA, stsUp: false, provider: { ...SA_PROVIDER, cachedAnswerAgeSeconds: 30 } }, 'runs-cached', 'B4.cache-hit');
  expectOutcome(t, { record: saEntry, serviceAccount: SA, stsUp: false, provider: { ...SA_PROVIDER, cachedAnswerAgeSeconds: 90 } }, 'pull-fails', 'B3.plugin-fails');
  expectOutcome(t, { record: saEntry, serviceAccount: SA, stsUp: false, pullPolicy: 'Never', provider: { ...SA_PROVIDER, cachedAnswerAgeSeconds: 90 } }, 'never-pull', 'B3.plugin-fails');
});
test('B6/A5: a 1.33 kubelet (both alpha gates on) records service-account credentials as node-wide (uncertain, marked so)', (t) => {
  const p = expectOutcome(t, { version: 'v1.33.13', gates: { KubeletEnsureSecretPulledImages: true, KubeletServiceAccountTokenForCredentialProviders: true }, present: false, serviceAccount: SA, provider: { ...SA_PROVIDER } }, 'pulls-runs', 'B6.sa-not-recorded');
  t.deepEqual(p.record, { kind: 'entry', name: NAME, entry: { nodePodsAccessible: true } });
  t.truthy(p.uncertain?.length);
});
test('B2: tokenAttributes with the service-account gate off stops the kubelet', (t) => {
  const p = expectOutcome(t, { version: 'v1.33.13', gates: { KubeletEnsureSecretPulledImages: true }, serviceAccount: SA, provider: SA_PROVIDER }, 'config-refused', 'B2.tokenAttributes-gate');
  t.regex(p.reason ?? '', /Failed to register CRI auth plugins/);
});
test('A5: a non-service-account provider gives node-wide credentials: the record becomes nodePodsAccessible', (t) => {
  const p = expectOutcome(t, { present: false, provider: { matchesImage: true, serviceAccountMode: false, cacheDurationSeconds: 60, stsGrants: false, staticAccepted: true } }, 'pulls-runs', 'A5.node-accessible');
  t.deepEqual(p.record, { kind: 'entry', name: NAME, entry: { nodePodsAccessible: true } });
});

// ---- gate off, versions, configuration ---------------------------------------------------------------------------------
test('kubernetes#18787: with the gate off a pod without credentials runs a present private image (no registry contact)', (t) => {
  const p = expectOutcome(t, { gates: { KubeletEnsureSecretPulledImages: false }, record: { kubernetesSecrets: [OTHER] } }, 'runs-cached', 'A3.gate-off');
  t.deepEqual(p.event, { reason: 'Pulled', contains: 'already present on machine' });
  t.deepEqual(p.record, { kind: 'unchanged' });
});
test('versions: a 1.32 kubelet has no gate (loophole open), 1.33 and 1.34 default it off, 1.35 on', (t) => {
  expectOutcome(t, { version: 'v1.32.10', record: { kubernetesSecrets: [OTHER] } }, 'runs-cached', 'A3.gate-off');
  expectOutcome(t, { version: 'v1.33.13', record: { kubernetesSecrets: [OTHER] } }, 'runs-cached', 'A3.gate-off');
  expectOutcome(t, { version: 'v1.34.4', record: { kubernetesSecrets: [OTHER] } }, 'runs-cached', 'A3.gate-off');
  expectOutcome(t, { version: 'v1.34.4', gates: { KubeletEnsureSecretPulledImages: true }, record: { kubernetesSecrets: [OTHER] } }, 'pull-fails', 'A3.no-match');
  expectOutcome(t, { version: 'v1.35.4', record: { kubernetesSecrets: [OTHER] } }, 'pull-fails', 'A3.no-match');
});
test('versions: setting a modelled gate the kubelet does not know stops it ("unrecognized feature gate")', (t) => {
  const p = expectOutcome(t, { version: 'v1.32.10', gates: { KubeletEnsureSecretPulledImages: true } }, 'config-refused', 'A1.unknown-gate');
  t.is(p.reason, 'unrecognized feature gate: KubeletEnsureSecretPulledImages');
});
test('A2: the policy or the allowlist with the gate off stops the kubelet with its own message', (t) => {
  const a = expectOutcome(t, { gates: { KubeletEnsureSecretPulledImages: false }, policy: 'AlwaysVerify' }, 'config-refused', 'A2.policy-without-gate');
  t.regex(a.reason ?? '', /must not be set if KubeletEnsureSecretPulledImages feature gate is not enabled/);
  expectOutcome(t, { gates: { KubeletEnsureSecretPulledImages: false }, allowlist: [`${REG}/*`] }, 'config-refused', 'A2.allowlist-without-gate');
  const c = expectOutcome(t, { policy: 'AlwaysVerify', allowlist: [`${REG}/*`] }, 'config-refused', 'A2.allowlist-policy');
  t.regex(c.reason ?? '', /imagePullCredentialsVertificationPolicy/);
  expectOutcome(t, { policy: 'Sometimes' }, 'config-refused', 'A2.policy-value');
});
test('A2: the policy on a 1.32 kubelet is not applicable (the field does not exist)', (t) => {
  t.is(predict(build({ version: 'v1.32.10', policy: 'AlwaysVerify' })).outcome, 'not-applicable');
});
test('A6: an unreadable record forces a pull; the pull rewrites the record', (t) => {
  const p = expectOutcome(t, { record: 'unreadable', secrets: [podSecret(MINE)] }, 'reverifies-runs', 'A3.record-unreadable');
  t.is(p.mustPullCheck, 'error');
  t.deepEqual(p.record, { kind: 'entry', name: NAME, entry: { kubernetesSecrets: [MINE] } });
  expectOutcome(t, { record: 'unreadable', pullPolicy: 'Never' }, 'never-pull', 'A3.record-unreadable');
});
test('A7: an intent turned into a credential-less record at restart needs verification', (t) => {
  expectOutcome(t, { record: { mapping: { [NAME]: {} } } }, 'pull-fails', 'A3.empty-entry');
});
test('A8: records edited on disk without a restart are not applicable on 1.35+ (cached), and read directly on 1.34', (t) => {
  t.is(predict(build({ editedWithoutRestart: true, record: { kubernetesSecrets: [OTHER] } })).outcome, 'not-applicable');
  t.is(predict(build({ version: 'v1.34.4', gates: { KubeletEnsureSecretPulledImages: true }, editedWithoutRestart: true, record: { kubernetesSecrets: [OTHER] } })).outcome, 'pull-fails');
});
test('A5: an anonymous public image is pulled anonymously and becomes nodePodsAccessible; a wrong secret for that registry is not skipped', (t) => {
  const p = expectOutcome(t, { present: false, anonymousReadable: true }, 'pulls-runs', 'A5.anonymous');
  t.deepEqual(p.record, { kind: 'entry', name: NAME, entry: { nodePodsAccessible: true } });
  expectOutcome(t, { present: false, anonymousReadable: true, secrets: [podSecret(MINE, { accepted: false })] }, 'pull-fails', 'A3.pull-credentials');
});
test('A4: the registry down makes a needed verification fail as unreachable', (t) => {
  const p = expectOutcome(t, { registryUp: false, record: { kubernetesSecrets: [OTHER] }, secrets: [podSecret(MINE)] }, 'pull-fails', 'A4.registry-down');
  t.is(p.cause, 'unreachable');
  expectOutcome(t, { registryUp: false, record: { kubernetesSecrets: [MINE] }, secrets: [podSecret(MINE)] }, 'runs-cached', 'A3.hash-match');
});

// ---- known bugs ----------------------------------------------------------------------------------------------------------
test('known bug #137629: an exact allowlist entry matches a tagged image from v1.36.0 (the tag is trimmed); 1.35 is predicted to verify instead', (t) => {
  const b: Build = { image: `${REG}/org/app:v1`, loadedOutsideKubelet: true, policy: 'NeverVerifyAllowlistedImages', allowlist: [`${REG}/org/app`], pullPolicy: 'Never' };
  const fixed = predict(build({ ...b, version: 'v1.36.3' }));
  t.is(fixed.outcome, 'runs-cached');
  t.is(fixed.knownBug, undefined);
  const old = predict(build({ ...b, version: 'v1.35.4' }));
  t.is(old.outcome, 'runs-cached');
  t.is(old.knownBug?.issue, 137629);
  t.is(old.knownBug?.outcome, 'never-pull');
});
test('#137629 does not normalise: a familiar pod image is not exempted by a fully qualified entry on any version; a familiar entry is accepted and matches from 1.36, refused before', (t) => {
  const b: Build = { image: 'ppallow/app:v1', loadedOutsideKubelet: true, policy: 'NeverVerifyAllowlistedImages', allowlist: ['docker.io/ppallow/*'], pullPolicy: 'Never' };
  for (const version of ['v1.35.4', 'v1.36.3', 'v1.37.2']) {
    const p = predict(build({ ...b, version }));
    t.is(p.outcome, 'never-pull', version);
    t.is(p.knownBug, undefined, version);
  }
  const familiar: Build = { ...b, allowlist: ['ppallow/app'] };
  t.is(predict(build({ ...familiar, version: 'v1.36.3' })).outcome, 'runs-cached');
  t.is(predict(build({ ...familiar, version: 'v1.35.4' })).outcome, 'config-refused');
});
test('known bug #138175: a preloaded name whose content was pulled with credentials under another name stays preloaded by the spec; kubelets verify it', (t) => {
  const p = predict(build({ loadedOutsideKubelet: true, pullPolicy: 'Never', record: { mapping: { [`${REG}/other/name`]: { kubernetesSecrets: [OTHER] } } } }));
  t.is(p.outcome, 'runs-cached');
  t.true(rulesOf(p).includes('A7.preloaded-name'));
  t.is(p.knownBug?.issue, 138175);
  t.is(p.knownBug?.outcome, 'never-pull');
  // The image manager's counter too: the spec counts the preloaded name as allowed by policy, the buggy
  // kubelet as needing authentication (observed on 1.35.4: mustAuthenticate, not credentialPolicyAllowed).
  t.is(p.mustPullCheck, 'credentialPolicyAllowed');
  t.is(p.knownBug?.mustPullCheck, 'mustAuthenticate');
});
test('known bug #137024 applies to CRI-O only: every image looks preloaded', (t) => {
  const b: Build = { policy: 'AlwaysVerify', record: { kubernetesSecrets: [MINE] }, secrets: [podSecret(MINE)], pullPolicy: 'Never' };
  t.is(predict(build(b)).knownBug, undefined);
  const crio = predict(build({ ...b, runtime: { name: 'cri-o', version: '1.35.0' } }));
  t.is(crio.knownBug?.issue, 137024);
});
test('known bug #138935: maxParallelImagePulls above 31 with the gate on may crash the kubelet', (t) => {
  const p = predict(build({ maxParallelImagePulls: 32, present: false, secrets: [podSecret(MINE)] }));
  t.is(p.outcome, 'pulls-runs');
  t.is(p.knownBug?.issue, 138935);
  t.is(p.knownBug?.outcome, 'kubelet-crashes');
  t.is(predict(build({ maxParallelImagePulls: 31, present: false, secrets: [podSecret(MINE)] })).knownBug, undefined);
});

test('1.33 resolves the pod\'s credentials before it reads the record: a Never pod of a service account runs the plugin even when the record lets every pod use the image; 1.34+ do not', (t) => {
  const input = (version: string): Parameters<typeof predict>[0] => {
    const b = build({ pullPolicy: 'Never', record: { nodePodsAccessible: true } });
    return { ...b, kubelet: { ...b.kubelet, version, gates: { KubeletEnsureSecretPulledImages: true, KubeletServiceAccountTokenForCredentialProviders: true } }, pod: { ...b.pod, serviceAccount: { uid: 'u', namespace: 'b', name: 'sa', annotations: {} } }, provider: { matchesImage: true, serviceAccountMode: true, audience: 'a', cacheType: 'ServiceAccount', cacheDurationSeconds: 60, stsGrants: false, requiredAnnotations: [] } as never };
  };
  const p133 = predict(input('v1.33.13'));
  t.is(p133.outcome, 'runs-cached');
  t.is(p133.stsExchanges, 1);
  t.true(p133.rules.some((r) => r.id === 'A3.credentials-first'));
  const p135 = predict(input('v1.35.4'));
  t.is(p135.outcome, 'runs-cached');
  t.is(p135.stsExchanges, 0);
});
