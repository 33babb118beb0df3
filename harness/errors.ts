// Error types whose messages a user reads. Usage and configuration errors exit with code 2.

export class UsageError extends Error {
  readonly exitCode = 2;
  /** The option, flag or config path at fault. */
  readonly field: string;
  /** What the user can do about it. */
  readonly fix: string;
  constructor(field: string, problem: string, fix: string) {
    super(`${field}: ${problem}. Fix: ${fix}`);
    this.name = 'UsageError';
    this.field = field;
    this.fix = fix;
  }
}

export class HarnessError extends Error {
  readonly exitCode: number = 1;
  readonly detail?: string;
  constructor(message: string, detail?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessError';
    this.detail = detail;
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return 2;
  if (err instanceof HarnessError) return err.exitCode;
  return 1;
}
