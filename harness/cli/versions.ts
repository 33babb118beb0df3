// `pullproof versions`: the version table the oracle and the builds use, each fact with its source;
// `versions read RELEASE`: the facts read from that release's own source, checked against the table
// (exit 1 when the table disagrees); `versions diff A B`: what changed between two releases' sources
// (exit 1 when a behavioural fact did; changed files of the modelled code are listed for review). Modules are loaded
// inside each action (startup time).
import type { Command } from 'commander';

export function registerVersions(program: Command): void {
  const versions = program.command('versions')
    .description('the Kubernetes versions pullproof models, each fact with its source (read and diff read them from a release\'s own source)')
    .option('--json', 'print the table as JSON')
    .action(async (o: { json?: boolean }) => {
      const { MINORS, isPreRelease } = await import('../oracle/versions.ts');
      const { gateWords } = await import('../oracle/source-facts.ts');
      if (o.json) {
        process.stdout.write(JSON.stringify(MINORS.map((m) => ({ ...m, preRelease: isPreRelease(m.release) })), null, 2) + '\n');
        return;
      }
      const gate = (g?: { stage: string; defaultOn: boolean; source: string }): string => (g ? `${gateWords(g.stage, g.defaultOn)} (${g.source})` : 'absent');
      const lines: string[] = [];
      for (const m of MINORS) {
        lines.push(`1.${m.minor}: ${m.release}${isPreRelease(m.release) ? ' (pre-release)' : ''}, kind ${m.kind}`,
          `  KubeletEnsureSecretPulledImages: ${gate(m.ensureSecretPulledImages)}`,
          `  KubeletServiceAccountTokenForCredentialProviders: ${gate(m.saTokenForCredentialProviders)}`,
          `  ServiceAccountNodeAudienceRestriction: ${gate(m.serviceAccountNodeAudienceRestriction)}`,
          `  pull records: writes ${m.recordApiVersion ?? 'none'}, reads ${m.recordApiVersionsRead.join(', ') || 'none'}${m.migratesRecords ? ', migrates at start' : ''}${m.recordCache ? ', through an in-memory cache' : ''}`,
          `  kubeadm reads ${m.kubeadmConfigApisRead.join(', ')}; kind writes ${m.kubeadmConfigApi}`,
          `  oracle reviewed at ${m.reviewedAt}${m.reviewedAt !== m.release ? `: ${m.release}'s changes since are not reviewed yet (versions diff ${m.reviewedAt} ${m.release}); its reports say so` : ''}`,
          ...(m.unmodelled ?? []).map((u) => `  not modelled yet: ${u}`));
      }
      lines.push('', 'Read a release\'s facts from its source and check this table: pullproof versions read v1.37.2. What changed between two releases: pullproof versions diff v1.37.2 v1.38.0-beta.0.');
      process.stdout.write(lines.join('\n') + '\n');
    });

  versions.command('read')
    .description('read a release\'s facts from its k8s.io/kubernetes module (Go module proxy) and check the version table against them; exit 1 when they disagree')
    .argument('<release>', 'e.g. v1.37.2 or v1.38.0-beta.0')
    .option('--json', 'print the facts as JSON')
    .action(async (release: string, o: { json?: boolean }) => {
      const { parseRelease } = await import('../oracle/versions.ts');
      const { kubeSource } = await import('../build/kubernetes.ts');
      const { readSourceFacts, checkTable } = await import('../oracle/source-facts.ts');
      const v = parseRelease(release, '<release>');
      const src = readSourceFacts(v.text, (await kubeSource(v.text)).moduleDir);
      const mismatches = checkTable(src, v.minor);
      if (o.json) {
        process.stdout.write(JSON.stringify({ release: src.release, facts: src.facts, files: Object.keys(src.files).length, mismatches }, null, 2) + '\n');
      } else {
        const lines = [`${src.release}, read from k8s.io/kubernetes@${src.release}:`, ...src.facts.map((f) => `  ${f.name}: ${f.value}  (${f.file})`), ''];
        lines.push(mismatches.length
          ? `The version table disagrees with the source on ${mismatches.length} fact(s):\n${mismatches.map((m) => `  ${m.fact}: table ${m.table}, source ${m.source} (${m.file})`).join('\n')}\nFix harness/oracle/versions.ts (and docs/specification.md) from the source.`
          : `The version table (1.${v.minor}) agrees with the source on every fact it models.`);
        process.stdout.write(lines.join('\n') + '\n');
      }
      process.exitCode = mismatches.length ? 1 : 0;
    });

  versions.command('diff')
    .description('what changed between two releases\' sources: the facts, and the files of the code the oracle models; exit 1 when a behavioural fact changed (not the Go toolchain)')
    .argument('<a>', 'the earlier release, e.g. v1.37.2')
    .argument('<b>', 'the later release, e.g. v1.38.0-beta.0')
    .option('--json', 'print the differences as JSON')
    .action(async (a: string, b: string, o: { json?: boolean }) => {
      const { parseRelease } = await import('../oracle/versions.ts');
      const { kubeSource } = await import('../build/kubernetes.ts');
      const { readSourceFacts, diffSources, formatDiff, behaviourChanged } = await import('../oracle/source-facts.ts');
      const va = parseRelease(a, '<a>');
      const vb = parseRelease(b, '<b>');
      const sa = readSourceFacts(va.text, (await kubeSource(va.text)).moduleDir);
      const sb = readSourceFacts(vb.text, (await kubeSource(vb.text)).moduleDir);
      const d = diffSources(sa, sb);
      process.stdout.write(o.json ? JSON.stringify(d, null, 2) + '\n' : formatDiff(d));
      process.exitCode = behaviourChanged(d) ? 1 : 0;
    });

  versions.command('latest')
    .description('the newest tag of each minor the Go module proxy serves whose kubelet modules are all served, against the release the table pins; --write pins it (after checking its facts against the table)')
    .option('--write', 'update harness/oracle/versions.ts to the releases found (never done at run time)')
    .option('--json', 'print the findings as JSON')
    .action(async (o: { write?: boolean; json?: boolean }) => {
      const { readFileSync, writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { MINORS } = await import('../oracle/versions.ts');
      const { goProxy } = await import('../build/go.ts');
      const { kubeSource, kubeletModulesAvailable } = await import('../build/kubernetes.ts');
      const { candidatesByMinor, checkTable, pinRelease, readSourceFacts } = await import('../oracle/source-facts.ts');
      const { PROJECT_ROOT } = await import('../util/paths.ts');
      const { HarnessError } = await import('../errors.ts');
      const proxy = goProxy().split(/[,|]/)[0] ?? 'https://proxy.golang.org';
      const res = await fetch(`${proxy}/k8s.io/kubernetes/@v/list`, { signal: AbortSignal.timeout(60_000) }).catch((err: Error) => { throw new HarnessError(`cannot list k8s.io/kubernetes versions at the module proxy: ${err.message}`); });
      if (!res.ok) throw new HarnessError(`the module proxy answered ${res.status} to the list of k8s.io/kubernetes versions`);
      const listed = (await res.text()).split('\n').filter(Boolean);
      const findings: { minor: number; pinned?: string; pick?: string; refused: { release: string; missing: string[]; error: string }[]; mismatches: string[] }[] = [];
      for (const c of candidatesByMinor(listed, MINORS)) {
        const f: (typeof findings)[number] = { minor: c.minor, ...(c.pinned ? { pinned: c.pinned } : {}), refused: [], mismatches: [] };
        for (const candidate of c.newer) {
          const a = await kubeletModulesAvailable(candidate);
          if (!a.ok) {
            f.refused.push({ release: candidate, missing: a.missing, error: a.missing.length ? '' : a.error });
            continue;
          }
          f.pick = candidate;
          if (c.pinned) f.mismatches = checkTable(readSourceFacts(candidate, (await kubeSource(candidate)).moduleDir), c.minor).map((m) => `${m.fact}: table ${m.table}, source ${m.source} (${m.file})`);
          break;
        }
        findings.push(f);
      }
      const lines: string[] = [];
      let text = readFileSync(join(PROJECT_ROOT, 'harness/oracle/versions.ts'), 'utf8');
      let written = 0;
      for (const f of findings) {
        const refused = f.refused.map((r) => `${r.release} cannot be built from this proxy (${r.missing.length ? `refuses ${r.missing.join(', ')}` : r.error.split('\n').at(-1)})`);
        if (!f.pinned) {
          lines.push(`1.${f.minor}: not modelled; ${f.pick ? `${f.pick} is served and builds` : 'nothing buildable served'}${refused.length ? `; ${refused.join('; ')}` : ''}. Add a row to harness/oracle/versions.ts after reading its source (pullproof versions diff)`);
        } else if (!f.pick) {
          lines.push(`1.${f.minor}: ${f.pinned} is pinned${refused.length ? `; ${refused.join('; ')}` : ' and is the newest served'}`);
        } else if (f.mismatches.length) {
          lines.push(`1.${f.minor}: ${f.pinned} is pinned; ${f.pick} builds but its source disagrees with the table (${f.mismatches.join('; ')}): review it into the oracle before pinning it`);
        } else {
          lines.push(`1.${f.minor}: ${f.pinned} is pinned; ${f.pick} is newer, builds and agrees with the table${o.write ? ': pinned' : ' (pin it with --write)'}`);
          if (o.write) { text = pinRelease(text, f.minor, f.pick); written++; }
        }
      }
      if (o.write && written) writeFileSync(join(PROJECT_ROOT, 'harness/oracle/versions.ts'), text);
      process.stdout.write(o.json ? JSON.stringify(findings, null, 2) + '\n' : lines.join('\n') + '\n');
    });
}

