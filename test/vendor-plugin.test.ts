// certify --in-cluster without a cluster: which vendor plugins can be certified in a cluster (a backend
// pullproof emulates), the config each kubelet reads, and the vendor-plugin suite's plan: its
// expectations come from the oracle and follow the vendor's tokenAttributes (no Docker).
import test from 'ava';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../harness/errors.ts';
import { planSuites } from '../harness/engine/suites.ts';
import { vendorConfig, vendorPlugin } from '../harness/engine/vendor.ts';
import type { CredentialProvider } from '../harness/credprovider/types.ts';
import { vendorSuite } from '../suites/vendor-plugin.ts';
import { pullproof } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-vendor-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const binary = join(dir, 'ecr-credential-provider');
copyFileSync(join(import.meta.dirname, '..', 'fixtures', 'plugins', 'good.sh'), binary);

const SHA = 'e'.repeat(64);
const ecr = (tokenAttributes: CredentialProvider['tokenAttributes']): CredentialProvider => ({
  name: 'ecr-credential-provider', matchImages: ['*.dkr.ecr.*.amazonaws.com'], defaultCacheDuration: '12h', apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
  env: [{ name: 'AWS_REGION', value: 'eu-west-1' }], tokenAttributes,
});
const sa = { serviceAccountTokenAudience: 'sts.amazonaws.com', cacheType: 'ServiceAccount', requireServiceAccount: true, requiredServiceAccountAnnotationKeys: ['eks.amazonaws.com/ecr-role-arn'] };

test('a plugin for a backend pullproof does not emulate, or not in service-account mode, is a usage error naming --in-cluster and the fix', (t) => {
  const gcr = { ...ecr(sa), matchImages: ['*.gcr.io'] };
  const e1 = t.throws(() => vendorPlugin(binary, gcr, 'c.yaml', SHA), { instanceOf: UsageError });
  t.regex(e1?.message ?? '', /--in-cluster.*\*\.gcr\.io.*name no registry whose backend pullproof emulates/s);
  t.regex(e1?.message ?? '', /ECR host/);
  const e2 = t.throws(() => vendorPlugin(binary, ecr(undefined), 'c.yaml', SHA), { instanceOf: UsageError });
  t.regex(e2?.message ?? '', /no tokenAttributes/);
  const other = join(dir, 'other-name');
  copyFileSync(binary, other);
  t.throws(() => vendorPlugin(other, ecr(sa), 'c.yaml', SHA), { instanceOf: UsageError, message: /named other-name but its provider is ecr-credential-provider/ });
});

test('the config a kubelet reads is the vendor\'s entry as written, its env extended with the emulation\'s (a name given twice takes the emulation\'s value)', (t) => {
  const v = vendorPlugin(binary, ecr(sa), 'c.yaml', SHA);
  t.is(v.host, '123456789012.dkr.ecr.us-east-1.amazonaws.com');
  const cfg = parse(vendorConfig(v, { AWS_ENDPOINT_URL_STS: 'https://172.29.0.1:9444', AWS_REGION: 'us-east-1' })) as { providers: CredentialProvider[] };
  const p = cfg.providers[0] as CredentialProvider;
  t.deepEqual({ ...p, env: undefined }, { ...ecr(sa), env: undefined });
  t.deepEqual(p.env, [{ name: 'AWS_ENDPOINT_URL_STS', value: 'https://172.29.0.1:9444' }, { name: 'AWS_REGION', value: 'us-east-1' }]);
});

test('the vendor-plugin suite\'s expectations follow the vendor\'s cacheType (the oracle\'s, not the suite\'s)', (t) => {
  const exchanges = (cacheType: string): Record<string, number | undefined> => {
    const plan = planSuites({ suites: [vendorSuite(vendorPlugin(binary, ecr({ ...sa, cacheType }), 'c.yaml', SHA))], kubelets: ['v1.35.4'] });
    return Object.fromEntries(plan.scenarios.map((s) => [s.id.replace('vendor-plugin/', ''), s.prediction.stsExchanges]));
  };
  const sa1 = exchanges('ServiceAccount');
  const token = exchanges('Token');
  t.is(Object.keys(sa1).length, 10);
  t.is(sa1['same-sa/IfNotPresent'], 0, 'a cached answer for the same service account');
  t.is(token['same-sa/IfNotPresent'], 1, 'cacheType Token runs the plugin for every pod');
  t.is(sa1['missing-required-annotation'], 0, 'not called: no exchange');
  t.is(sa1['other-sa/denied/Never'], 1, 'the refused identity is asked for at the backend once per pod sync');
  const plan132 = planSuites({ suites: [vendorSuite(vendorPlugin(binary, ecr(sa), 'c.yaml', SHA))], kubelets: ['v1.32.10'] });
  t.true(plan132.scenarios.every((s) => s.status === 'not-applicable'), '1.32 has neither feature');
});

test('certify --in-cluster without --config, or --report-dir without --in-cluster, exits 2 before anything starts', async (t) => {
  const a = await pullproof(['certify', '--plugin', binary, '--in-cluster']);
  t.is(a.code, 2, a.stderr);
  t.regex(a.stderr, /--in-cluster: needs the provider config/);
  const b = await pullproof(['certify', '--plugin', binary, '--image', 'r.example/app', '--report-dir', dir]);
  t.is(b.code, 2, b.stderr);
  t.regex(b.stderr, /--report-dir: applies only to --in-cluster/);
  const cfg = join(dir, 'gcr.yaml');
  writeFileSync(cfg, 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n  - name: ecr-credential-provider\n    matchImages: ["*.gcr.io"]\n    defaultCacheDuration: 1m\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n');
  const c = await pullproof(['certify', '--plugin', binary, '--config', cfg, '--in-cluster', '--no-kubelet-judge']);
  t.is(c.code, 2, c.stderr);
  t.regex(c.stderr, /name no registry whose backend pullproof emulates/);
});
