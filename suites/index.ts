import type { Suite } from '../harness/suite/types.ts';
import { registrySuite } from './registry.ts';

export const suites: Record<string, Suite> = {
  [registrySuite.name]: registrySuite,
};

/** The suite `pullproof run` uses without --suite. */
export const DEFAULT_SUITE = registrySuite.name;
