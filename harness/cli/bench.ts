// `pullproof bench registry`: how fast the harness registry starts, and the latency of a token fetch
// and of an authenticated manifest HEAD, each over N sequential requests from the host through the
// fault proxies (no faults injected), on the run's own network.
import { setupHost } from '../host/setup.ts';
import { buildFixtureImage } from '../image/fixtures.ts';
import { REGISTRY_SERVICE, RegistryStack } from '../registry/stack.ts';
import type { Challenge } from '../registry/client.ts';
import { RunContext } from '../run/context.ts';
import { cleanupOnExit } from '../util/cleanup.ts';
import { phase } from '../util/log.ts';
import { summarize, type Summary } from '../util/stats.ts';
import { HarnessError } from '../errors.ts';

const STARTS = 5;

export interface RegistryBench {
  startSeconds: Summary;
  tokenFetchMs: Summary;
  manifestHeadMs: Summary;
  how: Record<string, string>;
}

export async function benchRegistry(o: { samples: number; json?: boolean }): Promise<void> {
  const ctx = RunContext.create({ label: 'bench-registry' });
  const detach = cleanupOnExit(ctx.cleanup);
  try {
    await phase('host setup', () => setupHost());
    const network = await phase('run network', () => ctx.createNetwork());
    // Build (or find) the image once, outside the timed starts.
    const starts: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const stops: (() => Promise<void>)[] = [];
      const stack = await phase(`registry start ${i + 1}/${STARTS}`, () =>
        RegistryStack.start({ network }, (name, fn) => { stops.push(ctx.cleanup.defer(name, fn)); }));
      starts.push(stack.timings.startSeconds);
      if (i < STARTS - 1) for (const stop of stops.reverse()) await stop();
      else {
        stack.addStandardTenants();
        const tenant = stack.tenant('tenant-a');
        const repo = 'tenant-a/bench';
        const admin = stack.client(stack.admin);
        await admin.push(repo, 'v1', await buildFixtureImage({ scenario: 'bench' }));
        admin.close();
        const client = stack.client(tenant);
        const first = await client.headManifest(repo, 'v1'); // caches the token
        if (first.status !== 200) throw new HarnessError(`benchmark setup: HEAD answered ${first.status}`);
        const challenge: Challenge = { realm: stack.realm, service: REGISTRY_SERVICE, scope: `repository:${repo}:pull` };
        const tokenMs: number[] = [];
        const headMs: number[] = [];
        await phase(`${o.samples} token fetches`, async () => {
          for (let n = 0; n < o.samples; n++) {
            const t0 = performance.now();
            const r = await client.fetchToken(challenge);
            tokenMs.push(performance.now() - t0);
            if (!r.token) throw new HarnessError(`token fetch ${n} answered ${r.status}`);
          }
        });
        await phase(`${o.samples} manifest HEADs`, async () => {
          for (let n = 0; n < o.samples; n++) {
            const t0 = performance.now();
            const r = await client.headManifest(repo, 'v1');
            headMs.push(performance.now() - t0);
            if (r.status !== 200) throw new HarnessError(`HEAD ${n} answered ${r.status}`);
          }
        });
        client.close();
        const result: RegistryBench = {
          startSeconds: summarize(starts),
          tokenFetchMs: summarize(tokenMs),
          manifestHeadMs: summarize(headMs),
          how: {
            startSeconds: `wall time from starting the token service to the registry logging "listening" and both fault proxies listening; image already built and loaded; ${STARTS} starts`,
            tokenFetchMs: `GET /token with Basic auth for one pull scope, host -> token fault proxy (TLS, keep-alive) -> token service, ES256 JWT signed per request; ${o.samples} sequential requests`,
            manifestHeadMs: `HEAD /v2/${repo}/manifests/v1 with a cached bearer token, host -> registry fault proxy (TLS, keep-alive) -> distribution ${'v3'} container (TLS); ${o.samples} sequential requests`,
          },
        };
        const fmt = (s: Summary, unit: string, digits: number): string => `p50 ${s.p50.toFixed(digits)} ${unit}, p95 ${s.p95.toFixed(digits)} ${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)}, n=${s.samples})`;
        process.stdout.write(o.json ? JSON.stringify(result, null, 2) + '\n' : [
          `registry + token service start: ${fmt(result.startSeconds, 's', 2)}`,
          `  how: ${result.how.startSeconds}`,
          `token fetch: ${fmt(result.tokenFetchMs, 'ms', 2)}`,
          `  how: ${result.how.tokenFetchMs}`,
          `authenticated manifest HEAD: ${fmt(result.manifestHeadMs, 'ms', 2)}`,
          `  how: ${result.how.manifestHeadMs}`,
        ].join('\n') + '\n');
      }
    }
  } finally {
    await ctx.finish();
    detach();
  }
}
