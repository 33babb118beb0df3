// certify's use of the kubelet judge: per Kubernetes version, the kubelet's own code (built from
// k8s.io/kubernetes at that version's release) judges the config and one valid call, execing the
// plugin itself. Its answer is authoritative; pullproof's rules explain it.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CredentialProvider } from '../credprovider/types.ts';
import { factsOf, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS } from '../oracle/versions.ts';
import { askJudge, type JudgeAnswer, type JudgeResult } from './judge/client.ts';
import { ensureJudge } from './judge/build.ts';

/** The release whose code judges a minor (harness/oracle/versions.ts). */
export function judgeRelease(version: string): string {
  const f = factsOf(version);
  if (!f) throw new Error(`no release known for Kubernetes ${version}`);
  return f.release;
}

/** The gates a judge is started with: the SA-token gate, where this kubelet has it. */
export function judgeGates(version: string, saTokenGate: boolean | undefined): Record<string, boolean> {
  const f = factsOf(version);
  if (!f?.saTokenForCredentialProviders) return {};
  return { [SA_TOKEN_FOR_CREDENTIAL_PROVIDERS]: saTokenGate ?? f.saTokenForCredentialProviders.defaultOn };
}

export type JudgeHandle = { ok: true; path: string; release: string } | { ok: false; release: string; error: string };

/** The judge for a minor, built if needed; a build failure is returned with Go's exact error, not thrown. */
export async function openJudge(version: string, progress: (line: string) => void): Promise<JudgeHandle> {
  const release = judgeRelease(version);
  try {
    const j = await ensureJudge(release, { onBuildStart: progress });
    if (!j.cached) progress(`built the ${release} kubelet judge with ${j.toolchain} in ${j.seconds.toFixed(0)} s`);
    return { ok: true, path: j.path, release };
  } catch (err) {
    return { ok: false, release, error: (err as Error).message };
  }
}

export interface LookupInputs {
  judge: string;
  version: string;
  saTokenGate?: boolean;
  /** The config document's apiVersion (kubelet.config.k8s.io/v1 ...). */
  configApiVersion: string;
  provider: CredentialProvider;
  plugin: string;
  image: string;
  pod: { namespace: string; name: string; uid: string };
  serviceAccount?: { name: string; uid: string; annotations: Record<string, string> };
  token?: string;
  env: Record<string, string>;
  deadlineMs: number;
}

/**
 * One kubelet credential lookup for the image: a bin dir holding the plugin under the provider's
 * name, a config with that one provider (the whole config was judged already), the kubelet's
 * registration and keyring lookup, which exec the plugin.
 */
