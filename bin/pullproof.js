#!/usr/bin/env node
// Entry point: the harness is TypeScript run by Node's type stripping (Node >= 22.18; the node@24 dev
// dependency supplies it to npx and npm scripts).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`pullproof needs Node >= 22.18 (found ${process.version}). Run it through "npx pullproof" or "npm run pullproof --", which use the node@24 dev dependency.\n`);
  process.exit(2);
}
// A closed pipe (`pullproof list | head -1`) ends the output quietly, as in any Unix tool.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
// Deprecation warnings are for pullproof's developers, not its users: zx's process-tree kill (on a
// timeout or Ctrl-C) spawns `ps` through a shell, which Node 24 reports as DEP0190 in the middle of a
// run's output. Tests (test/exec.test.ts) still see them.
process.noDeprecation = true;
// V8's compiled code is cached between runs (node:module.enableCompileCache, Node >= 22.1).
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('../harness/cli/main.ts');
process.exitCode = await main(process.argv);
