// `pullproof registry up`: the harness registry for exploring by hand. Prints where it is and where
// the CA and the tenants' credentials were written (in the run's private work folder), then waits for
// Ctrl-C and cleans up.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupHost } from '../host/setup.ts';
import { RegistryStack } from '../registry/stack.ts';
import { RunContext } from '../run/context.ts';
import { cleanupOnExit } from '../util/cleanup.ts';
import { phase } from '../util/log.ts';

export async function registryUp(o: { online?: boolean }): Promise<void> {
  const ctx = RunContext.create({ label: 'registry-up', online: o.online });
  cleanupOnExit(ctx.cleanup);
  await phase('host setup', () => setupHost());
  const network = await phase('run network', () => ctx.createNetwork());
  const stack = await phase('harness registry', () => RegistryStack.start({ network }, (n, fn) => ctx.cleanup.defer(n, fn)));
  stack.addStandardTenants();
  const caFile = join(ctx.workDir, 'ca.pem');
  const credFile = join(ctx.workDir, 'credentials.json');
  writeFileSync(caFile, stack.ca.certPem);
  const creds = Object.fromEntries([...stack.tenants.values()].map((t) => [t.name, t.credential]));
  writeFileSync(credFile, JSON.stringify({ ...creds, admin: stack.admin }, null, 2), { mode: 0o600 });
  process.stdout.write([
    `registry:    ${stack.endpoint}  (image references: ${stack.host}/<repo>)`,
    `token realm: ${stack.realm}`,
    `CA:          ${caFile}`,
    `credentials: ${credFile} (mode 0600; never printed)`,
    'try:        curl --cacert <CA> ' + `${stack.endpoint}/v2/`,
    'press Ctrl-C to stop and clean up',
  ].join('\n') + '\n');
  await new Promise(() => { /* until a signal ends the process through cleanupOnExit */ });
}
