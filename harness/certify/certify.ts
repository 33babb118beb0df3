// `pullproof certify`: protocol conformance of any kubelet credential provider exec plugin, without a
// cluster. Steps: read the plugin and the config (strict, validated for every target version: a bad
// config is a usage error), build kubelet-shaped requests, exec the plugin for each (time limit,
// process-group kill, held-stdout detection), then judge every call per Kubernetes version.
import { createHash, randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.ts';
import { loadConfig, parseConfigText } from '../credprovider/config.ts';
import { authKeysFor } from '../credprovider/match.ts';
import { exampleImage } from './example-image.ts';
import { judgeResponse } from '../credprovider/response.ts';
import { CONFIG_V1, PROVIDER_V1, type CredentialProvider, type CredentialProviderConfig } from '../credprovider/types.ts';
import { traitsOf, type KubernetesVersion } from '../credprovider/versions.ts';
import { versionLabel } from '../oracle/versions.ts';
import { KIND_ISSUER, TestIssuer } from '../identity/test-issuer.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { REDACTED, redact, registerFieldSecret, registerSecret } from '../util/secrets.ts';
import { judge, type Call } from './checks.ts';
import { execPlugin } from './exec.ts';
import type { CallRecord, CertifyReport, CheckResult, VersionResult } from './report.ts';
import { describeOutcome, judgeRelease, kubeletConfigVerdict, kubeletLookup, kubeletOutcome, openJudge, type KubeletOutcome } from './kubelet-judge.ts';
import { buildScenarios, type Scenario } from './scenarios.ts';

export const DEFAULT_TIMEOUT_MS = 60_000;

export interface CertifyOptions {
  plugin: string;
  configPath?: string;
  /** Provider name in the config (default: the plugin's file name). */
  provider?: string;
  versions: KubernetesVersion[];
  /** KubeletServiceAccountTokenForCredentialProviders; default per version. */
  saTokenGate?: boolean;
  timeoutMs: number;
  maxCallMs?: number;
  env: Record<string, string>;
  args: string[];
  image?: string;
  issuer?: TestIssuer;
  issuerUrl?: string;
  serviceAccount?: { namespace: string; name: string; uid?: string };
  annotations?: Record<string, string>;
  pluginVersion?: string;
  /** Judge with each version's own kubelet code (default true; builds the judge on first use). */
  kubeletJudge?: boolean;
  /** Log lines while running (progress). */
  progress?: (line: string) => void;
}

export function pullproofVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${PROJECT_ROOT}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Flag names whose values are secrets by their name (password, token, key, secret, credential...). */
const SECRET_FLAG = /(pass(word)?|secret|token|key|credential|auth|cert)/i;

/**
 * Plugin arguments for the report: shown as given (a config's args are not secret: the kubelet's
 * /configz shows them), except a value whose flag name says it is secret ("--flag=<redacted>", or
 * the next argument after such a bare flag), and registered secrets anywhere (redact()).
 */
export function redactArgs(args: string[]): string[] {
  return args.map((a, i) => {
    const m = /^(--?[A-Za-z0-9][\w.-]*)=/.exec(a);
    if (m && SECRET_FLAG.test(m[1] ?? '')) return `${m[1]}=${REDACTED}`;
    const prev = args[i - 1];
    if (!a.startsWith('-') && prev && /^--?[A-Za-z0-9][\w.-]*$/.test(prev) && SECRET_FLAG.test(prev)) return REDACTED;
    return redact(a);
  });
}

function checkPlugin(path: string): void {
  if (!existsSync(path)) throw new UsageError('--plugin', `${path} does not exist`, 'pass the path of the plugin executable');
  if (!statSync(path).isFile()) throw new UsageError('--plugin', `${path} is not a file`, 'pass the path of the plugin executable (not its folder)');
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new UsageError('--plugin', `${path} is not executable`, `chmod +x ${path}`);
  }
}

export interface ResolvedProvider {
  provider: CredentialProvider;
  source: string;
  /** apiVersion of the config document that holds the provider. */
  configApiVersion: string;
  /** The configuration as written (file or directory), for the kubelet judge; absent without --config. */
  configPath?: string;
}

