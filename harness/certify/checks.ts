// Judging a plugin's calls as the kubelet of one version would (docs/specification.md B3/B4): every
// check is pass, fail with the reason, or not run with the reason. Checks are independent where the
// data allows, so each broken plugin fails for its own reason.
import { authKeysFor } from '../credprovider/match.ts';
import { durationProblem, interpretGvk, strictProblems } from '../credprovider/response.ts';
import { CACHE_KEY_TYPES, type CredentialProvider } from '../credprovider/types.ts';
import { traitsOf, type KubernetesVersion } from '../credprovider/versions.ts';
import { summarize } from '../util/stats.ts';
import { MAX_STDOUT, type EndedProcess, type ExecOutcome } from './exec.ts';
import type { CheckResult } from './report.ts';
import type { Scenario } from './scenarios.ts';

export interface Call {
  scenario: Scenario;
  outcome?: ExecOutcome;
  /** Why the call was not made (an earlier call hung). */
  skipped?: string;
}

export interface JudgeInputs {
  version: KubernetesVersion;
  provider: CredentialProvider;
  calls: Call[];
  timeoutMs: number;
  maxCallMs: number;
  /** Passwords the plugin returned in any call (to find them on stderr). */
  returnedPasswords: string[];
}

const pass = (id: string, title: string, reason = ''): CheckResult => ({ id, title, status: 'pass', reason });
const fail = (id: string, title: string, reason: string): CheckResult => ({ id, title, status: 'fail', reason });
const notRun = (id: string, title: string, reason: string): CheckResult => ({ id, title, status: 'not-run', reason });

function describeHolders(ps: EndedProcess[]): string {
  if (ps.length === 0) return 'a process';
  return ps.map((h) => `pid ${h.pid} (${h.command}${h.leftSession ? ', which had left the plugin\'s session and process group with setsid' : h.leftGroup ? ', which had left the plugin\'s process group' : ''})`).join(', ');
}

/** What certify ended, truthfully: each process, and whether a process-group kill would have missed it. */
export function endedText(ps: EndedProcess[]): string {
  if (ps.length === 0) return 'nothing (no process was left)';
  const list = ps.map((p) => `${p.pid} ${p.command}`).join(', ');
  const escaped = ps.filter((p) => p.leftGroup).length;
  if (ps.length === 1) return `that process (${list})${escaped ? ', which was outside the plugin\'s process group: pullproof\'s subreaper found it as a descendant' : ''}`;
  return `all ${ps.length} processes the plugin left (${list})${escaped ? `, ${escaped} of them outside the plugin's process group, found as descendants of pullproof's subreaper` : ''}`;
}

function describeEnd(o: ExecOutcome): string {
  if (o.spawnError) return `could not be started (${o.spawnError})`;
  if (o.timedOut) return `did not finish within ${(o.durationMs / 1000).toFixed(1)}s`;
  if (o.signal) return `was killed by ${o.signal}`;
  return `exited with code ${o.exitCode}`;
}

const KLOG_LINE = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [^\]]*\]/;

/**
 * The part of stderr that says what went wrong, for a failure reason: klog error lines (E/F) when
 * the plugin logs with klog, otherwise the last lines that are not klog info or warning lines (a
 * plugin that logs "I... starting" first puts its real error last). At most two lines.
 */
export function errorExcerpt(stderr: string, max = 400): string {
  const lines = stderr.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => KLOG_LINE.test(l) && /^[EF]/.test(l));
  const plain = lines.filter((l) => !(KLOG_LINE.test(l) && /^[IW]/.test(l)));
  const picked = (errors.length > 0 ? errors : plain.length > 0 ? plain : lines).slice(-2);
  const text = picked.join(' | ');
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** Did the plugin hand out credentials the kubelet would use for this image? */
function gaveCredentials(o: ExecOutcome | undefined, image: string): boolean {
  if (!o || o.exitCode !== 0) return false;
  try {
    const r = JSON.parse(o.stdout) as { auth?: Record<string, unknown> };
    return !!r.auth && authKeysFor(r.auth, image).length > 0;
  } catch {
    return false;
  }
}

