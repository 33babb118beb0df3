// The AWS emulation against the real ecr-credential-provider (built from the Go module proxy; its AWS SDK
// for Go v2 signs and parses, not ours) and against hand-made requests, one fault each: what STS and
// ECR refuse, with AWS's error codes, and what the issued registry user may read.
import test from 'ava';
import https from 'node:https';
import { spawn } from 'node:child_process';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { buildEcrCredentialProvider, type GoModuleBuild } from '../harness/build/cloud-plugins.ts';
import { AWS_STS_AUDIENCE, ECR_ROLE_ANNOTATION, ecrHost, ecrRepositoryPrefix } from '../harness/identity/aws/names.ts';
import { ECR_GET_AUTHORIZATION_TOKEN } from '../harness/identity/aws/server.ts';
import { sampleServiceAccount } from '../harness/identity/test-issuer.ts';
import { registeredSecrets } from '../harness/util/secrets.ts';
import { startLocalAws, type LocalAws } from './helpers/local-aws.ts';

const ROLE = 'arn:aws:iam::123456789012:role/puller';
const HOST = ecrHost('123456789012', 'eu-west-1');
let local: LocalAws;
let plugin: GoModuleBuild;

test.before(async () => {
  plugin = await buildEcrCredentialProvider();
  local = await startLocalAws({ roles: [{ arn: ROLE, trust: [{ namespace: 'team', serviceAccount: 'puller' }] }] });
});
test.after.always(async () => {
  await local.stop();
});

interface Answer { status: number; body: string }

function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca: local.ca.certPem, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => { data += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function assumeRole(token: string, extra: Record<string, string> = {}): Promise<Answer> {
  const form = new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE, RoleSessionName: 'ecr-credential-provider', WebIdentityToken: token, ...extra });
  return post(local.aws.stsUrl, form.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
}

async function validToken(name = 'puller', audience = AWS_STS_AUDIENCE, expiresInSeconds = 3600): Promise<string> {
  const sa = sampleServiceAccount('team', name);
  return local.issuer.mint({ audience, ...sa, expiresInSeconds, issuedAtOffsetSeconds: expiresInSeconds < 0 ? expiresInSeconds - 3600 : 0 });
}

function xmlField(xml: string, name: string): string {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '';
}

async function credentials(): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
  const r = await assumeRole(await validToken());
  if (r.status !== 200) throw new Error(`AssumeRoleWithWebIdentity answered ${r.status}`);
  return { accessKeyId: xmlField(r.body, 'AccessKeyId'), secretAccessKey: xmlField(r.body, 'SecretAccessKey'), sessionToken: xmlField(r.body, 'SessionToken') };
}

/** GetAuthorizationToken signed by AWS's JavaScript signer with the given (possibly wrong) credentials. */
async function getAuthorizationToken(creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, o: { service?: string } = {}): Promise<Answer> {
  const url = new URL(local.aws.ecrUrl);
  const signer = new SignatureV4({ service: o.service ?? 'ecr', region: 'eu-west-1', sha256: Hash.bind(null, 'sha256'), credentials: creds, applyChecksum: false });
  const body = '{}';
  const signed = await signer.sign({
    method: 'POST', protocol: 'https:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, body,
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': ECR_GET_AUTHORIZATION_TOKEN },
  });
  return post(local.aws.ecrUrl, body, signed.headers as Record<string, string>);
}

function runPlugin(request: unknown, env: Record<string, string>, argv: string[] = [plugin.path]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env: { PATH: '/usr/bin:/bin', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(JSON.stringify(request));
  });
}

function request(token?: string, annotations?: Record<string, string>): unknown {
  return {
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1', kind: 'CredentialProviderRequest', image: `${HOST}/team/app`,
    ...(token ? { serviceAccountToken: token } : {}), ...(annotations ? { serviceAccountAnnotations: annotations } : {}),
  };
}

function tokenRequest(user: string, password: string, repository: string): Promise<{ status: number; granted: string[] }> {
  return new Promise((resolve, reject) => {
    const auth = Buffer.from(`${user}:${password}`).toString('base64');
    https.get(`${local.tokens.url}/token?service=pullproof-registry&scope=repository:${repository}:pull`, { ca: local.ca.certPem, headers: { authorization: `Basic ${auth}` } }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => { data += c.toString(); });
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve({ status: res.statusCode ?? 0, granted: [] });
        const jwt = (JSON.parse(data) as { token: string }).token;
        const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as { access: { name: string; actions: string[] }[] };
        resolve({ status: 200, granted: claims.access.filter((a) => a.actions.includes('pull')).map((a) => a.name) });
      });
    }).on('error', reject);
  });
}