/** Loads and validates the config for every version (file, or a directory from 1.34); returns the provider to judge. */
export function resolveProvider(o: Pick<CertifyOptions, 'plugin' | 'configPath' | 'provider' | 'versions' | 'saTokenGate' | 'image'>): ResolvedProvider {
  const name = o.provider ?? basename(o.plugin);
  if (!o.configPath) {
    if (!o.image) {
      throw new UsageError('--image', 'without --config certify needs the image repository to request', 'pass --image registry.example/org/app (or a --config whose matchImages names the registries)');
    }
    const host = o.image.split('/')[0] as string;
    return { source: 'default (no --config): a provider not in service account mode', configApiVersion: CONFIG_V1, provider: { name, matchImages: [host], defaultCacheDuration: '1m', apiVersion: PROVIDER_V1 } };
  }
  let loaded: { config: CredentialProviderConfig; files: string[] } | undefined;
  for (const version of o.versions) loaded = loadConfig(o.configPath, { version, saTokenGate: o.saTokenGate }, '--config');
  const cfg = (loaded as { config: CredentialProviderConfig; files: string[] }).config;
  const provider = cfg.providers.find((p) => p.name === name);
  if (!provider) {
    throw new UsageError(o.provider ? '--provider' : '--config', `no provider named ${JSON.stringify(name)} in ${o.configPath} (providers: ${cfg.providers.map((p) => p.name).join(', ')})`,
      'the kubelet runs <bin-dir>/<name>: name the plugin file like its provider, or pass --provider <name>');
  }
  // The apiVersion of the document that holds the provider (a directory may mix versions).
  let configApiVersion = CONFIG_V1;
  for (const file of loaded?.files ?? []) {
    const doc = parseConfigText(readFileSync(file, 'utf8'), file) as { apiVersion?: string; providers?: { name?: string }[] };
    if (doc.providers?.some((p) => p.name === name)) configApiVersion = doc.apiVersion ?? CONFIG_V1;
  }
  return { provider, source: o.configPath, configApiVersion, configPath: o.configPath };
}

function pluginVersion(o: CertifyOptions, env: Record<string, string>): Promise<string> {
  if (o.pluginVersion) return Promise.resolve(o.pluginVersion);
  return execPlugin({ path: o.plugin, args: ['--version'], env, stdin: '', timeoutMs: 2000, holdGraceMs: 200 }).then((r) => {
    const line = r.stdout.trim().split('\n')[0] ?? '';
    if (r.exitCode === 0 && line && !line.startsWith('{') && line.length < 200) return redact(line);
    return 'unknown (the plugin does not answer --version; pass --plugin-version)';
  });
}

/** pullproof's reading of the first valid call, in the kubelet's order (used when the kubelet judge is not available). */
function rulesView(calls: Call[], provider: CredentialProvider, version: KubernetesVersion): string {
  const first = calls.find((c) => c.scenario.id === 'valid-1')?.outcome;
  if (!first) return 'no valid call was made';
  if (first.spawnError) return `error execing credential provider plugin: ${first.spawnError}`;
  if (first.timedOut) return 'error execing credential provider plugin: context deadline exceeded (no credentials)';
  if (first.exitCode !== 0) return `error execing credential provider plugin: ${first.signal ? `signal: ${first.signal}` : `exit status ${first.exitCode}`} (no credentials; stderr goes to its log)`;
  const request = calls[0]?.scenario.request;
  const j = judgeResponse(first.stdout, { apiVersion: provider.apiVersion, serviceAccountToken: request?.serviceAccountToken, cacheType: provider.tokenAttributes?.cacheType, echoRule: traitsOf(version).echoRule });
  if (j.problem) return `${j.problem.message} (no credentials)`;
  const keys = authKeysFor(j.response?.auth ?? {}, request?.image ?? '');
  return keys.length > 0 ? `accepts the response and tries the credentials of ${keys.join(', ')} for ${request?.image ?? ''}` : `accepts the response, but no auth key matches ${request?.image ?? ''}, so the pull goes ahead without these credentials`;
}

const JUDGE_TITLE = (release: string, image: string): string => `the kubelet's own code (k8s.io/kubernetes ${versionLabel(release)}) execs the plugin and gets credentials for ${image}`;