export function judge(i: JudgeInputs): CheckResult[] {
  const out: CheckResult[] = [];
  const p = i.provider;
  const traits = traitsOf(i.version);
  const made = i.calls.filter((c): c is Call & { outcome: ExecOutcome } => c.outcome !== undefined);
  const valid = made.filter((c) => c.scenario.id.startsWith('valid-'));
  const first = valid[0];

  out.push(pass('config.valid', 'config decodes strictly and passes the kubelet\'s validation', `Kubernetes ${i.version}`));

  const spawnFailed = made.find((c) => c.outcome.spawnError);
  if (spawnFailed) {
    out.push(fail('exec.start', 'the plugin can be executed', `${spawnFailed.outcome.spawnError ?? ''}`));
    return out;
  }

  const hung = made.filter((c) => c.outcome.timedOut);
  out.push(hung.length === 0
    ? pass('exec.timeout', `every call finished within the ${i.timeoutMs / 1000}s limit`)
    : fail('exec.timeout', `every call finished within the ${i.timeoutMs / 1000}s limit`, `${hung.map((c) => c.scenario.id).join(', ')} did not finish within ${i.timeoutMs / 1000}s; pullproof ended ${endedText(hung[0]?.outcome.ended ?? [])} (the kubelet kills the plugin at its 1-minute limit and that pull gets no credentials)`));

  const held = made.filter((c) => c.outcome.stdoutHeldBy);
  out.push(held.length === 0
    ? pass('exec.stdout-closed', 'stdout is closed when the plugin exits (no child process keeps it open)')
    : fail('exec.stdout-closed', 'stdout is closed when the plugin exits (no child process keeps it open)', `after ${held[0]?.scenario.id} exited, ${describeHolders(held[0]?.outcome.stdoutHeldBy ?? [])} still held stdout; the kubelet kills only its direct child and then waits on that pipe, so this credential lookup and every pod waiting on it would hang. pullproof ended ${endedText(held[0]?.outcome.ended ?? [])}`));

  // The valid request and the response it produced.
  const validTitle = 'a valid kubelet request is answered with exit code 0';
  if (!first) {
    out.push(notRun('exec.valid-exit', validTitle, 'no valid request was made'));
  } else if (first.outcome.timedOut) {
    out.push(notRun('exec.valid-exit', validTitle, 'the call timed out (see exec.timeout)'));
  } else if (first.outcome.exitCode !== 0) {
    out.push(fail('exec.valid-exit', validTitle, `the plugin ${describeEnd(first.outcome)}${first.outcome.stderr.trim() ? `; stderr: ${errorExcerpt(first.outcome.stderr)}` : ' and wrote nothing on stderr'}`));
  } else {
    out.push(pass('exec.valid-exit', validTitle, `${valid.filter((c) => c.outcome.exitCode === 0).length}/${valid.length} valid calls exited 0`));
  }

  const responseTitles: [string, string][] = [
    ['response.json', 'stdout is one JSON object (the kubelet reads its apiVersion and kind first)'],
    ['response.apiVersion', `response apiVersion equals the configured ${p.apiVersion}`],
    ['response.strict', 'response decodes strictly as a CredentialProviderResponse (kind, no unknown fields, right types)'],
    ['response.cacheKeyType', 'cacheKeyType is Image, Registry or Global'],
    ['response.cacheDuration', 'cacheDuration, if set, is a Go duration'],
    ['response.auth-matches-image', `auth has a key that matches the requested image under the kubelet's matchImages rules`],
    ['response.token-echo', 'the service account token is not returned as a password (unless cacheType is Token)'],
  ];
  let raw: Record<string, unknown> | undefined;
  let why = '';
  let gvk: ReturnType<typeof interpretGvk> | undefined;
  if (!first || first.outcome.exitCode !== 0) {
    why = 'the plugin did not answer a valid request (see exec.valid-exit / exec.timeout)';
  } else {
    gvk = interpretGvk(first.outcome.stdout);
    if ('error' in gvk) why = gvk.error;
    else {
      const v = JSON.parse(first.outcome.stdout) as unknown;
      raw = v && typeof v === 'object' ? v as Record<string, unknown> : {};
    }
  }
  if (first?.outcome.truncated && first.outcome.truncated.stdoutBytes > MAX_STDOUT) {
    why = `stdout was ${first.outcome.truncated.stdoutBytes} bytes; certify keeps at most ${MAX_STDOUT} bytes, so it cannot judge this response (the kubelet reads all of it)`;
    raw = undefined;
  }
  if (!raw || !gvk || 'error' in gvk) {
    const [jsonId, jsonTitle] = responseTitles[0] as [string, string];
    if (!first || first.outcome.exitCode !== 0) out.push(notRun(jsonId, jsonTitle, why));
    else out.push(fail(jsonId, jsonTitle, `${why}; the kubelet logs "error reading GVK from response" and gets no credentials`));
    for (const [id, title] of responseTitles.slice(1)) out.push(notRun(id, title, first && first.outcome.exitCode === 0 ? 'no JSON response to judge (see response.json)' : why));
  } else {
    const r = raw;
    const stdout = first?.outcome.stdout ?? '';
    const image = first?.scenario.request.image ?? '';
    out.push(pass('response.json', responseTitles[0]?.[1] ?? ''));
    const gv = gvk.apiVersion;
    out.push(gv === p.apiVersion
      ? pass('response.apiVersion', responseTitles[1]?.[1] ?? '')
      : fail('response.apiVersion', responseTitles[1]?.[1] ?? '', `the response says apiVersion ${JSON.stringify(gv)}; the kubelet refuses it ("apiVersion from credential plugin response did not match expected apiVersion")`));
    const strict = strictProblems(stdout, r);
    out.push(strict.length === 0
      ? pass('response.strict', responseTitles[2]?.[1] ?? '')
      : fail('response.strict', responseTitles[2]?.[1] ?? '', `strict decoding fails: ${strict.join('; ')}; the kubelet logs "error decoding credential provider plugin response from stdout" and gets no credentials`));
    const ckt = r.cacheKeyType;
    out.push(typeof ckt === 'string' && (CACHE_KEY_TYPES as readonly string[]).includes(ckt)
      ? pass('response.cacheKeyType', responseTitles[3]?.[1] ?? '', ckt)
      : fail('response.cacheKeyType', responseTitles[3]?.[1] ?? '', `cacheKeyType is ${JSON.stringify(ckt ?? '')}; the kubelet logs "credential provider plugin did not return a valid cacheKeyType" and gets no credentials`));
    const duration = durationProblem(r);
    if (r.cacheDuration === undefined || r.cacheDuration === null) {
      out.push(pass('response.cacheDuration', responseTitles[4]?.[1] ?? '', `absent: the kubelet uses defaultCacheDuration ${p.defaultCacheDuration ?? ''}`));
    } else if (typeof r.cacheDuration !== 'string') {
      out.push(notRun('response.cacheDuration', responseTitles[4]?.[1] ?? '', 'cacheDuration is not a string (see response.strict)'));
    } else if (duration) {
      out.push(fail('response.cacheDuration', responseTitles[4]?.[1] ?? '', `${duration}; the kubelet cannot decode the response ("error decoding credential provider plugin response from stdout")`));
    } else {
      out.push(pass('response.cacheDuration', responseTitles[4]?.[1] ?? '', r.cacheDuration));
    }
    const auth = r.auth && typeof r.auth === 'object' && !Array.isArray(r.auth) ? r.auth as Record<string, unknown> : {};
    const keys = Object.keys(auth);
    const matching = authKeysFor(auth, image);
    out.push(matching.length > 0
      ? pass('response.auth-matches-image', responseTitles[5]?.[1] ?? '', `${matching.join(', ')} matches ${image}`)
      : fail('response.auth-matches-image', responseTitles[5]?.[1] ?? '', keys.length === 0 ? 'the response has no auth entries, so the kubelet gets no credentials' : `auth keys ${keys.map((k) => JSON.stringify(k)).join(', ')} do not match ${image} (same label count, per-label globs, identical port, path prefix), so the kubelet uses none of them`));
    const [echoId, echoTitle] = responseTitles[6] as [string, string];
    if (!p.tokenAttributes) out.push(notRun(echoId, echoTitle, 'not applicable: the provider is not in service account mode'));
    else if (!traits.echoRule) out.push(notRun(echoId, echoTitle, `not applicable: the ${i.version} kubelet has no such rule (it came with cacheType in 1.34)`));
    else if (p.tokenAttributes.cacheType === 'Token') out.push(notRun(echoId, echoTitle, 'not applicable: cacheType is Token, where returning the token is allowed'));
    else {
      const echoed = valid.find((c) => {
        try {
          const resp = JSON.parse(c.outcome.stdout) as { auth?: Record<string, { password?: string }> };
          return Object.values(resp.auth ?? {}).some((a) => a.password !== undefined && a.password === c.scenario.request.serviceAccountToken);
        } catch {
          return false;
        }
      });
      out.push(echoed
        ? fail(echoId, echoTitle, `${echoed.scenario.id} returned the service account token as the password with cacheType ${p.tokenAttributes.cacheType ?? 'unset'}; the kubelet refuses such a response`)
        : pass(echoId, echoTitle));
    }
  }

  // Service account mode behaviour.
  const answered = first !== undefined && first.outcome.exitCode === 0;
  const bySc = (id: string): (Call & { outcome: ExecOutcome }) | undefined => made.find((c) => c.scenario.id === id);
  const skippedReason = (id: string): string => i.calls.find((c) => c.scenario.id === id)?.skipped ?? 'the call was not made';
  const refusal = (id: string, title: string, scenarioId: string): void => {
    if (!p.tokenAttributes) {
      out.push(notRun(id, title, 'not applicable: the provider is not in service account mode'));
      return;
    }
    const c = bySc(scenarioId);
    if (!c) out.push(notRun(id, title, skippedReason(scenarioId)));
    else if (!answered) out.push(notRun(id, title, 'the plugin does not answer a valid request, so a refusal here proves nothing'));
    else if (c.outcome.timedOut) out.push(fail(id, title, `the plugin did not finish within ${i.timeoutMs / 1000}s`));
    else if (gaveCredentials(c.outcome, c.scenario.request.image)) out.push(fail(id, title, `the plugin returned credentials for ${c.scenario.description}`));
    else out.push(pass(id, title, c.outcome.exitCode === 0 ? 'exit 0 without usable credentials' : `${describeEnd(c.outcome)}`));
  };
  refusal('sa.expired-token', 'an expired service account token gets no credentials', 'expired-token');
  refusal('sa.wrong-audience', 'a token for another audience gets no credentials', 'wrong-audience');
  const acceptance = (id: string, title: string, scenarioId: string, applies: boolean, why: string): void => {
    if (!applies) {
      out.push(notRun(id, title, why));
      return;
    }
    const c = bySc(scenarioId);
    if (!c) out.push(notRun(id, title, skippedReason(scenarioId)));
    else if (gaveCredentials(c.outcome, c.scenario.request.image)) out.push(pass(id, title));
    else out.push(fail(id, title, `the plugin ${describeEnd(c.outcome)}${c.outcome.stderr.trim() ? `; stderr: ${errorExcerpt(c.outcome.stderr)}` : ''}`));
  };
  const ta = p.tokenAttributes;
  acceptance('sa.required-annotations-only', 'with only the required annotations present, the plugin still answers', 'required-annotations-only',
    !!ta && (ta.optionalServiceAccountAnnotationKeys ?? []).length > 0, 'not applicable: no optional annotation keys are configured');
  acceptance('sa.no-service-account', 'with requireServiceAccount false and no service account, the plugin answers without a token', 'no-service-account',
    !!ta && ta.requireServiceAccount === false, 'not applicable: the provider is not in service account mode with requireServiceAccount: false');

  // stderr: a message on every failure, never a secret (the kubelet copies it into its log on error).
  const failed = made.filter((c) => !c.outcome.timedOut && c.outcome.exitCode !== 0);
  const silent = failed.filter((c) => c.outcome.stderr.trim() === '');
  if (failed.length === 0) out.push(notRun('stderr.on-error', 'every failing call explains itself on stderr', 'no call failed, so there was no error message to check'));
  else out.push(silent.length === 0
    ? pass('stderr.on-error', 'every failing call explains itself on stderr', `${failed.length} failing calls, each with a message`)
    : fail('stderr.on-error', 'every failing call explains itself on stderr', `${silent.map((c) => c.scenario.id).join(', ')} failed with nothing on stderr; the kubelet's log would show no reason`));
  const leaks: string[] = [];
  for (const c of made) {
    const err = c.outcome.stderr;
    const token = c.scenario.request.serviceAccountToken;
    if (token && err.includes(token)) leaks.push(`${c.scenario.id}: the service account token`);
    else if (/eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\./.test(err)) leaks.push(`${c.scenario.id}: a JWT`);
    if (i.returnedPasswords.some((pw) => pw.length >= 4 && err.includes(pw))) leaks.push(`${c.scenario.id}: a registry password`);
  }
  out.push(leaks.length === 0
    ? pass('stderr.no-secrets', 'stderr never contains a token or a password')
    : fail('stderr.no-secrets', 'stderr never contains a token or a password', `${leaks.join('; ')} appeared on stderr, which the kubelet copies into its log on error`));

  // Time per call.
  const times = valid.filter((c) => !c.outcome.timedOut && c.outcome.exitCode === 0).map((c) => c.outcome.durationMs);
  const timeTitle = `a valid call takes less than ${i.maxCallMs / 1000}s (the kubelet holds the image pull meanwhile)`;
  if (times.length === 0) out.push(notRun('time.per-call', timeTitle, 'no valid call succeeded'));
  else {
    const s = summarize(times);
    const text = `p50 ${s.p50.toFixed(0)} ms, max ${s.max.toFixed(0)} ms over ${s.samples} valid calls (exec to exit, measured by certify)`;
    out.push(s.max <= i.maxCallMs ? pass('time.per-call', timeTitle, text) : fail('time.per-call', timeTitle, text));
  }
  return out;
}
