// Runs the differential corpus (harness/certify/judge/differential.ts) by hand:
//   npx node harness/certify/judge/run-differential.ts              v1.35.4 (what CI runs)
//   npx node harness/certify/judge/run-differential.ts all          every supported version, 1.32 to 1.37
//   npx node harness/certify/judge/run-differential.ts v1.33 v1.34  some versions
// Each version's judge is built on first use (minutes). Prints a line per version and every
// disagreement; exit 1 if there is one.
import { differentialVersions, runDifferential } from './differential.ts';

let failed = false;
for (const version of differentialVersions(process.argv.slice(2).join(' ') || process.env.PULLPROOF_DIFFERENTIAL)) {
  try {
    const r = await runDifferential(version, { progress: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${r.release}: ${r.judged} cases judged (${Object.entries(r.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}), ${r.disagreements.length} disagreements, ${r.seconds.toFixed(1)} s (judge build ${r.buildSeconds.toFixed(0)} s)\n`);
    for (const d of r.disagreements) process.stdout.write(`  DISAGREE ${d.kind} "${d.id}": kubelet ${JSON.stringify(d.kubelet)}${d.detail ? ` (${d.detail.slice(0, 300)})` : ''}, rules ${JSON.stringify(d.rules)}\n`);
    if (r.disagreements.length > 0) failed = true;
  } catch (err) {
    process.stdout.write(`${version}: could not run: ${(err as Error).message}\n`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
