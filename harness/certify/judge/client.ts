// Asks the kubelet judge of one release (judge/main.go) what that kubelet's own code decides. Each
// question is one judge process, run through pullproof-reaper like a plugin: whatever the kubelet's
// code execs below it is ended when the answer is in, and a plugin that hangs the kubelet's code is
// ended at the deadline so the judge can still answer (the kubelet would wait up to its own 1 minute).
import { HarnessError } from '../../errors.ts';
import { execPlugin, type EndedProcess } from '../exec.ts';
import { ensureJudge } from './build.ts';

export interface JudgeLog {
  level: number;
  error: boolean;
  msg: string;
  err?: string;
  kv?: Record<string, string>;
}

export interface JudgeAuth {
  username: string;
  passwordSha256: string;
  passwordIsToken: boolean;
  serviceAccount?: { uid: string; namespace: string; name: string };
}

export interface JudgeTokenRequest {
  namespace: string;
  serviceAccount: string;
  uid: string;
  audiences: string[];
  boundKind: string;
  boundName: string;
  boundUID: string;
}

export interface JudgeResult {
  kubernetes: string;
  mode: string;
  accepted?: boolean;
  error?: string;
  registerError?: string;
  found?: boolean;
  auths?: JudgeAuth[];
  tokenRequests?: JudgeTokenRequest[];
  serviceAccountLookups?: string[];
  logs: JudgeLog[];
  gates?: Record<string, { default: boolean; preRelease: string }>;
  requestProblem?: string;
}

export interface JudgeRequest {
  mode: 'provider-config' | 'lookup' | 'kubelet-config' | 'gates' | 'version';
  configPath?: string;
  binDir?: string;
  gates?: Record<string, boolean>;
  image?: string;
  pod?: { namespace: string; name: string; uid: string };
  serviceAccount?: { name: string; uid: string; annotations?: Record<string, string>; missing?: boolean };
  token?: string;
}

export interface JudgeAnswer {
  result: JudgeResult;
  /** The deadline passed: certify ended what the kubelet's code was waiting for (a hung or held plugin). */
  interrupted: boolean;
  /** What was ended below the judge (the plugin and its descendants). */
  ended: EndedProcess[];
  ms: number;
}

export interface AskOptions {
  /** Environment of the judge, which the kubelet's code hands on to the plugin. */
  env?: Record<string, string>;
  /** Default 20 s. */
  deadlineMs?: number;
}

export async function askJudge(judgePath: string, req: JudgeRequest, o: AskOptions = {}): Promise<JudgeAnswer> {
  const out = await execPlugin({
    path: judgePath, args: [], env: o.env ?? (process.env as Record<string, string>), stdin: JSON.stringify(req),
    timeoutMs: o.deadlineMs ?? 20_000, descendantsFirstMs: 5000, holdGraceMs: 2000,
  });
  if (out.spawnError || out.exitCode !== 0) {
    throw new HarnessError(`the kubelet judge ${judgePath} failed (${out.spawnError ?? `exit ${out.exitCode ?? out.signal}`}): ${out.stderr.trim().slice(-2000)}`);
  }
  let result: JudgeResult;
  try {
    result = JSON.parse(out.stdout) as JudgeResult;
  } catch {
    throw new HarnessError(`the kubelet judge ${judgePath} printed no JSON result: ${out.stdout.slice(0, 200)}`);
  }
  return { result, interrupted: out.timedOut, ended: out.ended.filter((p) => !p.wasProgram), ms: out.durationMs };
}

/** A judge per release, built lazily (the first call for a release may take minutes). */
export async function judgeFor(release: string, onBuildStart?: (why: string) => void): Promise<string> {
  return (await ensureJudge(release, { onBuildStart })).path;
}
