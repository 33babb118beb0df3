// Every built-in suite. Oracle suites are data judged by the oracle; the registry suite is a harness
// self-check (the registry behaves as a private registry must) with its own assertions.
import type { AnySuite } from '../harness/engine/suites.ts';
import { registrySuite } from './registry.ts';
import { smoke } from './smoke.ts';
import { loophole } from './loophole.ts';

export const suites: Record<string, AnySuite> = {
  [smoke.name]: smoke,
  [loophole.name]: loophole,
  [registrySuite.name]: registrySuite,
};

/** The suite `pullproof run` uses without --suite: the smoke suite on a source-built kind cluster. */
export const DEFAULT_SUITE = smoke.name;
