// The differential run: every corpus case decided twice, by the kubelet judge of a release (the
// kubelet's own code) and by pullproof's TypeScript rules (certify's exec, the config and response
// rules, the matching, harness/cluster's kubelet settings), and every disagreement listed.
//   npx node harness/certify/judge/run-differential.ts [v1.35.4 ... | all]   (by hand; test/certify-differential.test.ts in CI)
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyKubeletSettings, type KubeletTarget } from '../../cluster/kubelet-config.ts';
import { resolveGates, type GateInfo } from '../../cluster/gates.ts';
import { checkConfig, loadConfig, parseConfigText } from '../../credprovider/config.ts';
import { authKeysFor, urlsMatch } from '../../credprovider/match.ts';
import { judgeResponse } from '../../credprovider/response.ts';
import type { CredentialProvider } from '../../credprovider/types.ts';
import { traitsOf, type KubernetesVersion } from '../../credprovider/versions.ts';
import { UsageError } from '../../errors.ts';
import { factsOf, minorOf, MINORS } from '../../oracle/versions.ts';
import { execPlugin } from '../exec.ts';
import { judgeGates, kubeletOutcome, type KubeletOutcome } from '../kubelet-judge.ts';
import { askJudge } from './client.ts';
import { ensureJudge } from './build.ts';
import { corpus, type Case, type KubeletConfigCase, type LookupCase, type ProviderConfigCase } from './corpus.ts';

/** What one side decided, in terms both sides share. */
export type Verdict =
  | { kind: 'credentials'; usernames: string[] }
  | { kind: 'no-credentials'; step: string }
  | { kind: 'no-match' | 'not-called' | 'skipped' | 'register-error' | 'waiting' }
  | { kind: 'accepted' }
  | { kind: 'rejected'; stage?: string };

export interface CaseResult {
  id: string;
  kind: Case['kind'];
  covers: string[];
  kubelet: Verdict;
  rules: Verdict;
  agree: boolean;
  /** The kubelet's message, for reading a disagreement. */
  detail: string;
}

export interface DifferentialReport {
  release: string;
  version: KubernetesVersion;
  judged: number;
  disagreements: CaseResult[];
  byKind: Record<string, number>;
  covers: string[];
  seconds: number;
  buildSeconds: number;
  results: CaseResult[];
}

const same = (a: Verdict, b: Verdict): boolean => JSON.stringify(a) === JSON.stringify(b);

function fromOutcome(o: KubeletOutcome): Verdict {
  switch (o.kind) {
    case 'credentials': return { kind: 'credentials', usernames: [...o.usernames].sort() };
    case 'no-credentials': return { kind: 'no-credentials', step: o.step };
    default: return { kind: o.kind };
  }
}

function gateOn(version: KubernetesVersion, gate: boolean | undefined): boolean {
  return gate ?? traitsOf(version).gateDefault ?? false;
}

/** pullproof's rules for a lookup case: config rules, then certify's own exec, then the response rules and matching. */
async function rulesLookup(c: LookupCase, version: KubernetesVersion, pluginPath: string): Promise<Verdict> {
  const doc = { apiVersion: c.configApiVersion, kind: 'CredentialProviderConfig', providers: [c.provider] };
  if (checkConfig(doc, { version, saTokenGate: c.gate }).length > 0 || c.notExecutable) return { kind: 'register-error' };
  const p = c.provider as unknown as CredentialProvider;
  const allowed = p.matchImages.some((m) => {
    try {
      return urlsMatch(m, c.image);
    } catch {
      return false;
    }
  });
  if (!allowed) return { kind: 'not-called' };
  const ta = p.tokenAttributes;
  let token: string | undefined;
  if (ta && gateOn(version, c.gate)) {
    if (!c.serviceAccount) {
      if (ta.requireServiceAccount !== false) return { kind: 'skipped' };
    } else {
      if (c.serviceAccount.missing) return { kind: 'no-credentials', step: 'other' };
      if ((ta.requiredServiceAccountAnnotationKeys ?? []).some((k) => c.serviceAccount?.annotations[k] === undefined)) return { kind: 'skipped' };
      token = c.token;
    }
  }
  const out = await execPlugin({ path: pluginPath, args: [], env: process.env as Record<string, string>, stdin: '{}', timeoutMs: c.deadlineMs ?? 20_000 });
  if (out.spawnError || (!out.timedOut && out.exitCode !== 0)) return { kind: 'no-credentials', step: 'exec' };
  if (out.timedOut || out.stdoutHeldBy) return { kind: 'waiting' };
  const j = judgeResponse(out.stdout, { apiVersion: p.apiVersion, serviceAccountToken: token, cacheType: ta?.cacheType, echoRule: traitsOf(version).echoRule });
  if (j.problem) return { kind: 'no-credentials', step: j.problem.step };
  const auth = (j.response?.auth ?? {}) as Record<string, { username?: string } | null>;
  const keys = authKeysFor(auth, c.image);
  if (keys.length === 0) return { kind: 'no-match' };
  return { kind: 'credentials', usernames: keys.map((k) => auth[k]?.username ?? '').sort() };
}

