// The judge: compares what the observer recorded with what the oracle predicted. A verdict agrees only
// when the outcome, the cause of a refusal, the registry contact, the kubelet's event wording, the
// pull record afterwards and the STS exchanges all agree; a refusal for the wrong reason (an outage
// where a 401 was due) never counts as a pass. Known bugs: an observation that matches the bug's
// outcome is reported as the known bug, neither pass nor fail.
import type { CredentialEntry, ExpectedRecord, Prediction } from '../oracle/types.ts';
import type { Observation, ScenarioStatus } from '../report/types.ts';

export interface Verdict {
  status: ScenarioStatus;
  /** Every disagreement, as "expected X; observed Y". */
  problems: string[];
  /** Notes that do not change the verdict (a known bug that did not reproduce, an uncertain rule). */
  notes: string[];
}

function canonicalEntry(e: CredentialEntry | undefined): string {
  if (!e) return 'no entry';
  const secrets = [...(e.kubernetesSecrets ?? [])].map((s) => `${s.namespace}/${s.name}/${s.uid}#${s.credentialHash}`).sort();
  const accounts = [...(e.kubernetesServiceAccounts ?? [])].map((s) => `${s.namespace}/${s.name}/${s.uid}`).sort();
  const parts: string[] = [];
  if (e.nodePodsAccessible) parts.push('nodePodsAccessible');
  if (secrets.length) parts.push(`secrets [${secrets.join(', ')}]`);
  if (accounts.length) parts.push(`serviceAccounts [${accounts.join(', ')}]`);
  return parts.length ? parts.join('; ') : 'empty entry';
}

