// `pullproof certify` starts fast: nothing certify loads imports the Kubernetes client or
// testcontainers (1.5 s of imports that certify never uses). The static import graph from the
// command's module is walked file by file, so a new import anywhere below it is caught.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../harness/util/paths.ts';
import { run } from '../harness/util/exec.ts';

const FORBIDDEN = ['@kubernetes/client-node', 'testcontainers'];

/** Every project file reachable by static imports (import ... from / export ... from) from the entry points. */
function importGraph(entries: string[]): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const queue = entries.map((e) => resolve(PROJECT_ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    // Static imports only: `await import(...)` inside a command's action is loaded on demand.
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1] as string;
      if (/^\s*import\s+type\b/.test(m[0]) || /^\s*export\s+type\b/.test(m[0])) continue;
      if (spec.startsWith('.')) {
        const target = join(dirname(file), spec);
        if (existsSync(target)) queue.push(target);
      } else if (!spec.startsWith('node:')) {
        packages.set(spec, file.slice(PROJECT_ROOT.length + 1));
      }
    }
  }
  return { files, packages };
}

test('certify\'s modules import neither @kubernetes/client-node nor testcontainers', (t) => {
  const { files, packages } = importGraph(['harness/cli/main.ts', 'harness/cli/certify.ts', 'harness/certify/certify.ts', 'harness/certify/judge/differential.ts']);
  t.true(files.size > 20, `walked ${files.size} files`);
  const bad = [...packages.entries()].filter(([spec]) => FORBIDDEN.some((f) => spec === f || spec.startsWith(`${f}/`)));
  t.deepEqual(bad, [], `imported by: ${bad.map(([s, f]) => `${s} in ${f}`).join(', ')}`);
});

test('`pullproof certify --help` answers in under a second (median of 5)', async (t) => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await run([process.execPath, join(PROJECT_ROOT, 'bin', 'pullproof.js'), 'certify', '--help'], { timeoutMs: 30_000 });
    t.regex(r.stdout.replace(/\s+/g, ' '), /--kubernetes <version\.\.\.> .*v1\.32, v1\.33, v1\.34, v1\.35, v1\.36, v1\.37/);
    times.push(r.durationMs);
  }
  const median = [...times].sort((a, b) => a - b)[2] as number;
  t.log(`certify --help: median ${median.toFixed(0)} ms over 5 runs (${times.map((x) => x.toFixed(0)).join(', ')} ms), spawn to exit, Node ${process.version}`);
  t.true(median < 1000, `median ${median.toFixed(0)} ms`);
});
