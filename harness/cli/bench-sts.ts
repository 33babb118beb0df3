// `pullproof bench sts`: the latency of an STS token exchange and the exec time of the reference
// credential provider plugin, on the run's own network (no faults injected):
//   - exchange: N sequential POST /token from the host through the STS fault proxy (TLS keep-alive),
//     each with its own pre-minted RS256 token; the STS verifies it, applies the policy and adds a
//     short-lived user to the token service. The STS's own processing time is reported alongside.
//   - plugin exec: M execs of the packaged plugin (sh launcher -> bundled Node.js -> plugin), from
//     spawn to exit, on the host and inside the Debian bookworm base image, in static mode (no network)
//     and in service-account mode (one exchange per exec).
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { execPlugin } from '../certify/exec.ts';
import { packagePlugin, type PackagedPlugin } from '../credprovider/plugin/package.ts';
import { exchangeToken } from '../credprovider/plugin/exchange.ts';
import { ensureBaseImage } from '../host/base-image.ts';
import { LABEL, RUN_LABEL } from '../host/network.ts';
import { setupHost } from '../host/setup.ts';
import { staticJwks } from '../identity/jwks.ts';
import { DEFAULT_STS_AUDIENCE, StsStack } from '../identity/stack.ts';
import { TestIssuer, sampleServiceAccount } from '../identity/test-issuer.ts';
import { RegistryStack } from '../registry/stack.ts';
import { RunContext } from '../run/context.ts';
import { HarnessError } from '../errors.ts';
import { cleanupOnExit } from '../util/cleanup.ts';
import { run } from '../util/exec.ts';
import { phase } from '../util/log.ts';
import { summarize, type Summary } from '../util/stats.ts';

export interface StsBench {
  exchangeMs: Summary;
  stsProcessingMs: Summary;
  pluginExecMs: Record<'hostStatic' | 'hostServiceAccount' | 'containerStatic' | 'containerServiceAccount', Summary>;
  how: Record<string, string>;
}

const REQUEST = (image: string, token?: string): string => JSON.stringify({
  kind: 'CredentialProviderRequest', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image, ...(token ? { serviceAccountToken: token } : {}),
});

async function containerExecs(o: { plugin: PackagedPlugin; image: string; network: string; runId: string; workDir: string; args: string; request: string; execs: number }): Promise<number[]> {
  writeFileSync(join(o.workDir, 'bench-request.json'), o.request);
  const dir = '/usr/libexec/kubernetes/kubelet-plugins/credential-provider';
  const script = `i=0; while [ $i -lt ${o.execs} ]; do s=$(date +%s%N); ${dir}/pullproof-credential-provider ${o.args} < /bench/bench-request.json > /dev/null || exit 1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); i=$((i+1)); done`;
  const r = await run(['docker', 'run', '--rm', '--network', o.network, '--label', `${LABEL}=1`, '--label', `${RUN_LABEL}=${o.runId}`,
    '-v', `${o.plugin.dir}:${dir}:ro`, '-v', `${o.workDir}:/bench:ro`, o.image, 'sh', '-c', script], { timeoutMs: 15 * 60_000 });
  return r.stdout.trim().split('\n').map((us) => Number(us) / 1000);
}

