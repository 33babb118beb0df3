// `pullproof certify --plugin <path> ...`: the command line of harness/certify. Usage and config
// errors exit 2 naming the field and the fix; a failed check exits 1. certify itself (the exec, the
// judge, jose for the tokens) is imported inside the action: `pullproof --help` never loads it.
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { JWK } from 'jose';
import { UsageError } from '../errors.ts';
import { SA_TOKEN_GATE } from '../credprovider/types.ts';
import { KUBERNETES_VERSIONS, parseKubernetesVersion, type KubernetesVersion } from '../credprovider/versions.ts';
import type { TestIssuer } from '../identity/test-issuer.ts';
import { log } from '../util/log.ts';
import { redact } from '../util/secrets.ts';
import { parseGoDuration } from '../credprovider/duration.ts';

interface CertifyCliOptions {
  plugin: string;
  config?: string;
  provider?: string;
  kubernetes: string[];
  featureGates?: string;
  timeout: string;
  maxCall: string;
  env: string[];
  arg: string[];
  image?: string;
  issuerKey?: string;
  issuer: string;
  serviceAccount?: string;
  saAnnotation: string[];
  pluginVersion?: string;
  kubeletJudge: boolean;
  json?: boolean;
  report?: string;
  inCluster?: boolean;
  reportDir?: string;
  keep?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function keyValues(field: string, items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(field, `"${item.replace(/=.*/, '=...')}" is not KEY=VALUE`, `write ${field} NAME=value`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function duration(field: string, text: string): number {
  let ns: number;
  try {
    ns = parseGoDuration(text);
  } catch {
    throw new UsageError(field, `"${text}" is not a duration`, 'use a Go duration such as 90s, 1m or 1m30s');
  }
  if (ns <= 0) throw new UsageError(field, `"${text}" is not positive`, 'use a positive duration such as 90s or 1m');
  return ns / 1e6;
}

function gate(text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  let value: boolean | undefined;
  for (const part of text.split(',').filter(Boolean)) {
    const [name, v] = part.split('=');
    if (name !== SA_TOKEN_GATE) throw new UsageError('--feature-gates', `unknown or irrelevant gate "${name}"`, `certify knows only ${SA_TOKEN_GATE}=true|false`);
    if (v !== 'true' && v !== 'false') throw new UsageError('--feature-gates', `"${part}" needs =true or =false`, `write ${SA_TOKEN_GATE}=true`);
    value = v === 'true';
  }
  return value;
}

function serviceAccount(text: string | undefined): { namespace: string; name: string; uid?: string } | undefined {
  if (text === undefined) return undefined;
  const [namespace, name, uid] = text.split('/');
  if (!namespace || !name) throw new UsageError('--service-account', `"${text}" is not namespace/name[/uid]`, 'write e.g. --service-account default/puller');
  return { namespace, name, uid };
}

async function issuer(o: CertifyCliOptions): Promise<TestIssuer | undefined> {
  if (!o.issuerKey) return undefined;
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(o.issuerKey, 'utf8')) as JWK;
  } catch (err) {
    throw new UsageError('--issuer-key', `cannot read ${o.issuerKey} as a JWK (${(err as NodeJS.ErrnoException).code ?? 'not JSON'})`, 'pass a file holding an RSA private key as a JWK (kty RSA with d)');
  }
  try {
    const { TestIssuer } = await import('../identity/test-issuer.ts');
    return await TestIssuer.fromPrivateJwk(jwk, o.issuer);
  } catch (err) {
    throw new UsageError('--issuer-key', (err as Error).message, 'pass an RSA private JWK');
  }
}

export function registerCertify(program: Command): void {
  program.command('certify')
    .description('check a kubelet credential provider exec plugin as each Kubernetes version\'s kubelet judges it (its own code, and pullproof\'s rules to explain), without a cluster')
    .requiredOption('--plugin <path>', 'the plugin executable')
    .option('--config <path>', 'CredentialProviderConfig (YAML or JSON; from 1.34 also a directory of them, as the kubelet reads it) holding the provider (default: a non-service-account provider for --image)')
    .option('--provider <name>', 'provider name in the config (default: the plugin\'s file name, as the kubelet requires)')
    .addOption(new Option('--kubernetes <version...>', `Kubernetes versions to judge as (${KUBERNETES_VERSIONS.map((v) => `v${v}`).join(', ')})`).default(['v1.35']))
    .option('--feature-gates <gates>', `${SA_TOKEN_GATE}=true|false (default: the version's default; off in 1.33)`)
    .option('--timeout <duration>', 'time limit per call (the kubelet\'s is 1m)', '1m')
    .option('--max-call <duration>', 'slowest acceptable valid call', '10s')
    .option('--env <KEY=VALUE>', 'extra environment for the plugin (repeatable; values are redacted in reports)', collect, [])
    .option('--arg <value>', 'extra argument for the plugin (repeatable; write --arg=--flag=value for flags)', collect, [])
    .option('--image <repository>', 'image repository to request (default: derived from matchImages, e.g. *.dkr.ecr.*.amazonaws.com gives 123456789012.dkr.ecr.us-east-1.amazonaws.com/pullproof-certify/app)')
    .option('--issuer-key <file>', 'RSA private JWK that signs the service account tokens (default: a fresh key; give your STS its public half)')
    .option('--issuer <url>', 'iss of the service account tokens', 'https://kubernetes.default.svc.cluster.local')
    .option('--service-account <ns/name[/uid]>', 'service account the tokens are for (default pullproof-certify/certify)')
    .option('--sa-annotation <KEY=VALUE>', 'an annotation of that service account (repeatable)', collect, [])
    .option('--plugin-version <text>', 'the plugin version for the report (default: the first line of "<plugin> --version", if it answers)')
    .option('--no-kubelet-judge', 'do not judge with each version\'s own kubelet code (which is built from the Go module proxy on first use, a few minutes per version); the verdict then rests on pullproof\'s rules')
    .option('--json', 'print the report as JSON')
    .option('--report <file>', 'also write the JSON report to this file')
    .option('--in-cluster', 'also install the plugin and --config on a worker of each --kubernetes version and run the vendor-plugin scenarios against pullproof\'s AWS emulation (plugins for ECR hosts; needs Docker and root, like pullproof run)')
    .option('--report-dir <dir>', 'with --in-cluster: the cluster run\'s report folder (default: reports/<run id>)')
    .option('--keep', 'with --in-cluster: keep the clusters for debugging')
    .action(async (o: CertifyCliOptions) => {
      const versions: KubernetesVersion[] = [...new Set(o.kubernetes.map((v) => parseKubernetesVersion(v)))];
      if (o.inCluster && !o.config) throw new UsageError('--in-cluster', 'needs the provider config the kubelets will read', 'pass --config FILE with the provider entry (matchImages, tokenAttributes, env) as you ship it');
      if (!o.inCluster && (o.reportDir || o.keep)) throw new UsageError(o.reportDir ? '--report-dir' : '--keep', 'applies only to --in-cluster', 'add --in-cluster, or drop the flag');
      const { certify, resolveProvider } = await import('../certify/certify.ts');
      if (o.inCluster) {
        // Before anything runs: the provider must be one whose backend pullproof emulates.
        const { checkVendorPlugin } = await import('../engine/vendor.ts');
        checkVendorPlugin(o.plugin, resolveProvider({ plugin: o.plugin, configPath: o.config, provider: o.provider, versions, saTokenGate: gate(o.featureGates), image: o.image }).provider);
      }
      const { formatReport } = await import('../certify/report.ts');
      const report = await certify({
        plugin: o.plugin, configPath: o.config, provider: o.provider, versions, saTokenGate: gate(o.featureGates),
        timeoutMs: duration('--timeout', o.timeout), maxCallMs: duration('--max-call', o.maxCall),
        env: keyValues('--env', o.env), args: o.arg, image: o.image, issuer: await issuer(o), issuerUrl: o.issuer,
        serviceAccount: serviceAccount(o.serviceAccount), annotations: keyValues('--sa-annotation', o.saAnnotation),
        pluginVersion: o.pluginVersion, kubeletJudge: o.kubeletJudge, progress: (line) => log(`certify ${line}`),
      });
      if (o.inCluster) {
        const { certifyInCluster } = await import('../certify/in-cluster.ts');
        report.inCluster = await certifyInCluster(report, o.plugin, { reportDir: o.reportDir, keep: o.keep, command: process.argv.slice(2) });
        if (report.inCluster.verdict === 'fail') report.verdict = 'fail';
      }
      const json = JSON.stringify(report, null, 2) + '\n';
      if (o.report) writeFileSync(o.report, redact(json));
      process.stdout.write(redact(o.json ? json : formatReport(report)));
      if (report.verdict === 'fail') process.exitCode = report.inCluster && report.inCluster.exitCode >= 3 ? 3 : 1;
    });
}
