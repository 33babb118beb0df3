// The Markdown report, fit for a CI job summary: the verdict counts, a matrix per suite and kubelet,
// every disagreement with expected vs observed and the rule, the windows with their restarts, and the
// run environment. Every number says how it was measured and over how many samples.
import { renderBenchMarkdown } from '../bench/markdown.ts';
import { specHref } from './specification.ts';
import { kubeletsIn, preReleaseSentence, unmodelledSentences, rerunCommand, setAsideSentence, type Report, type ScenarioResult } from './types.ts';
import { versionLabel } from '../oracle/versions.ts';

const ICON: Record<string, string> = { passed: 'pass', failed: 'FAIL', 'known-bug': 'known bug', 'not-applicable': 'n/a', error: 'ERROR', flaky: 'flaky', 'not-run': 'not run', observed: 'observed' };
/** The word in a table cell: failures and errors stand out (bold once; the list of problems bolds every word itself). */
const mark = (status: string): string => (status === 'failed' || status === 'error' ? `**${ICON[status]}**` : ICON[status] ?? status);

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function outcomeOf(r: ScenarioResult): string {
  if (r.kind === 'check') return '(check)';
  return `${r.expected?.outcome ?? ''}${r.expected?.cause ? ` (${r.expected.cause})` : ''}`;
}

