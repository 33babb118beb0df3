// The real distribution registry, as a container on the run's network, with TLS from the run's CA and
// token authentication against pullproof's token service. Started with testcontainers (Ryuk disabled:
// pullproof owns cleanup and labels everything it starts).
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { stringify } from 'yaml';
import { output, run } from '../util/exec.ts';
import { LABEL, RUN_LABEL, type RunNetwork } from '../host/network.ts';

export interface RegistryServerOptions {
  image: string;
  network: RunNetwork;
  /** Container name; also a DNS name on the run's network and a SAN of tls.cert. */
  name: string;
  tls: { cert: string; key: string };
  /** PEM bundle the registry trusts for token signatures (rootcertbundle). */
  tokenRootBundle: string;
  realm: string;
  service: string;
  issuer: string;
}

export interface RunningRegistry {
  container: StartedTestContainer;
  ip: string;
  port: number;
  name: string;
  logs(): Promise<string>;
  stop(): Promise<void>;
}

export function registryConfig(o: Pick<RegistryServerOptions, 'realm' | 'service' | 'issuer'>): string {
  return stringify({
    version: 0.1,
    log: { level: 'info', formatter: 'text', fields: { service: 'registry' } },
    storage: { filesystem: { rootdirectory: '/var/lib/registry' }, delete: { enabled: true }, cache: { blobdescriptor: 'inmemory' } },
    http: {
      addr: ':5000',
      tls: { certificate: '/etc/pullproof/tls.crt', key: '/etc/pullproof/tls.key' },
      headers: { 'X-Content-Type-Options': ['nosniff'] },
      debug: { addr: '' },
    },
    auth: {
      token: {
        realm: o.realm,
        service: o.service,
        issuer: o.issuer,
        rootcertbundle: '/etc/pullproof/token-roots.pem',
        signingalgorithms: ['ES256', 'RS256'],
      },
    },
  });
}

export async function startRegistry(o: RegistryServerOptions): Promise<RunningRegistry> {
  // pullproof owns cleanup of everything it starts (labels, cleanup stack, `pullproof cleanup`);
  // testcontainers' reaper would need an image pulled from Docker Hub. Set here, where testcontainers
  // is used, so library callers need no hidden set-up; read by testcontainers when it first starts.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const container = await new GenericContainer(o.image)
    .withName(o.name)
    .withNetworkMode(o.network.name)
    .withLabels({ [LABEL]: '1', [RUN_LABEL]: o.network.runId, 'io.pullproof.role': 'registry' })
    .withCopyContentToContainer([
      { content: registryConfig(o), target: '/etc/pullproof/config.yml' },
      { content: o.tls.cert, target: '/etc/pullproof/tls.crt' },
      { content: o.tls.key, target: '/etc/pullproof/tls.key', mode: 0o600 },
      { content: o.tokenRootBundle, target: '/etc/pullproof/token-roots.pem' },
    ])
    .withTmpFs({ '/var/lib/registry': 'rw,size=2g' })
    .withCommand(['serve', '/etc/pullproof/config.yml'])
    .withWaitStrategy(Wait.forLogMessage(/listening on .*5000/))
    .withStartupTimeout(30_000)
    .start();
  const ip = await output(['docker', 'inspect', '--format', `{{(index .NetworkSettings.Networks "${o.network.name}").IPAddress}}`, container.getId()]);
  return {
    container, ip, port: 5000, name: o.name,
    logs: async () => {
      const r = await run(['docker', 'logs', container.getId()], { allowFailure: true });
      return r.stdout + r.stderr;
    },
    stop: async () => {
      await container.stop({ remove: true, removeVolumes: true, timeout: 5_000 });
    },
  };
}
