// `pullproof certify`: protocol conformance of any kubelet credential provider exec plugin, without a
// cluster. Steps: read the plugin and the config (strict, validated for every target version: a bad
// config is a usage error), build kubelet-shaped requests, exec the plugin for each (time limit,
// process-group kill, held-stdout detection), then judge every call per Kubernetes version.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.ts';
import { checkConfig, issuesToUsageError, parseConfigText } from '../credprovider/config.ts';
import { authKeysFor, parseSchemelessUrl } from '../credprovider/match.ts';
import { judgeResponse } from '../credprovider/response.ts';
import { CONFIG_V1, PROVIDER_V1, type CredentialProvider, type CredentialProviderConfig } from '../credprovider/types.ts';
import { traitsOf, type KubernetesVersion } from '../credprovider/versions.ts';
import { KIND_ISSUER, TestIssuer } from '../identity/test-issuer.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { REDACTED, redact, registerFieldSecret, registerSecret } from '../util/secrets.ts';
import { judge, type Call } from './checks.ts';
import { execPlugin } from './exec.ts';
import type { CallRecord, CertifyReport, VersionResult } from './report.ts';
import { buildScenarios } from './scenarios.ts';

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

/** "--flag=value" -> "--flag=<redacted>", a bare value -> "<redacted>", a bare flag stays. */
export function redactArgs(args: string[]): string[] {
  return args.map((a) => {
    if (/^--?[A-Za-z0-9][\w-]*$/.test(a)) return a;
    const m = /^(--?[A-Za-z0-9][\w-]*)=/.exec(a);
    return m ? `${m[1]}=${REDACTED}` : REDACTED;
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

function defaultImage(p: CredentialProvider): string {
  const pattern = p.matchImages[0] ?? 'registry.pullproof.test';
  const u = parseSchemelessUrl(pattern);
  const host = u.host.split('.').map((label) => label.replace(/\*/g, 'certify').replace(/[?[\]\\^]/g, 'x')).join('.');
  const path = u.path.replace(/\/$/, '');
  return `${host}${path}/pullproof-certify/app`;
}

/** Loads and validates the config for every version; returns the provider to judge. */
export function resolveProvider(o: Pick<CertifyOptions, 'plugin' | 'configPath' | 'provider' | 'versions' | 'saTokenGate' | 'image'>): { provider: CredentialProvider; source: string } {
  const name = o.provider ?? basename(o.plugin);
  if (!o.configPath) {
    const host = o.image ? o.image.split('/')[0] as string : 'registry.pullproof.test';
    return { source: 'default (no --config): a provider not in service account mode', provider: { name, matchImages: [host], defaultCacheDuration: '1m', apiVersion: PROVIDER_V1 } };
  }
  if (!existsSync(o.configPath)) throw new UsageError('--config', `${o.configPath} does not exist`, 'pass a CredentialProviderConfig file (YAML or JSON)');
  const doc = parseConfigText(readFileSync(o.configPath, 'utf8'), o.configPath);
  for (const version of o.versions) {
    const issues = checkConfig(doc, { version, saTokenGate: o.saTokenGate });
    if (issues.length > 0) throw issuesToUsageError(o.configPath, issues, version);
  }
  const cfg = doc as CredentialProviderConfig;
  const provider = cfg.providers.find((p) => p.name === name);
  if (!provider) {
    throw new UsageError(o.provider ? '--provider' : '--config', `no provider named ${JSON.stringify(name)} in ${o.configPath} (providers: ${cfg.providers.map((p) => p.name).join(', ')})`,
      'the kubelet runs <bin-dir>/<name>: name the plugin file like its provider, or pass --provider <name>');
  }
  return { provider, source: o.configPath };
}

function pluginVersion(o: CertifyOptions, env: Record<string, string>): Promise<string> {
  if (o.pluginVersion) return Promise.resolve(o.pluginVersion);
  return execPlugin({ path: o.plugin, args: ['--version'], env, stdin: '', timeoutMs: 2000, holdGraceMs: 200 }).then((r) => {
    const line = r.stdout.trim().split('\n')[0] ?? '';
    if (r.exitCode === 0 && line && !line.startsWith('{') && line.length < 200) return redact(line);
    return 'unknown (the plugin does not answer --version; pass --plugin-version)';
  });
}

/** The kubelet's own reading of the first valid call (plugin.go order: exec, GVK, decode, echo rule, cacheKeyType, then keyring lookup). */
function kubeletView(calls: Call[], provider: CredentialProvider, version: KubernetesVersion): string {
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

export async function certify(o: CertifyOptions): Promise<CertifyReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const progress = o.progress ?? ((): void => undefined);
  checkPlugin(o.plugin);
  // Values the user gives are secrets whatever their length: redacted as that variable's value anywhere.
  for (const [k, v] of Object.entries(o.env)) registerFieldSecret(k, v);
  const { provider, source } = resolveProvider(o);
  const image = o.image ?? defaultImage(provider);
  const issuer = o.issuer ?? await TestIssuer.create(o.issuerUrl ?? KIND_ISSUER);
  const configEnv = Object.fromEntries((provider.env ?? []).map((e) => [e.name, e.value]));
  for (const [k, v] of Object.entries(configEnv)) registerFieldSecret(k, v);
  // As the kubelet: its own environment, then the provider's env (which wins), then --env.
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
    progress(`${scenario.id}: ${outcome.spawnError ? `cannot start (${outcome.spawnError})` : outcome.timedOut ? 'timed out, process group killed' : `exit ${outcome.exitCode ?? outcome.signal} in ${outcome.durationMs.toFixed(0)} ms`}${outcome.stdoutHeldBy ? ', stdout held by a child' : ''}`);
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

  const results: VersionResult[] = o.versions.map((version) => {
    const checks = judge({ version, provider, calls, timeoutMs: o.timeoutMs, maxCallMs: o.maxCallMs ?? 10_000, returnedPasswords });
    return {
      kubernetes: version,
      kubelet: kubeletView(calls, provider, version),
      saTokenGate: traitsOf(version).gateDefault === undefined ? null : (o.saTokenGate ?? traitsOf(version).gateDefault ?? false),
      verdict: checks.some((c) => c.status === 'fail') ? 'fail' : 'pass',
      checks,
    };
  });
  const all = results.flatMap((r) => r.checks);
  const callRecords: CallRecord[] = calls.filter((c) => c.outcome).map((c) => {
    const out = c.outcome as NonNullable<Call['outcome']>;
    return {
      scenario: c.scenario.id, description: c.scenario.description,
      request: { image: c.scenario.request.image, token: c.scenario.tokenInfo, annotationKeys: Object.keys(c.scenario.request.serviceAccountAnnotations ?? {}) },
      exitCode: out.exitCode, signal: out.signal, durationMs: Math.round(out.durationMs * 10) / 10, timedOut: out.timedOut, killedGroup: out.killedGroup,
      ...(out.stdoutHeldBy ? { stdoutHeldBy: out.stdoutHeldBy } : {}),
      stderr: redact(out.stderr.slice(0, 2000)), stdoutBytes: Buffer.byteLength(out.stdout),
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
    how: `each call is one exec of the plugin with the request on stdin (as the kubelet's execPlugin), ${calls.filter((c) => c.outcome).length} calls in sequence; times are from spawn to exit measured by certify on this host; tokens are RS256 JWTs from a pullproof test issuer shaped like projected service-account tokens; config judged with ${CONFIG_V1} rules per version`,
  };
  return JSON.parse(redact(JSON.stringify(report))) as CertifyReport;
}
