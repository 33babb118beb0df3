// The registry suite: the harness registry behaves as a private registry must, before any kubelet is
// involved. Every scenario pushes its own fixture image (its own digest) to its own repositories.
import { connect } from 'node:net';
import { buildFixtureImage } from '../harness/image/fixtures.ts';
import type { Environment, Scenario, ScenarioTools, Suite } from '../harness/suite/types.ts';

async function pushPrivate(env: Environment, t: ScenarioTools, tenant: string): Promise<{ repo: string; digest: string }> {
  const repo = `${tenant}/${t.unique('app')}`;
  const image = await buildFixtureImage({ scenario: t.scenario });
  const admin = env.registry.client(env.registry.admin);
  try {
    return { repo, digest: await admin.push(repo, 'v1', image) };
  } finally {
    admin.close();
  }
}

function tenant(env: Environment, name: string): { username: string; password: string } {
  return env.registry.tenant(name);
}

const scenarios: Scenario[] = [
  {
    name: 'A client without credentials cannot pull a private repository',
    async run(env, t) {
      const { repo } = await pushPrivate(env, t, 'tenant-a');
      const cursor = env.registry.log.cursor;
      const res = await env.registry.client().headManifest(repo, 'v1');
      t.expect(res.status === 401, 'the registry to answer 401', `${res.status}`);
      const manifestHits = env.registry.log.query({ since: cursor, kind: 'manifest' });
      t.expect(manifestHits.every((r) => r.identity === 'anonymous' && r.status === 401), 'every manifest request to be anonymous and refused',
        manifestHits.map((r) => `${r.identity}:${r.status}`).join(', '));
    },
  },
  {
    name: "Tenant B's credentials cannot pull tenant A's repository",
    async run(env, t) {
      const { repo } = await pushPrivate(env, t, 'tenant-a');
      const res = await env.registry.client(tenant(env, 'tenant-b')).headManifest(repo, 'v1');
      t.expect(res.status === 401 || res.status === 403, 'the registry to refuse tenant-b with 401 or 403', `${res.status}`);
      t.expect(String(res.headers['www-authenticate'] ?? '').includes('insufficient_scope'), 'the challenge to say insufficient_scope', String(res.headers['www-authenticate']));
    },
  },
  {
    name: 'Tenant A pulls its own repository with its credentials',
    async run(env, t) {
      const { repo, digest } = await pushPrivate(env, t, 'tenant-a');
      const res = await env.registry.client(tenant(env, 'tenant-a')).pull(repo, 'v1');
      t.expect(res.status === 200 && res.digest === digest, `a pull of ${digest}`, `${res.status} ${res.digest}`);
    },
  },
  {
    name: 'A user with no repository grants is refused everywhere',
    async run(env, t) {
      const { repo } = await pushPrivate(env, t, 'tenant-a');
      const res = await env.registry.client(tenant(env, 'no-access')).headManifest(repo, 'v1');
      t.expect(res.status === 401, 'the registry to answer 401', `${res.status}`);
    },
  },
  {
    name: 'Anyone pulls a public repository without credentials',
    async run(env, t) {
      const { repo, digest } = await pushPrivate(env, t, 'public');
      const res = await env.registry.client().pull(repo, 'v1');
      t.expect(res.status === 200 && res.digest === digest, `an anonymous pull of ${digest}`, `${res.status} ${res.digest}`);
    },
  },
  {
    name: 'A revoked credential gets no token',
    async run(env, t) {
      const { repo } = await pushPrivate(env, t, 'tenant-a');
      const user = env.registry.tokens.addUser(t.unique('revoked'), { repositories: ['tenant-a/*'] });
      const before = await env.registry.client(user).headManifest(repo, 'v1');
      t.expect(before.status === 200, 'the credential to work before revocation', `${before.status}`);
      env.registry.tokens.revokeUser(user.username);
      const cursor = env.registry.log.cursor;
      const after = await env.registry.client(user).headManifest(repo, 'v1');
      t.expect(after.status === 401, 'the registry to refuse the revoked user', `${after.status}`);
      const tokenCalls = env.registry.log.query({ since: cursor, target: 'token' });
      t.expect(tokenCalls.length === 1 && tokenCalls[0]?.status === 401, 'the token service to refuse it (one 401)', tokenCalls.map((r) => r.status).join(', '));
    },
  },
  {
    name: 'Latency injected at the registry proxy is seen by the client',
    async run(env, t) {
      const { repo } = await pushPrivate(env, t, 'public');
      const client = env.registry.client();
      await client.headManifest(repo, 'v1'); // token cached: the timed call is one round trip
      env.registry.proxy.setLatency(300);
      try {
        const t0 = performance.now();
        const res = await client.headManifest(repo, 'v1');
        const ms = performance.now() - t0;
        t.measure({ name: 'manifest HEAD with 300 ms injected', value: ms, unit: 'ms', how: 'wall time of one HEAD through the fault proxy, token cached', samples: 1 });
        t.expect(res.status === 200 && ms >= 300, 'a successful HEAD taking at least 300 ms', `${res.status} in ${ms.toFixed(0)} ms`);
      } finally {
        env.registry.proxy.resetFaults();
      }
    },
  },
  {
    name: 'Errors injected at the registry proxy reach the client, then service resumes',
    async run(env, t) {
      const { repo } = await pushPrivate(env, t, 'public');
      const client = env.registry.client();
      await client.headManifest(repo, 'v1');
      env.registry.proxy.failNext(2, 503);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await client.headManifest(repo, 'v1')).status);
      t.expect(statuses.join(',') === '503,503,200', 'two injected 503s, then 200', statuses.join(','));
      const injected = env.registry.log.query({ scenario: t.scenario }).filter((r) => r.fault?.startsWith('status 503'));
      t.expect(injected.length === 2, 'two records marked as injected faults', `${injected.length}`);
    },
  },
  {
    name: 'A registry outage refuses connections at once instead of stalling',
    async run(env, t) {
      await env.registry.proxy.outage();
      try {
        const url = new URL(env.registry.endpoint);
        const t0 = performance.now();
        const code = await new Promise<string>((resolve) => {
          const s = connect(Number(url.port), url.hostname);
          s.on('connect', () => { s.destroy(); resolve('connected'); });
          s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        });
        const ms = performance.now() - t0;
        t.expect(code === 'ECONNREFUSED' && ms < 1000, 'ECONNREFUSED within 1 s', `${code} after ${ms.toFixed(0)} ms`);
      } finally {
        await env.registry.proxy.restore();
      }
      const { repo } = await pushPrivate(env, t, 'public');
      const res = await env.registry.client().headManifest(repo, 'v1');
      t.expect(res.status === 200, 'service to resume after the outage', `${res.status}`);
    },
  },
];

export const registrySuite: Suite = {
  name: 'registry',
  title: 'Harness registry: token auth, tenants and fault injection',
  description: 'The authenticated registry, token service and fault proxy behave as a private registry must (no cluster).',
  needs: ['registry'],
  scenarios,
};
