import type { Suite } from '../harness/suite/types.ts';
import { registrySuite } from './registry.ts';
import { smokeSuite } from './smoke.ts';

const smoke = smokeSuite();

export const suites: Record<string, Suite> = {
  [registrySuite.name]: registrySuite,
  [smoke.name]: smoke,
};

/** The suite `pullproof run` uses without --suite: the smoke suite on a source-built kind cluster. */
export const DEFAULT_SUITE = smoke.name;
