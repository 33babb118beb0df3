// The version table against the real sources: every release pullproof models is read from its
// k8s.io/kubernetes module (Go module proxy; about 20 MB each, cached) and must agree with the table,
// and the diff from v1.37.2 to the pre-release v1.38.0-beta.0 is the one committed in docs/examples/versions/.
// v1.38.0-beta.0 needs Go 1.27 even to be unpacked: that toolchain comes from the module proxy.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TESTED_RELEASES } from '../harness/oracle/versions.ts';
import { pullproof } from './helpers/cli.ts';

const EXAMPLE = fileURLToPath(new URL('../docs/examples/versions/diff-v1.37.2-v1.38.0-beta.0.txt', import.meta.url));

for (const release of TESTED_RELEASES) {
  test.serial(`the version table agrees with the source of ${release}`, async (t) => {
    t.timeout(10 * 60_000);
    const r = await pullproof(['versions', 'read', release]);
    t.is(r.code, 0, r.stdout + r.stderr);
    t.regex(r.stdout, /agrees with the source on every fact it models/);
  });
}

test.serial('versions diff v1.37.2 v1.38.0-beta.0: only the Go toolchain among the facts; the output committed in docs/examples', async (t) => {
  t.timeout(10 * 60_000);
  const r = await pullproof(['versions', 'diff', 'v1.37.2', 'v1.38.0-beta.0']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, readFileSync(EXAMPLE, 'utf8'));
});
