// Validates report data against harness/report/report.schema.json (JSON Schema 2020-12, strict), with
// Ajv. writeReport validates before writing: a report that does not match is a harness bug and fails
// loudly. merge and diff read reports through readReport, which refuses other schemas with exit 2.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { HarnessError, UsageError } from '../errors.ts';
import { REPORT_SCHEMA, type Report } from './types.ts';

export const SCHEMA_FILE = join(import.meta.dirname, 'report.schema.json');

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  (addFormats as unknown as (a: Ajv2020, formats: string[]) => void)(ajv, ['date-time']);
  compiled = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  return compiled;
}

export interface SchemaProblem {
  /** JSON Pointer into the report, e.g. /scenarios/3/status. */
  path: string;
  message: string;
}

function describe(e: ErrorObject): SchemaProblem {
  const p = e.params as Record<string, unknown>;
  let message = e.message ?? e.keyword;
  if (e.keyword === 'additionalProperties') message = `has a field the schema does not know: "${String(p.additionalProperty)}"`;
  else if (e.keyword === 'required') message = `lacks the required field "${String(p.missingProperty)}"`;
  else if (e.keyword === 'enum') message = `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return { path: e.instancePath || '/', message };
}

/** The problems with data as a pullproof-report/v1 (empty: valid). */
export function reportProblems(data: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(data)) return [];
  return (validate.errors ?? []).map(describe);
}

export function formatProblems(problems: readonly SchemaProblem[], max = 10): string {
  const lines = problems.slice(0, max).map((p) => `  ${p.path}: ${p.message}`);
  if (problems.length > max) lines.push(`  ... and ${problems.length - max} more`);
  return lines.join('\n');
}

/** Throws a HarnessError (a harness bug: the engine built a report its own schema refuses) when the report does not match. */
export function assertValidReport(report: Report): void {
  // Validate what will be written: JSON drops undefined fields, as the file will.
  const problems = reportProblems(JSON.parse(JSON.stringify(report)));
  if (problems.length) {
    throw new HarnessError(`harness bug: the report does not match ${REPORT_SCHEMA} (harness/report/report.schema.json); nothing was written`, formatProblems(problems));
  }
}

/** The report.json in dir (or the file itself), validated: a usage error (exit 2) naming the problem otherwise. */
export function readReport(pathOrDir: string, field = 'report'): { report: Report; file: string; dir: string } {
  const abs = resolve(pathOrDir);
  const file = existsSync(abs) && statSync(abs).isDirectory() ? join(abs, 'report.json') : abs;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(field, `cannot read ${file} (${why})`, 'give a report folder written by pullproof run (or merge), or its report.json');
  }
  const schema = (data as { schema?: unknown } | null)?.schema;
  if (schema !== REPORT_SCHEMA) {
    throw new UsageError(field, `${file} is a report of schema ${JSON.stringify(schema ?? null)}, not ${REPORT_SCHEMA}`, `use reports written by this pullproof version (${REPORT_SCHEMA}), or the pullproof version that wrote it`);
  }
  const problems = reportProblems(data);
  if (problems.length) {
    throw new UsageError(field, `${file} does not match ${REPORT_SCHEMA}:\n${formatProblems(problems)}\n`, 'use the report.json pullproof wrote, unedited');
  }
  return { report: data as Report, file, dir: dirname(file) };
}