/** `opts.dir`: the folder summary.md is written to, so its links to the specification resolve from there. */
export function renderMarkdown(r: Report, opts: { dir?: string } = {}): string {
  const s = r.summary;
  const setAside = setAsideSentence(r, { count: String, key: (k) => `\`${k}\`` });
  const preRelease = preReleaseSentence(r);
  const lines: string[] = [
    `# pullproof report: ${r.run.suites.join(', ')}`,
    '',
    `Run \`${r.run.id}\`${r.run.shard ? ` (shard ${r.run.shard.index}/${r.run.shard.total})` : ''}, kubelets ${kubeletsIn(r).join(', ') || '(none)'}, ${r.run.startedAt} to ${r.run.finishedAt} (${r.run.seconds.toFixed(1)} s wall clock).${r.run.complete ? '' : ` **Incomplete: ${r.run.incompleteReason ?? 'interrupted'}.**`}`,
    ...(preRelease ? ['', `**Pre-release.** ${preRelease}`] : []),
    ...unmodelledSentences(r).flatMap((u) => ['', `**Not modelled yet.** ${u}`]),
    '',
    ...(r.run.kubeletBuild ? [`Kubelet under test: \`${r.run.kubeletBuild.reported}\` (${r.run.kubeletBuild.source} \`${r.run.kubeletBuild.origin}\`), sha256 \`${r.run.kubeletBuild.sha256}\`${r.run.kubeletBuild.commit ? `, commit \`${r.run.kubeletBuild.commit}\`` : ''}, answering for ${r.run.kubeletBuild.release}${r.run.kubeletLimits ? `; the oracle was told its limits: ${Object.entries(r.run.kubeletLimits).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}.`, ''] : []),
    ...(r.mergedFrom ? [`Merged from ${r.mergedFrom.length} report(s): ${r.mergedFrom.map((m) => `\`${m.runId}\`${m.shard ? ` (shard ${m.shard.index}/${m.shard.total})` : ''}`).join(', ')}; each shard's folder is under \`shards/<k>/\`.`, ''] : []),
    `**${s.passed} passed, ${s.failed} failed, ${s.knownBugs} known bugs, ${s.flaky} flaky, ${s.errors} errors, ${s.notApplicable} not applicable, ${s.notRun} not run${s.observed ? `, ${s.observed} observed (not judged)` : ''}** (of ${s.total}); exit code ${r.run.exitCode}.`,
    '',
    ...(setAside ? [setAside, ''] : []),
  ];
  const failOpen = r.scenarios.filter((x) => x.failOpen);
  if (failOpen.length) {
    lines.push(`> **Fails open:** ${failOpen.length} observed scenario(s) ran a pod the oracle's fail-safe reading refuses (a pod without the credentials runs a private image): ${failOpen.map((x) => `\`${x.key}\``).join(', ')}.`, '');
  }
  // A bench report (pullproof bench latency): its tables first, one heading level down.
  if (r.bench) lines.push(renderBenchMarkdown(r.bench).replace(/^(#+) /gm, '#$1 '));
  const problems = r.scenarios.filter((x) => ['failed', 'error', 'known-bug', 'flaky', 'observed'].includes(x.status));
  if (problems.length) {
    lines.push('## Disagreements, errors, known bugs, flaky passes and observations', '');
    for (const x of problems) {
      lines.push(`- **${ICON[x.status]}** ${x.name} [${x.kubelet}]: ${cell(x.message ?? '')}`);
      if (x.expected?.rules.length) lines.push(`  - rules: ${x.expected.rules.map((q) => `[${q.id}](${specHref(q.id, opts.dir)})`).join(' > ')}`);
      for (const c of x.containers ?? []) lines.push(`  - container ${c.name} (${c.kind}, \`${c.image}\`): ${ICON[c.status]}, expected ${c.expected.outcome}${c.expected.cause ? ` (${c.expected.cause})` : ''}, observed ${c.observed?.outcome ?? 'nothing'}${c.observed?.cause ? ` (${c.observed.cause})` : ''}`);
      if (x.bundle) lines.push(`  - reproduction bundle: \`${x.bundle}\``);
      if (x.kind === 'oracle') lines.push(`  - rerun alone: \`${rerunCommand(x)}\``);
    }
    lines.push('');
  }
  const bySuite = new Map<string, ScenarioResult[]>();
  for (const x of r.scenarios) bySuite.set(`${x.suite} on ${versionLabel(x.kubelet)}`, [...(bySuite.get(`${x.suite} on ${versionLabel(x.kubelet)}`) ?? []), x]);
  for (const [title, list] of bySuite) {
    lines.push(`## ${title}`, '', 'Time: from the scenario\'s start to its verdict (one sample; all attempts for a retried scenario).', '', '| | Scenario | Expected (oracle) | Observed | Time |', '|---|---|---|---|---|');
    for (const x of list) {
      lines.push(`| ${mark(x.status)} | ${cell(x.name)} | ${cell(outcomeOf(x))} | ${cell(x.observed?.summary ?? x.message ?? '')} | ${x.seconds.toFixed(1)} s |`);
    }
    lines.push('');
  }
  if (r.windows.length) {
    lines.push('## Kubelet configuration windows', '', 'Scenarios of one window share a kubelet configuration and run together (`--parallel`); restarts are timed from `systemctl restart kubelet` to healthz and a Ready heartbeat newer than the restart (one sample each).', '',
      '| Window | Worker | Kubelet | Settings | Scenarios | Parallel | Restarts (s) | Time |', '|---|---|---|---|---|---|---|---|');
    for (const w of r.windows) {
      lines.push(`| ${w.index} | ${w.worker} | ${w.kubelet} | ${cell(JSON.stringify(w.settings))} | ${w.scenarios} | ${w.parallel} | ${w.restarts.map((x) => x.seconds.toFixed(1)).join(', ') || 'none'} | ${w.seconds.toFixed(1)} s |`);
    }
    lines.push('');
  }
  if (r.measurements.length) {
    lines.push('## Measurements', '', '| Measure | Value | Samples | How |', '|---|---|---|---|');
    for (const m of r.measurements) lines.push(`| ${cell(m.name)} | ${m.value.toFixed(2)} ${m.unit} | ${m.samples} | ${cell(m.how)} |`);
    lines.push('');
  }
  lines.push('## Run environment', '');
  for (const c of r.environment.clusters) {
    lines.push(`- Cluster \`${c.name}\`: control plane ${c.controlPlane}, node image \`${c.nodeImage}\`${c.kind ? `, kind ${c.kind}` : ''}; nodes ${c.nodes.map((n) => `${n.name} (${n.role}, kubelet ${n.kubelet})`).join(', ')}.`);
  }
  if (r.environment.fence) lines.push(`- Egress fence on ${r.environment.fence.subnet}: **${r.environment.fence.droppedPackets} packets dropped** (DOCKER-USER rule counter, read at ${r.environment.fence.readAt} just before the rule was removed).`);
  else lines.push('- No egress fence (run with --online, or no network was created).');
  lines.push(`- Host: ${r.run.host.os}, kernel ${r.run.host.kernel}, ${r.run.host.cpus} CPUs, ${r.run.host.memoryGiB} GiB${r.run.host.docker ? `, Docker ${r.run.host.docker}` : ''}${r.run.host.cgroup ? `, cgroup ${r.run.host.cgroup}` : ''}.`);
  const failedChecks = r.checks.filter((c) => !c.ok);
  lines.push(`- Infrastructure checks: ${r.checks.length - failedChecks.length} of ${r.checks.length} passed${failedChecks.length ? `: ${failedChecks.map((c) => `${c.name} (${c.message ?? ''})`).join('; ')}` : ''}.`);
  lines.push('- Requests: every request through the registry, token-service and STS proxies is in `logs/requests.jsonl`.', '');
  return lines.join('\n');
}
