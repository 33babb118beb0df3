// The README is the front door: short, every command in it one the CLI accepts as written, every
// command run somewhere (here when it is quick, by a named test, or by hand on a stated date), and
// every link in it and in docs/ pointing at a file of the repository.
import test from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildCli } from '../harness/cli/main.ts';
import { pullproof } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The `npx pullproof ...` commands of the README's sh blocks, without comments or a leading `npm ci &&`. */
function readmeCommands(): string[] {
  const out: string[] = [];
  for (const block of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of (block[1] ?? '').split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').replace(/^npm ci && /, '').trim();
      if (line.startsWith('npx pullproof')) out.push(line);
    }
  }
  return out;
}

/**
 * Where each command of the README is run. A quick one (no Docker) runs in this file; the others name
 * the test that runs it (in `npm test`) or the day it was run by hand and where its output is.
 */
const RUN_BY: Record<string, string> = {
  'npx pullproof run': 'test/cluster-smoke.test.ts (the smoke suite on a kind cluster) and .ci/run',
  'npx pullproof run --suite all --kubelet v1.35.4 --report-dir reports/ci': 'by hand 2026-12-07: docs/examples/ci-gate/ (5 runs on v1.35.4, 5 on v1.37.2)',
  'npx pullproof list --suite all --kubelet v1.37.2': 'here',
  'npx pullproof run --suite upgrades --suite rollbacks': 'by hand 2026-11-29: docs/upgrades.md; a swap and a rollback in test/cluster-upgrades.test.ts',
  'npx pullproof run --suite all --kubelet v1.35.4 --report-dir reports/upstream': 'by hand 2026-12-07: docs/examples/ci-gate/',
  'npx pullproof run --suite all --kubernetes-source ~/src/kubernetes --report-dir reports/rc': 'by hand 2026-11-29: docs/examples/changed-kubelet/ (24 ensure-secret-pulled scenarios on a v1.35.4 tree with one constant changed, docs/upgrades.md); test/changed-kubelet-example.test.ts checks its reports',
  'npx pullproof diff reports/upstream reports/rc': 'test/report-merge-diff.test.ts',
  'npx pullproof versions diff v1.37.2 v1.38.0-beta.0': 'test/versions-source.test.ts (its output is docs/examples/versions/diff-v1.37.2-v1.38.0-beta.0.txt)',
  'npx pullproof certify --plugin ./bin/my-provider --config ./credential-provider-config.yaml --kubernetes v1.34 --kubernetes v1.35': 'test/certify-reference.test.ts and test/ecr-certify.test.ts (real plugins)',
  'npx pullproof certify --plugin ./bin/my-provider --config ./credential-provider-config.yaml --kubernetes v1.35 --in-cluster': 'test/ecr-certify-in-cluster.test.ts (ecr-credential-provider on v1.35)',
  'npx pullproof list --suite-file ./my-suite.ts --kubelet v1.35.4': 'here, with docs/examples/my-suite/kep2535-table.ts; a bad file in test/suite-validation.test.ts',
  'npx pullproof run  --suite-file ./my-suite.ts --kubelet v1.35.4': 'by hand 2026-12-07: docs/examples/my-suite/run-2026-12-07/ (docs/examples/my-suite/kep2535-table.ts on v1.35.4 and v1.37.2)',
};

/** Parses args with the CLI's own parser, running no command: returns the command path it chose. */
async function parseOnly(args: string[]): Promise<string> {
  const program = buildCli();
  let chosen = '';
  const silence = (c: Command): void => {
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    c.exitOverride();
    for (const sub of c.commands) {
      sub.action(() => {
        const names: string[] = [];
        for (let x: Command | null = sub; x && x !== program; x = x.parent) names.unshift(x.name());
        chosen = names.join(' ');
      });
      silence(sub);
    }
  };
  silence(program);
  await program.parseAsync(['node', 'pullproof', ...args]);
  return chosen;
}

test('the README is a front door: at most 150 lines, the two commands first', (t) => {
  t.true(README.split('\n').length <= 150, `${README.split('\n').length} lines`);
  const first = /```sh\n([\s\S]*?)```/.exec(README)?.[1] ?? '';
  t.deepEqual(first.trim().split('\n').map((l) => l.replace(/\s+#.*$/, '')), ['npm ci && npx pullproof run', 'npm ci && npm test']);
});

test('every README command is accepted by the CLI parser as written, with the command meant', async (t) => {
  const commands = readmeCommands();
  t.true(commands.length >= 10);
  for (const c of commands) {
    const args = c.split(/\s+/).slice(2);
    // The command the words name: a command of the CLI, then one of its subcommands (no words: run).
    const names: string[] = [];
    let level: readonly Command[] = buildCli().commands;
    for (const word of args) {
      const sub = level.find((x) => x.name() === word);
      if (!sub) break;
      names.push(word);
      level = sub.commands;
    }
    const chosen = await parseOnly(args).catch((err: Error) => `refused: ${err.message}`);
    t.is(chosen, names.join(' ') || 'run', c);
  }
});

test('every README command is run somewhere: here, by a named test, or by hand on a stated date', (t) => {
  for (const c of readmeCommands()) {
    const by = RUN_BY[c];
    t.truthy(by, `${c}: say where it is run (RUN_BY in test/readme.test.ts)`);
    for (const file of by?.match(/(test|docs)\/[\w./-]+/g) ?? []) t.true(existsSync(join(ROOT, file.replace(/[.,;]$/, ''))), `${c}: ${file}`);
    t.regex(by ?? '', /^here|test\/|^by hand \d{4}-\d{2}-\d{2}: /, c);
  }
  t.deepEqual(Object.keys(RUN_BY).filter((c) => !readmeCommands().includes(c)), [], 'RUN_BY names commands the README no longer has');
});

test('the quick README commands run here: list --suite all, and list --suite-file with the example suite', async (t) => {
  const all = await pullproof(['list', '--suite', 'all', '--kubelet', 'v1.37.2']);
  t.is(all.code, 0, all.stderr);
  t.regex(all.stdout, /\d+ scenario\(s\): \d+ to run/);
  const file = await pullproof(['list', '--suite-file', join(ROOT, 'docs/examples/my-suite/kep2535-table.ts'), '--kubelet', 'v1.35.4']);
  t.is(file.code, 0, file.stderr);
  t.regex(file.stdout, /my-kep2535-table\//);
});

test('every relative link of the README and docs/*.md names a file of the repository', (t) => {
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = (m[1] ?? '').split('#')[0] ?? '';
      if (!target || /^[a-z]+:/.test(target)) continue;
      if (!existsSync(resolve(dirname(join(ROOT, page)), target))) broken.push(`${page}: ${m[1]}`);
    }
  }
  t.deepEqual(broken, []);
});
