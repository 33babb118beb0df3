import type { Suite } from '../harness/suite/types.ts';
import { registrySuite } from './registry.ts';
import { smokeSuite } from './smoke.ts';
import { loopholeSuite } from './loophole.ts';

const smoke = smokeSuite();
const loophole = loopholeSuite();

export const suites: Record<string, Suite> = {
  [registrySuite.name]: registrySuite,
  [smoke.name]: smoke,
  [loophole.name]: loophole,
};

/** The suite `pullproof run` uses without --suite: the smoke suite on a source-built kind cluster. */
export const DEFAULT_SUITE = smoke.name;
