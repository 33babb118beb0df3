// Generates the example certify reports for a plugin pullproof did not write: the upstream kubelet
// test plugin k8s.io/kubernetes/test/e2e_node/plugins/gcp-credential-provider, built from the Go module
// proxy, in its normal and its service-account mode (the two providers of upstream's node e2e config,
// plus cacheType, which 1.34+ requires). The plugin fetches a token from the GCE metadata server on
// every call: it runs in a bookworm container on the run's network, with metadata.google.internal
// pinned (--add-host) to a fake metadata server of ours on the network's gateway, behind the run's
// egress fence, so the real name is never resolved or reached. certify execs a launcher that runs
// `docker exec -i` into that container. Not part of CI; run by hand:
//   npx node harness/certify/upstream-example.ts [output dir, default docs/examples]
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { goEnv } from '../build/go.ts';
import { ensureBaseImage } from '../host/base-image.ts';
import { LABEL, RUN_LABEL } from '../host/network.ts';
import { RunContext } from '../run/context.ts';
import { cleanupOnExit } from '../util/cleanup.ts';
import { run } from '../util/exec.ts';
import { phase } from '../util/log.ts';
import { cachePath, PROJECT_ROOT } from '../util/paths.ts';
import { registerSecret } from '../util/secrets.ts';
import { certify } from './certify.ts';
import { formatReport } from './report.ts';

const K8S_VERSION = 'v1.35.4';
const STAGING_VERSION = 'v0.35.4';
const PKG = 'k8s.io/kubernetes/test/e2e_node/plugins/gcp-credential-provider';
const METADATA_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