/** The kubelet judge of one version: the config through its code (a refusal is a usage error), then one valid call. */
async function judgeVersion(o: CertifyOptions, version: KubernetesVersion, r: ResolvedProvider, inputs: {
  image: string; scenario?: Scenario; judgeEnv: Record<string, string>; progress: (l: string) => void; heldStdout: boolean;
}): Promise<{ check: CheckResult; kubelet?: string; release: string; outcome?: KubeletOutcome }> {
  const release = judgeRelease(version);
  const title = JUDGE_TITLE(release, inputs.image);
  if (o.kubeletJudge === false) return { release, check: { id: 'kubelet.judge', title, status: 'not-run', reason: 'not asked for (--no-kubelet-judge): the verdict rests on pullproof\'s rules' } };
  const handle = await openJudge(version, inputs.progress);
  if (!handle.ok) return { release, check: { id: 'kubelet.judge', title, status: 'not-run', reason: `the ${release} kubelet judge could not be built: ${handle.error}` } };
  if (r.configPath) {
    const verdict = await kubeletConfigVerdict(handle.path, r.configPath, version, o.saTokenGate);
    if (verdict.requestProblem) throw new UsageError('--feature-gates', `the ${release} kubelet refuses the gates: ${verdict.requestProblem}`, 'set only gates this Kubernetes version knows');
    if (verdict.accepted === false) {
      throw new UsageError(`--config ${r.configPath}`, `the Kubernetes ${version} kubelet's own code (k8s.io/kubernetes ${release}) refuses this config: ${verdict.error ?? ''}`,
        'fix the config as the kubelet says (pullproof\'s own rules missed this: please report it)');
    }
  }
  const sc = inputs.scenario;
  if (!sc) return { release, check: { id: 'kubelet.judge', title, status: 'not-run', reason: 'no valid call was made' } };
  const provider = { ...r.provider, args: [...(r.provider.args ?? []), ...o.args] };
  const answer = await kubeletLookup({
    judge: handle.path, version, saTokenGate: o.saTokenGate, configApiVersion: r.configApiVersion, provider, plugin: realpathSync(o.plugin), image: inputs.image,
    pod: { namespace: sc.serviceAccount?.namespace ?? 'pullproof-certify', name: sc.pod?.name ?? 'certify-pod', uid: sc.pod?.uid ?? randomUUID() },
    ...(sc.serviceAccount ? { serviceAccount: { name: sc.serviceAccount.name, uid: sc.serviceAccount.uid, annotations: sc.serviceAccount.annotations } } : {}),
    ...(sc.request.serviceAccountToken ? { token: sc.request.serviceAccountToken } : {}),
    // The kubelet waits for ever on a held stdout: a few seconds show it is still waiting.
    env: inputs.judgeEnv, deadlineMs: inputs.heldStdout ? 5000 : Math.min(o.timeoutMs, 70_000) + 5000,
  });
  const outcome = kubeletOutcome(answer);
  const text = describeOutcome(outcome, inputs.image);
  const status = outcome.kind === 'credentials' ? 'pass' : 'fail';
  return { release, outcome, kubelet: `${text} (its own code, k8s.io/kubernetes ${release})`, check: { id: 'kubelet.judge', title, status, reason: redact(text) } };
}

