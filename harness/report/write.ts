// Writes a report folder from the report data: report.json (schema pullproof-report/v1, validated
// first: a report that does not match its schema is a harness bug and nothing is written), junit.xml,
// summary.md and index.html. Everything written passes through redaction.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../util/secrets.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { Report } from './types.ts';
import { assertValidReport } from './validate.ts';

export const REPORT_FILES = ['report.json', 'junit.xml', 'summary.md', 'index.html'] as const;

export function writeReport(dir: string, report: Report): void {
  try {
    assertValidReport(report);
  } catch (err) {
    // Keep the run's data for the bug report: report.invalid.json (redacted), never read as a report.
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'report.invalid.json'), redact(JSON.stringify(report, null, 2) + '\n'));
    (err as Error).message = (err as Error).message.replace('nothing was written', `only ${join(dir, 'report.invalid.json')} was written`);
    throw err;
  }
  mkdirSync(dir, { recursive: true });
  const put = (name: (typeof REPORT_FILES)[number], text: string): void => writeFileSync(join(dir, name), redact(text));
  put('report.json', JSON.stringify(report, null, 2) + '\n');
  put('junit.xml', renderJunit(report));
  put('summary.md', renderMarkdown(report, { dir }));
  put('index.html', renderHtml(report));
}
