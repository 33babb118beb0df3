// The human-readable report: a summary a release engineer can read, with every number's method.
import type { SuiteReport } from './runner.ts';

export function renderMarkdown(r: SuiteReport): string {
  const lines = [
    `# pullproof: ${r.title}`,
    '',
    `Run \`${r.runId}\`, suite \`${r.suite}\`, ${r.startedAt} to ${r.finishedAt} (${r.seconds.toFixed(1)} s).`,
    '',
    `**${r.passed} passed, ${r.failed} failed, ${r.errors} errors.**`,
    '',
    '| | Scenario | Time | Requests | Detail |',
    '|---|---|---|---|---|',
    ...r.results.map((s) => `| ${s.status === 'passed' ? 'PASS' : s.status === 'failed' ? 'FAIL' : 'ERROR'} | ${s.name} | ${s.seconds.toFixed(2)} s | ${s.requests} | ${(s.message ?? s.notes.join('; ')).replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`),
    '',
  ];
  const ms = r.results.flatMap((s) => s.measurements.map((m) => ({ ...m, scenario: s.name })));
  if (ms.length) {
    lines.push('## Measurements', '', '| Scenario | Measure | Value | Samples | How |', '|---|---|---|---|---|');
    for (const m of ms) lines.push(`| ${m.scenario} | ${m.name} | ${m.value.toFixed(1)} ${m.unit} | ${m.samples} | ${m.how} |`);
    lines.push('');
  }
  lines.push('## Run environment', '');
  if (r.fence) lines.push(`- Egress fence on ${r.fence.subnet}: **${r.fence.droppedPackets} packets dropped** (DOCKER-USER rule counter, read at ${r.fence.readAt} just before the rule was removed).`);
  else lines.push('- No egress fence (run with --online).');
  lines.push(`- Requests: every request through the registry and token proxies is in \`logs/requests.jsonl\`.`);
  lines.push(`- Cleanup: ${r.cleanup.every((c) => c.ok) ? 'every step succeeded' : r.cleanup.filter((c) => !c.ok).map((c) => `${c.name} failed (${c.error})`).join('; ')}.`);
  lines.push('');
  return lines.join('\n');
}