async function buildPlugin(workDir: string): Promise<{ path: string; toolchain: string }> {
  const dir = join(workDir, 'gomod');
  mkdirSync(dir, { recursive: true });
  const env = goEnv();
  // k8s.io/kubernetes requires its staging modules at v0.0.0; a consumer must replace each one.
  await run(['go', 'mod', 'download', '-json', `k8s.io/kubernetes@${K8S_VERSION}`], { env, cwd: workDir, timeoutMs: 20 * 60_000 });
  const upstream = readFileSync(join(env.GOMODCACHE as string, 'k8s.io', `kubernetes@${K8S_VERSION}`, 'go.mod'), 'utf8');
  const staging = [...upstream.matchAll(/^\s*(k8s\.io\/[^\s]+) v0\.0\.0$/gm)].map((m) => m[1] as string);
  writeFileSync(join(dir, 'go.mod'), [
    'module pullproof.local/gcpplugin', '', 'go 1.25.0', '', `require k8s.io/kubernetes ${K8S_VERSION}`, '',
    'replace (', ...staging.map((m) => `\t${m} => ${m} ${STAGING_VERSION}`), ')', '',
  ].join('\n'));
  writeFileSync(join(dir, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport _ "${PKG}"\n`);
  const goenv = { ...env, CGO_ENABLED: '0', GOTOOLCHAIN: 'go1.25.9+auto' };
  await run(['go', 'mod', 'tidy', '-e'], { env: goenv, cwd: dir, timeoutMs: 20 * 60_000 });
  const out = cachePath('bin', `gcp-credential-provider-${K8S_VERSION}`);
  mkdirSync(out, { recursive: true });
  await run(['go', 'build', '-trimpath', '-ldflags=-s -w', '-o', join(out, 'gcp-credential-provider'), PKG], { env: goenv, cwd: dir, timeoutMs: 30 * 60_000 });
  const toolchain = (await run(['go', 'version'], { env: goenv, cwd: dir })).stdout.trim();
  return { path: join(out, 'gcp-credential-provider'), toolchain };
}

async function main(outDir: string): Promise<void> {
  const ctx = RunContext.create({ label: 'certify-upstream-gcp' });
  const detach = cleanupOnExit(ctx.cleanup);
  try {
    const network = await phase('run network', () => ctx.createNetwork());
    const plugin = await phase(`build ${PKG}@${K8S_VERSION}`, () => buildPlugin(ctx.workDir));
    const sha256 = createHash('sha256').update(readFileSync(plugin.path)).digest('hex');
    const { tag } = await ensureBaseImage();

    // The fake GCE metadata server, on the gateway (reachable from the run network, not outside).
    let metadataCalls = 0;
    const accessToken = `ya29.fake-${randomBytes(16).toString('hex')}`;
    registerSecret(accessToken);
    const server = http.createServer((req, res) => {
      metadataCalls++;
      if (req.url !== METADATA_PATH || req.headers['metadata-flavor'] !== 'Google') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'metadata-flavor': 'Google' });
      res.end(JSON.stringify({ access_token: accessToken, expires_in: 3599, token_type: 'Bearer' }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(80, network.gateway, resolve);
    });
    ctx.cleanup.defer('fake metadata server', () => new Promise<void>((resolve) => server.close(() => resolve())));

    const container = `pullproof-${ctx.id}-gcp-plugin`;
    await run(['docker', 'run', '-d', '--name', container, '--network', network.name, '--label', `${LABEL}=1`, '--label', `${RUN_LABEL}=${ctx.id}`,
      '--add-host', `metadata.google.internal:${network.gateway}`, '-v', `${plugin.path}:/opt/plugin/gcp-credential-provider:ro`, tag, 'sleep', 'infinity']);
    ctx.cleanup.defer(`container ${container}`, async () => { await run(['docker', 'rm', '-f', container], { allowFailure: true }); });

    // What the kubelet would exec: a launcher named like each provider, running the plugin in the container.
    const binDir = join(ctx.workDir, 'bin');
    mkdirSync(binDir, { recursive: true });
    writeFileSync(join(binDir, 'gcp-credential-provider'), `#!/bin/sh\nexec docker exec -i -e PLUGIN_MODE="\${PLUGIN_MODE-}" ${container} /opt/plugin/gcp-credential-provider "$@"\n`, { mode: 0o755 });
    symlinkSync('gcp-credential-provider', join(binDir, 'gcp-credential-provider-with-sa'));
    const matchImages = ['gcr.io', '*.gcr.io', 'container.cloud.google.com', '*.pkg.dev'];
    const configPath = join(ctx.workDir, 'credential-provider-config.yaml');
    writeFileSync(configPath, stringify({
      apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig',
      providers: [
        { name: 'gcp-credential-provider', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', matchImages, defaultCacheDuration: '1m' },
        {
          name: 'gcp-credential-provider-with-sa', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', matchImages, defaultCacheDuration: '1m',
          tokenAttributes: { serviceAccountTokenAudience: 'test-audience', requireServiceAccount: true, requiredServiceAccountAnnotationKeys: ['domain.io/identity-id', 'domain.io/identity-type'], cacheType: 'ServiceAccount' },
          env: [{ name: 'PLUGIN_MODE', value: 'serviceaccount' }],
        },
      ],
    }));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'credential-provider-config.yaml'), readFileSync(configPath));
    for (const name of ['gcp-credential-provider', 'gcp-credential-provider-with-sa']) {
      const before = metadataCalls;
      const report = await phase(`certify ${name}`, () => certify({
        plugin: join(binDir, name), configPath, versions: ['1.34', '1.35'], timeoutMs: 60_000, env: {}, args: [],
        annotations: { 'domain.io/identity-id': '123456', 'domain.io/identity-type': 'serviceaccount' },
        pluginVersion: `${PKG}@${K8S_VERSION} (binary sha256 ${sha256}, ${plugin.toolchain}, CGO_ENABLED=0), exec'd via docker exec in ${tag} on the run network (the report's sha256 is that of the launcher certify exec'd)`,
      }));
      const note = `\nnotes: metadata.google.internal resolved (--add-host) to pullproof's fake metadata server on ${network.gateway}:80, which answered ${metadataCalls - before} requests; the run network's egress fence was on.\n`;
      writeFileSync(join(outDir, `certify-${name}.json`), JSON.stringify(report, null, 2) + '\n');
      writeFileSync(join(outDir, `certify-${name}.txt`), formatReport(report) + note);
      process.stdout.write(formatReport(report) + note);
    }
  } finally {
    await ctx.finish();
    detach();
  }
  if (ctx.fence) process.stdout.write(`fence: ${ctx.fence.droppedPackets} packets dropped (nothing tried to leave the run network)\n`);
}

await main(process.argv[2] ?? join(PROJECT_ROOT, 'docs', 'examples'));
