// pullproof-credential-provider: the reference kubelet credential provider plugin
// (credentialprovider.kubelet.k8s.io/v1 over stdin/stdout). Two modes:
//   --mode=serviceaccount  exchanges the pod's service-account token (KEP-4412) at the STS for
//                          short-lived registry credentials;
//   --mode=static          returns fixed credentials read from a file (a node-wide provider).
// It fails (exit 1, one line on stderr) on every problem and never prints a secret. It is bundled by
// esbuild and run by the Node.js binary shipped beside it (see package.ts), so it imports only
// node: modules and the pure protocol modules.
import { readFileSync } from 'node:fs';
import { formatGoDuration, parseGoDuration } from '../duration.ts';
import { CACHE_KEY_TYPES, PROVIDER_API_VERSIONS, type CredentialProviderRequest, type CredentialProviderResponse } from '../types.ts';
import { exchangeToken } from './exchange.ts';

export const PLUGIN_NAME = 'pullproof-credential-provider';
export const PLUGIN_VERSION = '0.1.0';
const MAX_STDIN = 1 << 20;

const USAGE = `usage: ${PLUGIN_NAME} --mode=serviceaccount|static --registry=HOST[:PORT] [options]
  --sts-url=URL            STS token endpoint (serviceaccount mode; env PULLPROOF_STS_URL)
  --sts-ca=FILE            PEM bundle for the STS certificate (env PULLPROOF_STS_CA)
  --credentials-file=FILE  {"username": ..., "password": ...} (static mode; env PULLPROOF_CREDENTIALS_FILE)
  --cache-key-type=T       Image, Registry (default) or Global
  --cache-duration=D       Go duration (default: half the credential lifetime, or 5m in static mode)
  --timeout=D              STS request timeout (default 20s)
  --version                print the version`;

class PluginError extends Error {}

