// `npm run test:unit`: every test file that needs neither root nor a Docker engine (Node and Go only),
// for contributors without either. These files start no container and share nothing across files, so
// they run four at a time (most of their time is spent waiting on child processes). A new file that
// needs neither belongs in this list; `npm test` (the full suite, ava.config.js) runs every file
// whatever this list says. Left out although they need neither: ecr-emulation and ecr-certify, which
// build AWS's ecr-credential-provider from the Go module proxy first (minutes on a cold Go cache).
import base from './ava.config.js';

export const UNIT_FILES = [
  'test/certify-broken.test.ts',
  'test/certify-reference.test.ts',
  'test/cluster-config.test.ts',
  'test/credprovider-config.test.ts',
  'test/credprovider-hash.test.ts',
  'test/credprovider-match.test.ts',
  'test/ecr-wiring.test.ts',
  'test/engine.test.ts',
  'test/oracle.test.ts',
  'test/redaction-bench.test.ts',
  'test/secrets-redaction.test.ts',
  'test/sts-jwks.test.ts',
  'test/sts.test.ts',
  'test/test-seam.test.ts',
  'test/units.test.ts',
];

export default {
  ...base,
  files: UNIT_FILES,
  concurrency: 4,
  timeout: '3m',
};