export async function benchSts(o: { samples: number; execs: number; json?: boolean }): Promise<void> {
  const ctx = RunContext.create({ label: 'bench-sts' });
  const detach = cleanupOnExit(ctx.cleanup);
  try {
    await phase('host setup', () => setupHost());
    const network = await phase('run network', () => ctx.createNetwork());
    const stack = await phase('harness registry', () => RegistryStack.start({ network }, (n, fn) => { ctx.cleanup.defer(n, fn); }));
    const issuer = await TestIssuer.create();
    const sts = await phase('sts', () => StsStack.start({
      ca: stack.ca, log: stack.log, tokens: stack.tokens, jwks: staticJwks(issuer.jwks()), issuer: issuer.issuer,
      rules: [{ namespace: 'bench', serviceAccount: 'puller', repositories: ['tenant-a/*'] }], listenHost: network.gateway,
    }, (n, fn) => { ctx.cleanup.defer(n, fn); }));
    const sa = sampleServiceAccount('bench', 'puller');
    const mint = (): Promise<string> => issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...sa });

    const agent = new https.Agent({ keepAlive: true, ca: stack.ca.certPem });
    const exchangeMs: number[] = [];
    const tokens = await Promise.all(Array.from({ length: o.samples + 1 }, mint));
    await exchangeToken({ url: sts.tokenUrl, ca: stack.ca.certPem, token: tokens[0] as string, agent }); // warm-up: JWKS load, TLS session
    const cursor = sts.sts.exchanges.length;
    await phase(`${o.samples} STS exchanges`, async () => {
      for (let n = 1; n <= o.samples; n++) {
        const t0 = performance.now();
        await exchangeToken({ url: sts.tokenUrl, ca: stack.ca.certPem, token: tokens[n] as string, agent });
        exchangeMs.push(performance.now() - t0);
      }
    });
    agent.destroy();
    const processing = sts.sts.exchanges.slice(cursor).map((e) => e.latencyMs);

    const plugin = await phase('package the reference plugin', () => packagePlugin());
    const { tag } = await phase('bookworm base image', () => ensureBaseImage());
    const credFile = join(ctx.workDir, 'static.json');
    writeFileSync(credFile, JSON.stringify({ username: 'bench', password: 'bench-password-not-used' }), { mode: 0o644 });
    writeFileSync(join(ctx.workDir, 'sts-ca.pem'), stack.ca.certPem);
    const image = `${stack.host}/tenant-a/app`;
    const staticArgs = ['--mode=static', `--registry=${stack.host}`];
    const saArgs = ['--mode=serviceaccount', `--registry=${stack.host}`, `--sts-url=${sts.tokenUrl}`];
    const hostExecs = async (args: string[], token?: string): Promise<number[]> => {
      const out: number[] = [];
      for (let n = 0; n < o.execs; n++) {
        const r = await execPlugin({ path: plugin.launcher, args, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PULLPROOF_CREDENTIALS_FILE: credFile, PULLPROOF_STS_CA: join(ctx.workDir, 'sts-ca.pem') }, stdin: REQUEST(image, token), timeoutMs: 60_000 });
        if (r.exitCode !== 0) throw new HarnessError(`plugin exec ${n} failed (${r.exitCode ?? r.signal})`, r.stderr);
        out.push(r.durationMs);
      }
      return out;
    };
    const saToken = await mint();
    const hostStatic = await phase(`${o.execs} plugin execs on the host (static)`, () => hostExecs(staticArgs));
    const hostSa = await phase(`${o.execs} plugin execs on the host (service account)`, () => hostExecs(saArgs, saToken));
    const containerStatic = await phase(`${o.execs} plugin execs in ${tag} (static)`, () => containerExecs({
      plugin, image: tag, network: network.name, runId: ctx.id, workDir: ctx.workDir, execs: o.execs, request: REQUEST(image),
      args: `${staticArgs.join(' ')} --credentials-file=/bench/static.json`,
    }));
    const containerSa = await phase(`${o.execs} plugin execs in ${tag} (service account)`, () => containerExecs({
      plugin, image: tag, network: network.name, runId: ctx.id, workDir: ctx.workDir, execs: o.execs, request: REQUEST(image, saToken),
      args: `${saArgs.join(' ')} --sts-ca=/bench/sts-ca.pem`,
    }));

    const result: StsBench = {
      exchangeMs: summarize(exchangeMs),
      stsProcessingMs: summarize(processing),
      pluginExecMs: { hostStatic: summarize(hostStatic), hostServiceAccount: summarize(hostSa), containerStatic: summarize(containerStatic), containerServiceAccount: summarize(containerSa) },
      how: {
        exchangeMs: `POST /token (RFC 8693 form, a fresh RS256 service-account token each), host -> STS fault proxy on ${network.gateway} (TLS, keep-alive) -> STS (TLS): verify signature/iss/aud/exp + kubernetes.io claims, policy, add a token-service user; wall time per call, ${o.samples} sequential calls after one warm-up`,
        stsProcessingMs: 'the STS\'s own time per exchange (request body read to response written), from its exchange records, same calls',
        pluginExecMs: `spawn to exit of the sh launcher (exec of the Node.js ${process.versions.node} binary shipped beside the esbuild bundle); host: measured by pullproof's exec watcher; container: date +%s%N around each exec inside one running ${tag} container (no docker overhead); static = credentials from a file, service account = one STS exchange over the run network per exec; ${o.execs} execs each`,
      },
    };
    const fmt = (s: Summary): string => `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)}, n=${s.samples})`;
    process.stdout.write(o.json ? JSON.stringify(result, null, 2) + '\n' : [
      `STS exchange (client wall time): ${fmt(result.exchangeMs)}`,
      `  how: ${result.how.exchangeMs}`,
      `STS processing: ${fmt(result.stsProcessingMs)}`,
      `  how: ${result.how.stsProcessingMs}`,
      `plugin exec, host, static: ${fmt(result.pluginExecMs.hostStatic)}`,
      `plugin exec, host, service account: ${fmt(result.pluginExecMs.hostServiceAccount)}`,
      `plugin exec, bookworm container, static: ${fmt(result.pluginExecMs.containerStatic)}`,
      `plugin exec, bookworm container, service account: ${fmt(result.pluginExecMs.containerServiceAccount)}`,
      `  how: ${result.how.pluginExecMs}`,
    ].join('\n') + '\n');
  } finally {
    await ctx.finish();
    detach();
  }
}