interface Options {
  mode: 'serviceaccount' | 'static';
  registry: string;
  stsUrl?: string;
  stsCa?: string;
  credentialsFile?: string;
  cacheKeyType: string;
  cacheDurationMs?: number;
  timeoutMs: number;
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Options | 'version' {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--version') return 'version';
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new PluginError(`unexpected argument ${JSON.stringify(a)}\n${USAGE}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new PluginError(`--${m[1]} needs a value\n${USAGE}`);
    flags.set(m[1] as string, value);
  }
  const known = ['mode', 'registry', 'sts-url', 'sts-ca', 'credentials-file', 'cache-key-type', 'cache-duration', 'timeout'];
  for (const k of flags.keys()) if (!known.includes(k)) throw new PluginError(`unknown flag --${k}\n${USAGE}`);
  const mode = flags.get('mode');
  if (mode !== 'serviceaccount' && mode !== 'static') throw new PluginError(`--mode must be serviceaccount or static (got ${JSON.stringify(mode ?? '')})\n${USAGE}`);
  const registry = flags.get('registry');
  if (!registry) throw new PluginError(`--registry is required: the registry host[:port] the credentials are for\n${USAGE}`);
  const cacheKeyType = flags.get('cache-key-type') ?? 'Registry';
  if (!(CACHE_KEY_TYPES as readonly string[]).includes(cacheKeyType)) throw new PluginError(`--cache-key-type must be one of ${CACHE_KEY_TYPES.join(', ')}`);
  const duration = (name: string): number | undefined => {
    const v = flags.get(name);
    if (v === undefined) return undefined;
    try {
      return parseGoDuration(v) / 1e6;
    } catch (err) {
      throw new PluginError(`--${name}: ${(err as Error).message}`);
    }
  };
  return {
    mode, registry, cacheKeyType,
    stsUrl: flags.get('sts-url') ?? env.PULLPROOF_STS_URL,
    stsCa: flags.get('sts-ca') ?? env.PULLPROOF_STS_CA,
    credentialsFile: flags.get('credentials-file') ?? env.PULLPROOF_CREDENTIALS_FILE,
    cacheDurationMs: duration('cache-duration'),
    timeoutMs: duration('timeout') ?? 20_000,
  };
}

function readRequest(text: string): CredentialProviderRequest {
  if (text.length > MAX_STDIN) throw new PluginError('the request on stdin is larger than 1 MiB');
  let req: unknown;
  try {
    req = JSON.parse(text);
  } catch {
    throw new PluginError('stdin is not a JSON CredentialProviderRequest');
  }
  const r = req as Partial<CredentialProviderRequest> | null;
  if (!r || typeof r !== 'object' || r.kind !== 'CredentialProviderRequest') throw new PluginError('stdin is not a CredentialProviderRequest (kind)');
  if (!(PROVIDER_API_VERSIONS as readonly string[]).includes(r.apiVersion ?? '')) throw new PluginError(`unsupported request apiVersion ${JSON.stringify(r.apiVersion ?? '')}`);
  if (typeof r.image !== 'string' || r.image === '') throw new PluginError('the request has no image');
  return r as CredentialProviderRequest;
}

function readFileOrFail(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PluginError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

async function credentialsFor(o: Options, req: CredentialProviderRequest): Promise<{ username: string; password: string; cacheMs: number }> {
  if (o.mode === 'static') {
    if (req.serviceAccountToken) throw new PluginError('this provider runs in static mode but the kubelet sent a service account token; remove tokenAttributes from its config or use --mode=serviceaccount');
    if (!o.credentialsFile) throw new PluginError('static mode needs --credentials-file (or PULLPROOF_CREDENTIALS_FILE)');
    let c: { username?: unknown; password?: unknown };
    try {
      c = JSON.parse(readFileOrFail(o.credentialsFile, 'the credentials file')) as typeof c;
    } catch (err) {
      if (err instanceof PluginError) throw err;
      throw new PluginError(`the credentials file ${o.credentialsFile} is not JSON`);
    }
    if (typeof c.username !== 'string' || typeof c.password !== 'string') throw new PluginError(`the credentials file ${o.credentialsFile} needs string fields username and password`);
    return { username: c.username, password: c.password, cacheMs: o.cacheDurationMs ?? 300_000 };
  }
  if (!req.serviceAccountToken) throw new PluginError('no serviceAccountToken in the request: give this provider tokenAttributes in the kubelet config (and a service account to the pod)');
  if (!o.stsUrl) throw new PluginError('serviceaccount mode needs --sts-url (or PULLPROOF_STS_URL)');
  const ca = o.stsCa ? readFileOrFail(o.stsCa, 'the STS CA bundle') : undefined;
  const cred = await exchangeToken({ url: o.stsUrl, ca, token: req.serviceAccountToken, annotations: req.serviceAccountAnnotations, timeoutMs: o.timeoutMs });
  const half = Math.floor(cred.expiresInSeconds / 2) * 1000;
  return { username: cred.username, password: cred.password, cacheMs: o.cacheDurationMs ?? half };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > MAX_STDIN) throw new PluginError('the request on stdin is larger than 1 MiB');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Removes anything secret-looking from a message before it reaches stderr (the kubelet logs stderr). */
function scrub(message: string, secrets: string[]): string {
  let out = message.replace(/eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '<redacted>');
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('<redacted>');
  return out;
}

export async function runPlugin(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const secrets: string[] = [];
  try {
    const o = parseArgs(argv, env);
    if (o === 'version') {
      process.stdout.write(`${PLUGIN_NAME} ${PLUGIN_VERSION}\n`);
      return 0;
    }
    const req = readRequest(await readStdin());
    if (req.serviceAccountToken) secrets.push(req.serviceAccountToken);
    const cred = await credentialsFor(o, req);
    secrets.push(cred.password);
    const response: CredentialProviderResponse = {
      kind: 'CredentialProviderResponse',
      apiVersion: req.apiVersion,
      cacheKeyType: o.cacheKeyType,
      cacheDuration: formatGoDuration(cred.cacheMs),
      auth: { [o.registry]: { username: cred.username, password: cred.password } },
    };
    await new Promise<void>((resolve, reject) => process.stdout.write(JSON.stringify(response) + '\n', (err) => (err ? reject(err) : resolve())));
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${PLUGIN_NAME}: ${scrub(message, secrets)}\n`);
    return 1;
  }
}