/** Human form of an entry with long hashes shortened. */
export function describeEntry(e: CredentialEntry | undefined): string {
  return canonicalEntry(e).replace(/#([0-9a-f]{12})[0-9a-f]{52}/g, '#$1…');
}

/** The entry expected afterwards: the prediction's, or the one before the pod started when it is unchanged. */
export function expectedEntry(record: ExpectedRecord, before: CredentialEntry | undefined): CredentialEntry | undefined {
  if (record.kind === 'entry') return record.entry;
  if (record.kind === 'none') return undefined;
  return before;
}

/**
 * Pulling an absent image and re-verifying a present one are the same kubelet decision (a CRI pull with
 * the pod's credentials); only containerd's content store tells them apart (layers already there under
 * another name are not fetched again), so they count as one outcome.
 */
const PULLED = ['pulls-runs', 'reverifies-runs'];

/** Whether an outcome is one in which the container ran (from the node's cache, re-verified, or pulled). */
export function ran(outcome: string): boolean {
  return outcome === 'runs-cached' || PULLED.includes(outcome);
}

/** Whether an observed outcome is the predicted one (pulls and re-verifications count as one). */
export function sameOutcome(predicted: string, observed: string): boolean {
  return predicted === observed || (PULLED.includes(predicted) && PULLED.includes(observed));
}

function outcomeMatches(p: { outcome: string; cause?: string }, o: Observation): boolean {
  if (p.outcome !== o.outcome && !(PULLED.includes(p.outcome) && PULLED.includes(o.outcome))) return false;
  if (p.outcome === 'pull-fails' && p.cause && o.cause !== p.cause) return false;
  return true;
}

function describeOutcome(p: { outcome: string; cause?: string }): string {
  return `${p.outcome}${p.cause ? ` (${p.cause})` : ''}`;
}

export interface JudgeInput {
  prediction: Prediction;
  observation: Observation;
  /** The record entry for the image name before the pod started (from the model, real values). */
  entryBefore?: CredentialEntry;
  /** Whether the record should be checked (the kubelet writes records: gate on). */
  checkRecord: boolean;
  /** The pod must start within this long once the faults are lifted. */
  recover?: { withinSeconds: number };
}

export function judge(j: JudgeInput): Verdict {
  const p = j.prediction;
  const o = j.observation;
  const problems: string[] = [];
  const notes: string[] = [];

  if (p.outcome === 'config-refused') {
    if (o.outcome === 'config-refused') return { status: 'passed', problems, notes: [`the kubelet refused its configuration: ${o.kubeletRefused ?? ''}`] };
    return { status: 'failed', problems: [`expected the kubelet to refuse its configuration (${p.reason ?? ''}); observed it started and the pod ended ${o.outcome}`], notes };
  }
  if (o.outcome === 'config-refused') {
    return { status: 'failed', problems: [`expected ${describeOutcome(p)}; observed the kubelet refusing its configuration: ${o.kubeletRefused ?? ''}`], notes };
  }
  if (o.outcome === 'no-outcome') return { status: 'error', problems: [`no outcome within the time limit: ${o.summary}`], notes };
  const broken = o.requests.find((r) => r.fault?.startsWith('upstream error'));
  if (broken) return { status: 'error', problems: [`the harness's own ${broken.target === 'token' ? 'token service' : broken.target} failed behind its proxy (${broken.fault}); the observation says nothing about the kubelet`], notes };

  const specOk = outcomeMatches(p, o);
  const bug = p.knownBug;
  if (!specOk) {
    if (bug && outcomeMatches(bug, o)) {
      return { status: 'known-bug', problems: [`known bug kubernetes#${bug.issue}: expected ${describeOutcome(p)} by the specification; observed ${describeOutcome(o)} as the bug predicts (${o.summary})`], notes };
    }
    problems.push(`expected ${describeOutcome(p)}; observed ${o.outcome === 'pull-fails' ? describeOutcome(o) : o.outcome}: ${o.summary}`);
    return { status: 'failed', problems, notes };
  }
  if (bug) notes.push(`known bug kubernetes#${bug.issue} did not reproduce: the kubelet behaved as specified`);

  // The event wording a user sees.
  if (p.event) {
    const ev = p.event;
    const hit = o.events.some((e) => e.reason === ev.reason && e.message.includes(ev.contains) && !(ev.reason === 'Pulled' && ev.contains === 'already present on machine' && e.message.includes('can be accessed by the pod')));
    if (!hit) problems.push(`expected a ${ev.reason} event saying "${ev.contains}"; observed events: ${o.events.map((e) => `${e.reason}: ${e.message.slice(0, 120)}`).join(' | ') || 'none'}`);
  }
  // STS exchanges (attributed by service account) up to the pod's decision: the oracle predicts what one
  // pod sync causes. A refused pod is synced again by the kubelet, also before its first refusal reaches
  // the API server (pod_workers requeue it within about 250 ms), and the kubelet caches only successful
  // plugin answers, so each sync of a refused pod runs the plugin again: for a refusal, more exchanges
  // than predicted are the kubelet's retries (noted); fewer, or any where none were predicted, fail.
  if (p.stsExchanges !== undefined) {
    const all = o.requests.filter((r) => r.target === 'sts');
    const decided = o.timings?.decidedAt ? Date.parse(o.timings.decidedAt) : undefined;
    const seen = decided === undefined ? all.length : all.filter((r) => Date.parse(r.at) <= decided).length;
    const refused = p.outcome === 'pull-fails' || p.outcome === 'never-pull';
    const retries = refused && p.stsExchanges > 0 && seen > p.stsExchanges;
    if (seen !== p.stsExchanges && !retries) problems.push(`expected ${p.stsExchanges} STS exchange(s) before the pod's decision; observed ${seen}${all.length > seen ? ` (and ${all.length - seen} after it)` : ''}`);
    else if (retries) notes.push(`${seen} STS exchanges before the refusal was visible where one pod sync makes ${p.stsExchanges}: the kubelet synced the refused pod again (failed plugin answers are not cached)`);
    if (all.length > seen) notes.push(`${all.length - seen} more STS exchange(s) after the pod's decision (the kubelet syncing the refused pod again), not judged`);
  }
  // The record afterwards.
  if (j.checkRecord) {
    const want = expectedEntry(p.record, j.entryBefore);
    if (o.record?.unreadable && p.record.kind !== 'unchanged') {
      problems.push(`expected the record for ${o.record.name} to hold ${describeEntry(want)}; observed an unreadable record file (${o.record.unreadable})`);
    } else if (!o.record?.unreadable) {
      const got = o.record?.entry;
      if (canonicalEntry(want) !== canonicalEntry(got)) problems.push(`expected the record for ${o.record?.name ?? 'the image'} to hold ${describeEntry(want)}; observed ${describeEntry(got)}`);
    }
  }
  if (j.recover) {
    const rec = o.recovery;
    if (!rec?.ran) problems.push(`expected the pod to start within ${j.recover.withinSeconds}s after the faults were lifted; observed ${rec ? `${rec.state} after ${rec.seconds.toFixed(1)}s` : 'no recovery watch'}`);
    else notes.push(`started ${rec.seconds.toFixed(1)}s after the faults were lifted`);
  }
  if (p.uncertain?.length) notes.push(`relies on facts the specification marks uncertain: ${p.uncertain.join('; ')}`);
  return { status: problems.length ? 'failed' : 'passed', problems, notes };
}