export async function kubeletLookup(i: LookupInputs): Promise<JudgeAnswer> {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-certify-judge-'));
  try {
    const binDir = join(dir, 'bin');
    mkdirSync(binDir);
    symlinkSync(i.plugin, join(binDir, i.provider.name));
    const configPath = join(dir, 'credential-provider-config.json');
    writeFileSync(configPath, JSON.stringify({ apiVersion: i.configApiVersion, kind: 'CredentialProviderConfig', providers: [i.provider] }));
    return await askJudge(i.judge, {
      mode: 'lookup', configPath, binDir, gates: judgeGates(i.version, i.saTokenGate), image: i.image, pod: i.pod,
      ...(i.serviceAccount ? { serviceAccount: i.serviceAccount } : {}), ...(i.token ? { token: i.token } : {}),
    }, { env: i.env, deadlineMs: i.deadlineMs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The config as this kubelet's code reads and validates it (file or directory, as given). */
export async function kubeletConfigVerdict(judge: string, configPath: string, version: string, saTokenGate?: boolean): Promise<JudgeResult> {
  return (await askJudge(judge, { mode: 'provider-config', configPath, gates: judgeGates(version, saTokenGate) })).result;
}

/** Where the kubelet stopped: exec, then the response steps of harness/credprovider/response.ts, or another error. */
export type KubeletStep = 'exec' | 'gvk' | 'apiVersion' | 'decode' | 'tokenEcho' | 'cacheKeyType' | 'other';

export type KubeletOutcome =
  | { kind: 'credentials'; count: number; usernames: string[] }
  | { kind: 'no-credentials'; step: KubeletStep; message: string }
  | { kind: 'no-match' }
  /** The image matches none of the provider's matchImages: the plugin is not called. */
  | { kind: 'not-called' }
  | { kind: 'skipped'; message: string }
  | { kind: 'register-error'; message: string }
  | { kind: 'waiting'; seconds: number };

const PREFIX = 'failed to get credential from external registry credential provider: ';

/** What the kubelet did, from the judge's answer: credentials, or the first error it logged. */
export function kubeletOutcome(a: JudgeAnswer): KubeletOutcome {
  const r = a.result;
  if (r.registerError) return { kind: 'register-error', message: r.registerError };
  // Interrupted: certify ended the plugin (or what held its stdout) at the deadline; whatever the
  // kubelet's code did after that is not what a kubelet would do.
  if (a.interrupted) return { kind: 'waiting', seconds: a.ms / 1000 };
  // 1.34+ log ErrorS("Failed to provide credentials for image", err); 1.32 and 1.33 log Errorf with
  // the error in the message. The first error-level entry that names a step is the verdict.
  const errors = r.logs.filter((l) => l.error).map((l) => (l.err ? `${l.msg}: ${l.err}` : l.msg));
  // The wording changed between releases (1.34: "Credential provider plugin returned the service
  // account token as the password for image ..."; 1.35: "credential provider plugin returned ..."):
  // compare without case.
  const stepOf = (text: string): KubeletStep | undefined => {
    const t = text.toLowerCase();
    return t.includes('error execing credential provider plugin') ? 'exec'
      : t.includes('error reading gvk from response') ? 'gvk'
        : t.includes('apiversion from credential plugin response did not match') ? 'apiVersion'
          : t.includes('error decoding credential provider plugin response from stdout') ? 'decode'
            : t.includes('credential provider plugin returned the service account token as the password') ? 'tokenEcho'
              : t.includes('credential provider plugin did not return a valid cachekeytype') ? 'cacheKeyType' : undefined;
  };
  if (r.found && (r.auths?.length ?? 0) > 0) return { kind: 'credentials', count: r.auths?.length ?? 0, usernames: (r.auths ?? []).map((x) => x.username) };
  const skipped = r.logs.find((l) => /Service account name is empty|Failed to get service account data/.test(l.msg));
  const failed = errors.find((e) => stepOf(e)) ?? (skipped ? undefined : errors.find((e) => /Failed|Error/.test(e)));
  if (failed) {
    const full = failed.replace(/^Failed to provide credentials for image: /, '').replace(/^Failed getting credential from external registry credential provider: /, '').replace(PREFIX, '').trim();
    // The kubelet appends the plugin's whole stderr; keep the report readable.
    const message = full.length > 800 ? `${full.slice(0, 800)}... (${full.length} characters)` : full;
    return { kind: 'no-credentials', step: stepOf(full) ?? 'other', message };
  }
  if (skipped) return { kind: 'skipped', message: `${skipped.msg}${skipped.err ? `: ${skipped.err}` : ''}` };
  if (!r.logs.some((l) => /credentials from external exec plugin/.test(l.msg))) return { kind: 'not-called' };
  return { kind: 'no-match' };
}

/** The kubelet's verdict in a sentence, for the report. */
export function describeOutcome(o: KubeletOutcome, image: string): string {
  switch (o.kind) {
    case 'credentials': return `accepts the response and finds ${o.count} credential${o.count === 1 ? '' : 's'} for ${image}`;
    case 'no-match': return `accepts the response, but no auth key matches ${image}, so the pull goes ahead without these credentials`;
    case 'no-credentials': return `gets no credentials: ${o.message}`;
    case 'skipped': return `does not call the plugin: ${o.message}`;
    case 'not-called': return `does not call the plugin: ${image} matches none of the provider's matchImages`;
    case 'register-error': return `refuses to start: ${o.message}`;
    case 'waiting': return `was still waiting for the plugin after ${o.seconds.toFixed(1)} s, when certify ended it (the kubelet waits until its 1-minute limit, or for ever while a process holds stdout)`;
  }
}