/** Where the kubelet refused a config: reading it (decode), its rules (validate), or finding the plugin (binary). */
function configStage(message: string): string {
  if (/^failed to validate|duplicate provider name|registered twice/.test(message)) return 'validate';
  if (/^error inspecting binary executable/.test(message)) return 'binary';
  return 'decode';
}

function rulesProviderConfig(c: ProviderConfigCase, version: KubernetesVersion, path: string): Verdict {
  try {
    if (c.directory) {
      loadConfig(path, { version, saTokenGate: c.gate });
    } else {
      const doc = parseConfigText(Object.values(c.files)[0] ?? '', path);
      const issues = checkConfig(doc, { version, saTokenGate: c.gate });
      if (issues.length > 0) return { kind: 'rejected', stage: issues[0]?.rule.startsWith('decode.') ? 'decode' : issues[0]?.rule === 'name.required' ? 'binary' : 'validate' };
    }
    return { kind: 'accepted' };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const m = err.message;
    return { kind: 'rejected', stage: /rule name\.required/.test(m) ? 'binary' : /rule directory\.duplicate|rule (?!decode\.|directory\.empty)[a-zA-Z]+\./.test(m) ? 'validate' : 'decode' };
  }
}

const BASE_KUBELET_CONFIG = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';

/** harness/cluster's rules: refuse, or write the config the node would get (which the kubelet must then accept). */
function rulesKubeletConfig(c: KubeletConfigCase, version: KubernetesVersion, gates: Map<string, GateInfo>): { verdict: Verdict; config: string } {
  // The kubelet's validation looks at this host's cgroup mode (failCgroupV1), as it does in a kind node on it.
  const target: KubeletTarget = { version: factsOf(version)?.release ?? version, gates, cgroupV1: !existsSync('/sys/fs/cgroup/cgroup.controllers') };
  try {
    const settings = c.settings.featureGates ? { ...c.settings, featureGates: resolveGates(c.settings.featureGates, gates, target.version, 'settings.featureGates') } : c.settings;
    return { verdict: { kind: 'accepted' }, config: applyKubeletSettings(BASE_KUBELET_CONFIG, structuredClone(settings), target, 'settings') };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { verdict: { kind: 'rejected' }, config: '' };
  }
}