export async function certify(o: CertifyOptions): Promise<CertifyReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const progress = o.progress ?? ((): void => undefined);
  checkPlugin(o.plugin);
  // Values the user gives are secrets whatever their length: redacted as that variable's value anywhere.
  for (const [k, v] of Object.entries(o.env)) registerFieldSecret(k, v);
  const resolved = resolveProvider(o);
  const { provider, source } = resolved;
  const image = o.image ?? exampleImage(provider.matchImages);
  if (!image) {
    throw new UsageError('--image', `no image can be derived from matchImages ${provider.matchImages.join(', ')}`, 'pass --image with a repository the plugin serves, e.g. --image registry.example/org/app');
  }
  const issuer = o.issuer ?? await TestIssuer.create(o.issuerUrl ?? KIND_ISSUER);
  const configEnv = Object.fromEntries((provider.env ?? []).map((e) => [e.name, e.value]));
  for (const [k, v] of Object.entries(configEnv)) registerFieldSecret(k, v);
  // As the kubelet: its own environment, then the provider's env (which wins), then --env.
  const judgeEnv = { ...process.env as Record<string, string>, ...o.env };
  const env = { ...process.env as Record<string, string>, ...configEnv, ...o.env };
  const args = [...(provider.args ?? []), ...o.args];

  const sa = o.serviceAccount ?? { namespace: 'pullproof-certify', name: 'certify' };
  const scenarios = await buildScenarios({ provider, image, issuer, serviceAccount: sa, annotations: o.annotations ?? {}, validCalls: 3 });
  const calls: Call[] = [];
  let hung: string | undefined;
  for (const scenario of scenarios) {
    if (hung) {
      calls.push({ scenario, skipped: `not made: ${hung} already hung for the whole time limit` });
      continue;
    }
    const outcome = await execPlugin({ path: o.plugin, args, env, stdin: JSON.stringify(scenario.request), timeoutMs: o.timeoutMs });
    calls.push({ scenario, outcome });
    progress(`${scenario.id}: ${outcome.spawnError ? `cannot start (${outcome.spawnError})` : outcome.timedOut ? 'timed out, ended' : `exit ${outcome.exitCode ?? outcome.signal} in ${outcome.durationMs.toFixed(0)} ms`}${outcome.stdoutHeldBy ? ', stdout held by a descendant (ended)' : ''}`);
    if (outcome.timedOut) hung = scenario.id;
    if (outcome.spawnError) break;
  }
  const returnedPasswords: string[] = [];
  for (const c of calls) {
    if (!c.outcome || c.outcome.exitCode !== 0) continue;
    try {
      const r = JSON.parse(c.outcome.stdout) as { auth?: Record<string, { password?: unknown }> };
      for (const a of Object.values(r.auth ?? {})) {
        if (typeof a?.password === 'string') {
          returnedPasswords.push(a.password);
          registerSecret(a.password);
        }
      }
    } catch {
      // judged by the checks
    }
  }

  const validCall = calls.find((c) => c.scenario.id === 'valid-1' && c.outcome);
  const results: VersionResult[] = [];
  for (const version of o.versions) {
    const checks = judge({ version, provider, calls, timeoutMs: o.timeoutMs, maxCallMs: o.maxCallMs ?? 10_000, returnedPasswords });
    const j = await judgeVersion(o, version, resolved, { image, scenario: validCall?.scenario, judgeEnv, progress, heldStdout: calls.some((c) => c.outcome?.stdoutHeldBy) });
    const rulesSay = rulesView(calls, provider, version);
    // The kubelet's code decides; where pullproof's rules read the response differently, say so.
    const rulesAccept = /^accepts the response and tries/.test(rulesSay);
    if (j.outcome && j.outcome.kind !== 'waiting' && j.outcome.kind !== 'skipped' && (j.outcome.kind === 'credentials') !== rulesAccept) {
      j.check.reason += `; pullproof's rules said "${redact(rulesSay)}": they disagree with the kubelet's code here, which decides (please report this)`;
    }
    checks.push(j.check);
    results.push({
      kubernetes: version,
      release: j.release,
      kubelet: j.kubelet ?? `${rulesSay} (pullproof's rules: ${j.check.reason})`,
      saTokenGate: traitsOf(version).gateDefault === undefined ? null : (o.saTokenGate ?? traitsOf(version).gateDefault ?? false),
      verdict: checks.some((c) => c.status === 'fail') ? 'fail' : 'pass',
      checks,
    });
  }
  const all = results.flatMap((r) => r.checks);
  const callRecords: CallRecord[] = calls.filter((c) => c.outcome).map((c) => {
    const out = c.outcome as NonNullable<Call['outcome']>;
    return {
      scenario: c.scenario.id, description: c.scenario.description,
      request: { image: c.scenario.request.image, token: c.scenario.tokenInfo, annotationKeys: Object.keys(c.scenario.request.serviceAccountAnnotations ?? {}) },
      exitCode: out.exitCode, signal: out.signal, durationMs: Math.round(out.durationMs * 10) / 10, timedOut: out.timedOut,
      ended: out.ended.map((p) => ({ pid: p.pid, command: p.command, leftProcessGroup: p.leftGroup, heldStdout: p.heldStdout, wasPlugin: p.wasProgram })),
      ...(out.stdoutHeldBy ? { stdoutHeldBy: out.stdoutHeldBy } : {}),
      stderr: redact(out.stderr.slice(0, 2000)), stdoutBytes: out.truncated?.stdoutBytes ?? Buffer.byteLength(out.stdout),
      ...(out.spawnError ? { spawnError: out.spawnError } : {}),
    };
  });
  const realPlugin = realpathSync(o.plugin);
  const bytes = readFileSync(realPlugin);
  const report: CertifyReport = {
    tool: { name: 'pullproof', version: pullproofVersion() },
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
    plugin: { path: o.plugin, sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length, version: await pluginVersion(o, env) },
    args: redactArgs(args),
    env: [...Object.keys(configEnv), ...Object.keys(o.env)].map((k) => `${k}=${REDACTED}`),
    config: { source, provider: { ...provider, ...(provider.env ? { env: provider.env.map((e) => ({ name: e.name, value: REDACTED })) } : {}), ...(provider.args ? { args: redactArgs(provider.args) } : {}) } },
    kubernetes: o.versions,
    image,
    timeoutMs: o.timeoutMs,
    ...(provider.tokenAttributes ? { serviceAccount: { namespace: sa.namespace, name: sa.name, issuer: issuer.issuer, audience: provider.tokenAttributes.serviceAccountTokenAudience } } : {}),
    calls: callRecords,
    results,
    verdict: all.some((c) => c.status === 'fail') ? 'fail' : 'pass',
    summary: { pass: all.filter((c) => c.status === 'pass').length, fail: all.filter((c) => c.status === 'fail').length, notRun: all.filter((c) => c.status === 'not-run').length },
    how: `each call is one exec of the plugin with the request on stdin, started as Go's os/exec starts it (no shell fallback) below pullproof's subreaper, ${calls.filter((c) => c.outcome).length} calls in sequence; times are from exec to exit measured by the subreaper on this host; every process the plugin left is ended and listed; tokens are RS256 JWTs from a pullproof test issuer shaped like projected service-account tokens; per version, the config and one valid call are also judged by that kubelet's own code (k8s.io/kubernetes at the release named per version, which execs the plugin itself), and checked with pullproof's rules, which explain each verdict`,
  };
  return JSON.parse(redact(JSON.stringify(report))) as CertifyReport;
}