test('the real plugin assumes the role and answers AWS:<password> for the image host; that user may pull only its ECR registry prefix', async (t) => {
  const r = await runPlugin(request(await validToken(), { [ECR_ROLE_ANNOTATION]: ROLE }), local.aws.pluginEnv({ caFile: local.caFile }));
  t.is(r.code, 0, r.stderr);
  const response = JSON.parse(r.stdout) as { cacheKeyType: string; cacheDuration: string; auth: Record<string, { username: string; password: string }> };
  t.is(response.cacheKeyType, 'Registry');
  t.is(response.cacheDuration, '5m0s', 'half the 600 s ECR token lifetime (main.go getCacheDuration)');
  t.deepEqual(Object.keys(response.auth), [HOST]);
  const cred = response.auth[HOST];
  t.is(cred?.username, 'AWS');
  t.true(registeredSecrets().includes(cred?.password ?? ''), 'the password is registered for redaction');
  const own = await tokenRequest('AWS', cred?.password ?? '', `${ecrRepositoryPrefix(HOST)}/team/app`);
  t.deepEqual(own.granted, [`${ecrRepositoryPrefix(HOST)}/team/app`]);
  const otherRegion = await tokenRequest('AWS', cred?.password ?? '', `${ecrRepositoryPrefix(ecrHost('123456789012', 'us-east-1'))}/team/app`);
  t.deepEqual(otherRegion.granted, []);
  const tenant = await tokenRequest('AWS', cred?.password ?? '', 'tenant-a/app');
  t.deepEqual(tenant.granted, []);
  const wrong = await tokenRequest('AWS', 'not-the-password', `${ecrRepositoryPrefix(HOST)}/team/app`);
  t.is(wrong.status, 401);
  // Both calls went through the proxies (target sts), recorded under the service account and the access key.
  const records = local.log.query({ target: 'sts' });
  t.true(records.some((x) => x.identity === 'team/puller' && x.status === 200));
  t.true(records.some((x) => /^ASIA[A-Z2-7]{16}$/.test(x.identity) && x.status === 200));
});

test('without a role annotation the plugin falls back to the default chain and fails at once with IMDS disabled, needing no network', async (t) => {
  const r = await runPlugin(request(await validToken()), local.aws.pluginEnv({ caFile: local.caFile }), ['unshare', '-n', plugin.path]);
  t.is(r.code, 1);
  t.regex(r.stderr, /access disabled to EC2 IMDS/);
});

const STS_REFUSALS: [string, () => Promise<Answer>, number, string][] = [
  ['an expired token', async () => assumeRole(await validToken('puller', AWS_STS_AUDIENCE, -600)), 400, 'ExpiredTokenException'],
  ['a token for another audience', async () => assumeRole(await validToken('puller', 'someone-else')), 400, 'InvalidIdentityToken'],
  ['a token from another issuer', async () => assumeRole(await local.issuer.mint({ audience: AWS_STS_AUDIENCE, ...sampleServiceAccount('team', 'puller'), issuer: 'https://elsewhere.example' })), 400, 'InvalidIdentityToken'],
  ['a service account the role does not trust', async () => assumeRole(await validToken('intruder')), 403, 'AccessDenied'],
  ['a role that does not exist', async () => assumeRole(await validToken(), { RoleArn: 'arn:aws:iam::123456789012:role/other' }), 403, 'AccessDenied'],
  ['no RoleSessionName', async () => assumeRole(await validToken(), { RoleSessionName: '' }), 400, 'ValidationError'],
  ['a DurationSeconds below 900', async () => assumeRole(await validToken(), { DurationSeconds: '60' }), 400, 'ValidationError'],
];
for (const [what, call, status, code] of STS_REFUSALS) {
  test(`STS refuses ${what} with ${code}`, async (t) => {
    const r = await call();
    t.is(r.status, status, r.body);
    t.is(xmlField(r.body, 'Code'), code, r.body);
  });
}

test('ECR answers a request signed with the issued credentials', async (t) => {
  const r = await getAuthorizationToken(await credentials());
  t.is(r.status, 200, r.body);
  const data = (JSON.parse(r.body) as { authorizationData: { authorizationToken: string; expiresAt: number; proxyEndpoint: string }[] }).authorizationData[0];
  t.is(data?.proxyEndpoint, `https://${HOST}`);
  t.regex(Buffer.from(data?.authorizationToken ?? '', 'base64').toString(), /^AWS:[A-Za-z0-9]{24}$/);
  t.true((data?.expiresAt ?? 0) > Date.now() / 1000);
});

const ECR_REFUSALS: [string, () => Promise<Answer>, number, string][] = [
  ['an unsigned request', () => post(local.aws.ecrUrl, '{}', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': ECR_GET_AUTHORIZATION_TOKEN }), 400, 'MissingAuthenticationTokenException'],
  ['a signature made with another secret', async () => getAuthorizationToken({ ...(await credentials()), secretAccessKey: 'x'.repeat(40) }), 403, 'InvalidSignatureException'],
  ['an access key it never issued', async () => getAuthorizationToken({ ...(await credentials()), accessKeyId: 'ASIAAAAAAAAAAAAAAAAA' }), 400, 'UnrecognizedClientException'],
  ['another session token', async () => getAuthorizationToken({ ...(await credentials()), sessionToken: 'bm90LXRoZS10b2tlbg==' }), 400, 'UnrecognizedClientException'],
  ['a signature scoped to another service', async () => getAuthorizationToken(await credentials(), { service: 'sts' }), 400, 'InvalidSignatureException'],
  ['expired credentials', async () => {
    const c = await credentials();
    const session = local.aws.aws.sessions.get(c.accessKeyId);
    if (session) session.expiresAt = Date.now() - 1000;
    return getAuthorizationToken(c);
  }, 400, 'ExpiredTokenException'],
  ['revoked credentials', async () => {
    const c = await credentials();
    local.aws.aws.sessions.revoke(c.accessKeyId);
    return getAuthorizationToken(c);
  }, 400, 'UnrecognizedClientException'],
];
for (const [what, call, status, code] of ECR_REFUSALS) {
  test(`ECR refuses ${what} with ${code}`, async (t) => {
    const r = await call();
    t.is(r.status, status, r.body);
    t.is((JSON.parse(r.body) as { __type: string }).__type, code, r.body);
  });
}
