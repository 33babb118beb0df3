// Every built-in suite. Oracle suites are data judged by the oracle; the registry suite is a harness
// self-check (the registry behaves as a private registry must) with its own assertions.
import type { AnySuite } from '../harness/engine/suites.ts';
import { registrySuite } from './registry.ts';
import { smoke } from './smoke.ts';
import { loophole } from './loophole.ts';
import { ensureSecretPulled } from './ensure-secret-pulled.ts';
import { preloadedAndAllowlisted } from './preloaded-and-allowlisted.ts';
import { kubeletRestarts } from './kubelet-restarts.ts';
import { serviceAccountTokens } from './service-account-tokens.ts';
import { registryFaults } from './registry-faults.ts';
import { rollbacks, upgrades } from './upgrades.ts';
import { gateFlips } from './gate-flips.ts';
import { imageReferences } from './image-references.ts';
import { podShapes } from './pod-shapes.ts';

export const suites: Record<string, AnySuite> = {
  [smoke.name]: smoke,
  [loophole.name]: loophole,
  [ensureSecretPulled.name]: ensureSecretPulled,
  [imageReferences.name]: imageReferences,
  [podShapes.name]: podShapes,
  [preloadedAndAllowlisted.name]: preloadedAndAllowlisted,
  [kubeletRestarts.name]: kubeletRestarts,
  [serviceAccountTokens.name]: serviceAccountTokens,
  [registryFaults.name]: registryFaults,
  [gateFlips.name]: gateFlips,
  [upgrades.name]: upgrades,
  [rollbacks.name]: rollbacks,
  [registrySuite.name]: registrySuite,
};

/** The suite `pullproof run` uses without --suite: the smoke suite on a source-built kind cluster. */
export const DEFAULT_SUITE = smoke.name;
