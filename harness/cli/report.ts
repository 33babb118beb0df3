// `pullproof merge`, `pullproof diff` and `pullproof report screenshot`: commands over report folders.
// Each loads its modules inside its action (startup time). Exit codes: merge 0 written (2 when the
// reports cannot be merged: overlapping shards that disagree, another schema); diff 0 when no verdict
// changed, 1 when any did (scenarios added or removed and timing changes do not count), 2 usage.
import { Option, type Command } from 'commander';

export function registerReport(program: Command): void {
  program.command('merge')
    .description('combine shard reports (run --shard K/N) into one report folder: report.json, junit.xml, summary.md, index.html, and each shard\'s folder under shards/<k>/')
    .argument('<report-dir...>', 'shard report folders (or their report.json)')
    .option('--out <dir>', 'folder for the merged report', 'reports/merged')
    .option('--json', 'print the merged summary as JSON')
    .action(async (dirs: string[], o: { out: string; json?: boolean }) => {
      const { mergeReportDirs } = await import('../report/merge.ts');
      const r = mergeReportDirs(dirs, o.out);
      const s = r.report.summary;
      if (o.json) process.stdout.write(JSON.stringify({ outDir: r.outDir, copied: r.copied, summary: s, exitCode: r.report.run.exitCode }, null, 2) + '\n');
      else process.stdout.write(`merged ${dirs.length} report(s) into ${r.outDir}: ${s.passed} passed, ${s.failed} failed, ${s.knownBugs} known bugs, ${s.flaky} flaky, ${s.errors} errors, ${s.notApplicable} not applicable, ${s.notRun} not run (of ${s.total}); the merged run's exit code would be ${r.report.run.exitCode}\n`);
    });

  program.command('diff')
    .description('what changed between two reports: verdicts (status and observed outcome), scenarios added or removed, timing per scenario, window and run. Exit 0 when no verdict changed, 1 when any did')
    .argument('<a>', 'the earlier report folder (or report.json)')
    .argument('<b>', 'the later report folder (or report.json)')
    .addOption(new Option('--by <match>', 'match scenarios by id (across kubelets) or by key (id@kubelet); default: id when the reports tested different kubelets, else key').choices(['id', 'key']))
    .option('--json', 'print the differences as JSON')
    .action(async (a: string, b: string, o: { by?: 'id' | 'key'; json?: boolean }) => {
      const { readReport } = await import('../report/validate.ts');
      const { diffReports, formatDiff } = await import('../report/diff.ts');
      const d = diffReports(readReport(a, '<a>').report, readReport(b, '<b>').report, { by: o.by });
      process.stdout.write(o.json ? JSON.stringify(d, null, 2) + '\n' : formatDiff(d));
      process.exitCode = d.changed.length ? 1 : 0;
    });

  const report = program.command('report').description('report folders');
  report.command('screenshot')
    .description('render a report\'s index.html in headless Chromium (in a network namespace of its own, nothing leaves the machine) and save a full-page PNG (or, with --first-screen, what a 1400 x 900 window shows first)')
    .argument('<report>', 'report folder or its index.html')
    .option('--out <png>', 'PNG to write (default: <report>/index.png)')
    .addOption(new Option('--width <px>', 'viewport width').default(1400).argParser(Number))
    .option('--first-screen', 'only what a 900 px high window shows first, not the whole page')
    .action(async (target: string, o: { out?: string; width: number; firstScreen?: boolean }) => {
      const { existsSync, statSync } = await import('node:fs');
      const { join, resolve } = await import('node:path');
      const { visitPage } = await import('../report/browser.ts');
      const abs = resolve(target);
      const page = existsSync(abs) && statSync(abs).isDirectory() ? join(abs, 'index.html') : abs;
      const out = resolve(o.out ?? join(page, '..', 'index.png'));
      const v = await visitPage(page, { waitFor: 'h1', screenshot: out, width: o.width, fullPage: !o.firstScreen });
      process.stdout.write(`${out}\n`);
      if (v.consoleErrors.length) process.stderr.write(`the page logged errors:\n  ${v.consoleErrors.join('\n  ')}\n`);
    });
}
