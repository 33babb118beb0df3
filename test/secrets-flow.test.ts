// A whole run as a user runs it, with one scenario failed on purpose through the test seam (so the
// failure path writes everything it can), then every file of the report folder and everything printed
// scanned for every secret the run registered, in every form (test/helpers/scan-secrets.ts): zero hits.
// The registry suite needs no cluster; cluster suites (kind and node logs) are scanned the same way.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretSnapshot } from '../harness/util/secrets.ts';
import { TEST_ENTRY, leftovers, pullproof, runIdFrom } from './helpers/cli.ts';
import { scanForSecrets } from './helpers/scan-secrets.ts';

test('a registry run with a failing scenario leaks no registered secret in any form, in any file or output', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-secrets-flow-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secretsFile = join(dir, 'secrets.json');
  const reportDir = join(dir, 'report');
  const r = await pullproof(['run', '--suite', 'registry', '--report-dir', reportDir],
    { PULLPROOF_TEST_FAIL_SCENARIO: 'Tenant A pulls', PULLPROOF_TEST_SECRETS_FILE: secretsFile }, { entry: TEST_ENTRY });

  t.is(r.code, 1, 'a failed scenario makes the run exit 1');
  const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8');
  t.regex(junit, /<testsuites name="pullproof" tests="\d+" failures="1"/);
  t.regex(junit, /<testcase name="Tenant A pulls its own repository with its credentials" classname="pullproof.registry"[^>]*>\s*<failure/);
  for (const f of ['logs/registry.log', 'logs/requests.jsonl', 'logs/token-decisions.jsonl', 'report.json', 'summary.md', 'run.log', 'fence.json']) {
    t.true(existsSync(join(reportDir, f)), `${f} exists`);
  }

  const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as SecretSnapshot;
  t.true(secrets.values.length >= 5, `the run registered its passwords, tokens and keys (${secrets.values.length})`);
  const scan = scanForSecrets([reportDir], [{ name: 'stdout', text: r.stdout }, { name: 'stderr', text: r.stderr }], secrets);
  t.log(`scanned ${scan.files} files and 2 outputs (${(scan.bytes / 1e6).toFixed(2)} MB) for ${scan.secrets} secrets in ${scan.forms.length} forms each (${scan.forms.join(', ')}): ${scan.checks} checks, ${scan.hits.length} hits`);
  t.true(scan.files >= 7);
  t.deepEqual(scan.hits, []);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});