/** The settings written as they are (what a user would write without pullproof's rules). */
function naiveKubeletConfig(c: KubeletConfigCase): string {
  return BASE_KUBELET_CONFIG + Object.entries(c.settings).map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`).join('');
}

export interface RunOptions {
  /** Only cases whose id contains this text. */
  filter?: string;
  /** Cases judged at once (default 3). */
  concurrency?: number;
  progress?: (line: string) => void;
}

export async function runDifferential(version: KubernetesVersion, o: RunOptions = {}): Promise<DifferentialReport> {
  const t0 = performance.now();
  const release = factsOf(version)?.release ?? version;
  const built = await ensureJudge(release, { onBuildStart: o.progress });
  const judge = built.path;
  const gatesAnswer = await askJudge(judge, { mode: 'gates' });
  const gates = new Map<string, GateInfo>(Object.entries(gatesAnswer.result.gates ?? {}).map(([n, g]) => [n, { stage: g.preRelease || 'GA', defaultValue: g.default }]));
  const cases = corpus(version).filter((c) => !o.filter || c.id.includes(o.filter));
  const work = mkdtempSync(join(tmpdir(), 'pullproof-differential-'));
  const results: CaseResult[] = [];
  const one = async (n: number, c: Case): Promise<void> => {
    const dir = join(work, String(n));
    mkdirSync(dir);
    let kubelet: Verdict;
    let rules: Verdict;
    let detail: string;
    if (c.kind === 'lookup') {
      const binDir = join(dir, 'bin');
      mkdirSync(binDir);
      const plugin = join(dir, 'plugin-impl');
      writeFileSync(plugin, c.script);
      for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(join(dir, name), text);
      chmodSync(plugin, c.notExecutable ? 0o644 : 0o755);
      symlinkSync(plugin, join(binDir, String(c.provider.name)));
      const configPath = join(dir, 'config.json');
      writeFileSync(configPath, JSON.stringify({ apiVersion: c.configApiVersion, kind: 'CredentialProviderConfig', providers: [c.provider] }));
      const answer = await askJudge(judge, {
        mode: 'lookup', configPath, binDir, gates: judgeGates(version, c.gate), image: c.image, pod: { namespace: 'ns', name: 'pod', uid: 'pod-uid' },
        ...(c.serviceAccount ? { serviceAccount: c.serviceAccount } : {}), ...(c.token ? { token: c.token } : {}),
      }, { deadlineMs: c.deadlineMs ?? 20_000 });
      const outcome = kubeletOutcome(answer);
      kubelet = fromOutcome(outcome);
      detail = 'message' in outcome ? outcome.message : outcome.kind;
      rules = await rulesLookup(c, version, plugin);
    } else if (c.kind === 'provider-config') {
      let path = join(dir, 'config.yaml');
      if (c.directory) {
        path = join(dir, 'conf.d');
        mkdirSync(path);
        for (const [name, text] of Object.entries(c.files)) writeFileSync(join(path, name), text);
      } else {
        writeFileSync(path, Object.values(c.files)[0] ?? '');
      }
      const r = (await askJudge(judge, { mode: 'provider-config', configPath: path, gates: judgeGates(version, c.gate) })).result;
      kubelet = r.accepted ? { kind: 'accepted' } : { kind: 'rejected', stage: configStage(r.error ?? '') };
      detail = r.error ?? r.requestProblem ?? '';
      rules = rulesProviderConfig(c, version, path);
    } else {
      const ts = rulesKubeletConfig(c, version, gates);
      rules = ts.verdict;
      // Accepted by the rules: the config they write must start the kubelet. Refused: the same
      // settings written as they are must be refused by the kubelet.
      const path = join(dir, 'kubelet.yaml');
      writeFileSync(path, ts.verdict.kind === 'accepted' ? ts.config : naiveKubeletConfig(c));
      const r = (await askJudge(judge, { mode: 'kubelet-config', configPath: path })).result;
      detail = r.error ?? '';
      kubelet = r.accepted ? { kind: 'accepted' } : { kind: 'rejected' };
    }
    const agree = same(kubelet, rules);
    results.push({ id: c.id, kind: c.kind, covers: c.covers, kubelet, rules, agree, detail: detail.slice(0, 600) });
    if (!agree) o.progress?.(`DISAGREE ${c.kind} "${c.id}": kubelet ${JSON.stringify(kubelet)} (${detail.slice(0, 300)}), rules ${JSON.stringify(rules)}`);
    rmSync(dir, { recursive: true, force: true });
  };
  // Three at a time: most of a case is waiting on processes (2 cores here).
  try {
    let next = 0;
    await Promise.all(Array.from({ length: o.concurrency ?? 3 }, async () => {
      while (next < cases.length) {
        const n = next++;
        await one(n, cases[n] as Case);
      }
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  results.sort((a, b) => cases.findIndex((c) => c.id === a.id && c.kind === a.kind) - cases.findIndex((c) => c.id === b.id && c.kind === b.kind));
  const byKind: Record<string, number> = {};
  for (const r of results) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
  return {
    release, version, judged: results.length, disagreements: results.filter((r) => !r.agree), byKind,
    covers: [...new Set(results.flatMap((r) => r.covers))].sort(), seconds: (performance.now() - t0) / 1000, buildSeconds: built.seconds, results,
  };
}

/** The versions to run: "all", a list of releases or minors, or the CI default (v1.35.4). */
export function differentialVersions(spec: string | undefined): KubernetesVersion[] {
  if (!spec) return ['1.35'];
  if (spec.trim() === 'all') return MINORS.map((m) => `1.${m.minor}`);
  return spec.split(/[\s,]+/).filter(Boolean).map((v) => `1.${minorOf(v)}`);
}

