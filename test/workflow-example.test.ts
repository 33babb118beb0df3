// docs/examples/github-actions.yml checked by actionlint (built from the Go module proxy into the
// pullproof cache, reused when present) with Debian's shellcheck, so the `run:` scripts are checked
// too. The workflow is not run here: no GitHub runner is reachable offline.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goInstall } from '../harness/build/go.ts';

const WORKFLOW = fileURLToPath(new URL('../docs/examples/github-actions.yml', import.meta.url));
/** The newest actionlint the Go module proxy served when this test was written. */
const ACTIONLINT = { pkg: 'github.com/rhysd/actionlint/cmd/actionlint', version: 'v1.7.12' };

function shellcheck(): string {
  return execFileSync('sh', ['-c', 'command -v shellcheck'], { encoding: 'utf8' }).trim();
}

async function actionlint(t: { log(...v: unknown[]): void }, file: string): Promise<{ code: number | null; out: string }> {
  const built = await goInstall(ACTIONLINT);
  if (!built.cached) t.log(`built actionlint ${ACTIONLINT.version} in ${built.seconds.toFixed(1)} s`);
  const r = spawnSync(built.path, ['-no-color', '-shellcheck', shellcheck(), file], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('the GitHub Actions example passes actionlint, its run: scripts checked by shellcheck', async (t) => {
  t.timeout(20 * 60_000);
  const r = await actionlint(t, WORKFLOW);
  t.is(r.code, 0, r.out);
  const yml = readFileSync(WORKFLOW, 'utf8');
  // What the README promises the example does.
  for (const piece of ['matrix:', 'kubelet:', 'shard:', 'pullproof cache import', 'pullproof cache export', 'actions/cache/restore', 'actions/cache/save', 'actions/upload-artifact', 'GITHUB_STEP_SUMMARY', 'actions/download-artifact', 'npx pullproof merge']) {
    t.true(yml.includes(piece), piece);
  }
});

test('actionlint here does run shellcheck on run: scripts (a broken script is caught)', async (t) => {
  t.timeout(20 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-actionlint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const broken = join(dir, 'broken.yml');
  writeFileSync(broken, readFileSync(WORKFLOW, 'utf8').replace('cat "$summary" >> "$GITHUB_STEP_SUMMARY"', 'cat $summary >> $GITHUB_STEP_SUMMARY'));
  const r = await actionlint(t, broken);
  t.is(r.code, 1);
  t.regex(r.out, /shellcheck reported issue in this script: SC2086/);
});
