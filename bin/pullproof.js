#!/usr/bin/env node
// Entry point: the harness is TypeScript run by Node's type stripping (Node >= 22.18; the node@24 dev
// dependency supplies it to npx and npm scripts).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`pullproof needs Node >= 22.18 (found ${process.version}). Run it through "npx pullproof" or "npm run pullproof --", which use the node@24 dev dependency.\n`);
  process.exit(2);
}
const { main } = await import('../harness/cli/main.ts');
process.exitCode = await main(process.argv);
