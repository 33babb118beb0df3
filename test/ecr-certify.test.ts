// `pullproof certify` on AWS's ecr-credential-provider at protocol level, as a vendor runs it: the CLI as a
// child process, the plugin built from the Go module proxy, service-account mode, judged as the 1.34 and
// 1.35 kubelets, talking to pullproof's AWS emulation on 127.0.0.1 (endpoint overrides and CA bundle in
// --env; IMDS off), which trusts certify's token issuer through --issuer-key. With
// PULLPROOF_WRITE_EXAMPLES=1 the reports are also written to docs/examples/.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEcrCredentialProvider } from '../harness/build/cloud-plugins.ts';
import { ECR_PROVIDER_CONFIG_FILE } from '../harness/cluster/ecr.ts';
import { ECR_ROLE_ANNOTATION, ecrHost } from '../harness/identity/aws/names.ts';
import { PROJECT_ROOT } from '../harness/util/paths.ts';
import { registeredSecrets } from '../harness/util/secrets.ts';
import { pullproof } from './helpers/cli.ts';
import { CERTIFY_ROLE, useCertifyAws } from './helpers/local-aws.ts';

const ROLE = CERTIFY_ROLE;
const IMAGE = `${ecrHost('123456789012', 'us-east-1')}/team/app`;
// certify's default service account is pullproof-certify/certify, which the role trusts.
const local = useCertifyAws(test);

// The fields of certify's JSON report this test reads (a user's view of it, not certify's types).
interface Report {
  verdict: string;
  plugin: { sha256: string; version: string };
  results: { kubernetes: string; verdict: string; checks: { id: string; status: 'pass' | 'fail' | 'not-run'; reason: string }[] }[];
}

test('ecr-credential-provider passes certify as the 1.34 and 1.35 kubelets judge it, against the AWS emulation', async (t) => {
  t.timeout(10 * 60_000);
  const plugin = await buildEcrCredentialProvider();
  const keyFile = join(local().dir, 'issuer.jwk');
  writeFileSync(keyFile, JSON.stringify(local().issuer.exportPrivateJwk()), { mode: 0o600 });
  const reportFile = join(local().dir, 'report.json');
  // No AWS_REGION: the plugin takes the region from the image host. (certify registers every --env value
  // as a secret, so "us-east-1" would be redacted from the image names in the report.)
  const { AWS_REGION: _region, ...env } = local().aws.pluginEnv({ caFile: local().caFile });
  const args = [
    'certify', '--plugin', plugin.path, '--config', ECR_PROVIDER_CONFIG_FILE, '--kubernetes', 'v1.34', '--kubernetes', 'v1.35',
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    '--sa-annotation', `${ECR_ROLE_ANNOTATION}=${ROLE}`, '--issuer-key', keyFile, '--image', IMAGE, '--report', reportFile,
  ];
  const r = await pullproof(args);
  t.log(r.stdout.split('\n').slice(0, 18).join('\n'));
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  const failed = report.results.flatMap((v) => v.checks.filter((c) => c.status === 'fail').map((c) => `${v.kubernetes} ${c.id}: ${c.reason}`));
  t.deepEqual(failed, []);
  t.is(r.code, 0, r.stderr.slice(-2000));
  t.deepEqual(report.results.map((v) => `${v.kubernetes} ${v.verdict}`), ['1.34 pass', '1.35 pass']);
  t.is(report.plugin.version, 'ecr-credential-provider version v1.37.1');
  t.is(report.plugin.sha256, plugin.sha256);
  // The calls really went through the emulation: certify's three valid calls, plus the one call the
  // kubelet's own code (the judge of each version) makes itself, issued credentials; the expired and
  // wrong-audience tokens were refused by the STS (not by something else failing).
  const exchanges = local().aws.aws.exchanges;
  const validCalls = r.stdout.split('\n').filter((l) => /^\s+valid-\d+: exit 0 /.test(l)).length;
  t.is(validCalls, 3, r.stdout);
  t.is(exchanges.filter((x) => x.api === 'ecr:GetAuthorizationToken' && x.decision === 'issued').length, validCalls + report.results.length);
  t.deepEqual(exchanges.filter((x) => x.decision === 'refused').map((x) => x.reason).sort(), ['expired', 'wrong-audience']);
  // Nothing secret in what certify printed or wrote (the issued passwords, keys and session tokens are
  // registered in this process, where the emulation made them).
  const printed = r.stdout + r.stderr + readFileSync(reportFile, 'utf8');
  const leaked = registeredSecrets().filter((s) => printed.includes(s));
  t.deepEqual(leaked.map((s) => `${s.slice(0, 4)}... (${s.length} chars)`), []);
  if (process.env.PULLPROOF_WRITE_EXAMPLES === '1') {
    const dir = join(PROJECT_ROOT, 'docs', 'examples');
    writeFileSync(join(dir, 'certify-ecr-credential-provider.txt'), r.stdout);
    writeFileSync(join(dir, 'certify-ecr-credential-provider.json'), readFileSync(reportFile, 'utf8'));
  }
});
