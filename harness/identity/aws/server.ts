// The two AWS APIs AWS's ecr-credential-provider calls, served by pullproof over HTTPS, so the real
// plugin runs end to end with no cloud:
//
// - STS AssumeRoleWithWebIdentity (query protocol: form POST, XML answer). The web identity token is
//   verified exactly as pullproof's STS verifies a projected service-account token (signature against
//   the JWKS, iss, aud, exp/nbf, the kubernetes.io claims, the pod binding); the role's trust policy
//   names the service accounts that may assume it. Answer: temporary credentials (AccessKeyId,
//   SecretAccessKey, SessionToken) that live `sessionTtlSeconds`.
// - ECR GetAuthorizationToken (JSON 1.1 protocol, X-Amz-Target). The SigV4 signature is checked for
//   real against the issued credentials; unknown, revoked or expired credentials are refused. Answer:
//   authorizationToken = base64("AWS:<password>") for a short-lived token-service user that may pull
//   only the caller's ECR registry prefix in the harness registry (ecr/<account>.dkr.ecr.<region>...).
//
// Every call is recorded (`exchanges`); the fault proxies in front record every request too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { HttpsService } from '../../util/https-service.ts';
import { registerSecret } from '../../util/secrets.ts';
import { JwksCache, type JwksSource } from '../jwks.ts';
import { StsPolicy } from '../policy.ts';
import { claimedIdentity, toRefusal, verifyServiceAccountToken, type CredentialIssuer, type RefusalReason } from '../sts.ts';
import { AWS_STS_AUDIENCE, ecrHost, ecrRepositoryPrefix, parseRoleArn } from './names.ts';
import { SessionStore } from './sessions.ts';
import { parseAmzDate, parseAuthorization, signatureMatches } from './sigv4.ts';

export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
export const ECR_GET_AUTHORIZATION_TOKEN = `${ECR_TARGET_PREFIX}GetAuthorizationToken`;
export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** The user name ECR gives every caller; the token service tells them apart by password. */
export const ECR_LOGIN = 'AWS';

export interface RoleTrust {
  namespace: string;
  serviceAccount: string;
  /** If set, only the service account with this UID (a recreated one is someone else). */
  uid?: string;
}

export interface AwsRole {
  arn: string;
  /** Who may assume the role with a web identity (the trust policy's conditions on `sub`). */
  trust: RoleTrust[];
}

export type AwsApi = 'sts:AssumeRoleWithWebIdentity' | 'ecr:GetAuthorizationToken' | 'unknown';

export interface AwsExchange {
  at: string;
  api: AwsApi;
  /** STS: the service account the token claims; ECR: the access key id that signed. */
  identity: string;
  roleArn?: string;
  decision: 'issued' | 'refused';
  /** AWS's error code, or "issued". */
  code: string;
  /** For token refusals: pullproof's reason (the same names as its own STS). */
  reason?: RefusalReason;
  detail: string;
  status: number;
  accessKeyId?: string;
  /** ECR: the token-service user issued (its password is the secret). */
  username?: string;
  repositories?: string[];
  region?: string;
  latencyMs: number;
}

export interface AwsEmulatorOptions {
  tokens: CredentialIssuer;
  jwks: JwksSource;
  /** Expected `iss` of web identity tokens (the API server's, or a test issuer's). */
  issuer: string;
  /** Audience the token must carry. Default sts.amazonaws.com (what EKS's OIDC providers expect). */
  audience?: string;
  roles?: AwsRole[];
  tls: { cert: string; key: string };
  listenHost: string;
  listenPort?: number;
  /** Lifetime of temporary credentials when the caller asks for none. Default 900 s (AWS's minimum). */
  sessionTtlSeconds?: number;
  /** Lifetime of an ECR authorization token (and its registry user). Default 600 s (AWS: 12 h). */
  ecrTokenTtlSeconds?: number;
  /** Tolerance on the web identity token's exp/nbf. Default 30 s. */
  leewaySeconds?: number;
  /** How far X-Amz-Date may be from now. Default 300 s, as AWS. */
  maxRequestSkewSeconds?: number;
}

class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly reason?: RefusalReason;
  constructor(code: string, message: string, status = 400, reason?: RefusalReason) {
    super(message);
    this.code = code;
    this.status = status;
    this.reason = reason;
  }
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** AWS's codes for a web identity token pullproof's checks refuse. */
function stsErrorFor(reason: RefusalReason, message: string): AwsError {
  switch (reason) {
    case 'expired': return new AwsError('ExpiredTokenException', `Token expired: ${message}`, 400, reason);
    case 'wrong-issuer': return new AwsError('InvalidIdentityToken', `No OpenIDConnect provider found in your account for the token's issuer (${message})`, 400, reason);
    case 'wrong-audience': return new AwsError('InvalidIdentityToken', `Incorrect token audience (${message})`, 400, reason);
    case 'jwks-unavailable': return new AwsError('IDPCommunicationError', message, 400, reason);
    case 'unknown-service-account': case 'uid-mismatch': case 'annotation-mismatch':
      return new AwsError('AccessDenied', `Not authorized to perform sts:AssumeRoleWithWebIdentity (${message})`, 403, reason);
    default: return new AwsError('InvalidIdentityToken', message, 400, reason);
  }
}

export class AwsEmulator {
  readonly exchanges: AwsExchange[] = [];
  readonly sessions = new SessionStore();
  readonly keys: JwksCache;
  private readonly roles = new Map<string, StsPolicy>();
  private readonly http: HttpsService;
  private readonly opts: AwsEmulatorOptions;
  private skewSeconds = 0;

  constructor(opts: AwsEmulatorOptions) {
    this.opts = opts;
    this.keys = new JwksCache(opts.jwks);
    for (const r of opts.roles ?? []) this.allowRole(r);
    this.http = new HttpsService({
      tls: opts.tls, host: opts.listenHost, port: opts.listenPort,
      handle: (req, res) => this.handle(req, res),
      errorBody: (err) => ({ __type: 'InternalFailure', message: err.message }),
    });
  }

  get listenPort(): number {
    return this.http.port;
  }

  get audience(): string {
    return this.opts.audience ?? AWS_STS_AUDIENCE;
  }

  get issuer(): string {
    return this.opts.issuer;
  }

  /** Adds a role, or more service accounts to a role's trust policy. */
  allowRole(role: AwsRole): void {
    if (!parseRoleArn(role.arn)) throw new Error(`${role.arn} is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)`);
    const policy = this.roles.get(role.arn) ?? new StsPolicy();
    for (const t of role.trust) policy.allow({ namespace: t.namespace, serviceAccount: t.serviceAccount, uid: t.uid, repositories: [] });
    this.roles.set(role.arn, policy);
  }

  /** Takes a service account out of a role's trust policy: later AssumeRoleWithWebIdentity calls get AccessDenied. */
  forbid(roleArn: string, namespace: string, serviceAccount: string): void {
    this.roles.get(roleArn)?.forbid(namespace, serviceAccount);
  }

  /** Fault: the emulation's clock runs this many seconds ahead (positive) or behind (negative). */
  setClockSkew(seconds: number): void {
    this.skewSeconds = seconds;
  }

  async start(): Promise<void> {
    await this.http.start();
  }

  async stop(): Promise<void> {
    await this.http.stop();
  }

  private now(): number {
    return Date.now() + this.skewSeconds * 1000;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      await this.ecr(req, res, body, target);
      return;
    }
    await this.sts(req, res, body);
  }

  // ---- STS ----------------------------------------------------------------------------------------
  private async sts(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const t0 = performance.now();
    const at = new Date().toISOString();
    const form = new URLSearchParams(req.method === 'POST' ? body.toString('utf8') : (req.url ?? '').split('?')[1] ?? '');
    const token = form.get('WebIdentityToken') ?? '';
    const roleArn = form.get('RoleArn') ?? undefined;
    let identity = token ? claimedIdentity(token) : 'unknown';
    const api: AwsApi = form.get('Action') === 'AssumeRoleWithWebIdentity' ? 'sts:AssumeRoleWithWebIdentity' : 'unknown';
    try {
      if (req.method !== 'POST') throw new AwsError('InvalidAction', 'STS is served on POST (query protocol)', 400);
      if (api === 'unknown') throw new AwsError('InvalidAction', `Could not find operation ${form.get('Action') ?? '(none)'}; this emulation serves AssumeRoleWithWebIdentity`, 400);
      for (const [param, field] of [['RoleArn', 'roleArn'], ['RoleSessionName', 'roleSessionName'], ['WebIdentityToken', 'webIdentityToken']] as const) {
        if (!form.get(param)) throw new AwsError('ValidationError', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`, 400);
      }
      const sessionName = form.get('RoleSessionName') as string;
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) throw new AwsError('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`, 400);
      const arn = parseRoleArn(roleArn as string);
      if (!arn) throw new AwsError('ValidationError', `${roleArn} is invalid: expected arn:aws:iam::<account>:role/<name>`, 400);
      const duration = form.get('DurationSeconds');
      const ttl = duration === null ? (this.opts.sessionTtlSeconds ?? 900) : Number(duration);
      if (!Number.isInteger(ttl) || ttl < 900 || ttl > 43_200) throw new AwsError('ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`, 400);

      let verified;
      try {
        verified = await verifyServiceAccountToken(token, {
          keys: this.keys, issuer: this.opts.issuer, audience: this.audience, leewaySeconds: this.opts.leewaySeconds, skewSeconds: this.skewSeconds,
        });
      } catch (err) {
        const r = toRefusal(err);
        throw stsErrorFor(r.reason, r.message);
      }
      const { subject } = verified;
      identity = `${subject.namespace}/${subject.name}`;
      const policy = this.roles.get(roleArn as string);
      if (!policy) throw new AwsError('AccessDenied', `Not authorized to perform sts:AssumeRoleWithWebIdentity (no role ${roleArn} in this emulation)`, 403, 'unknown-service-account');
      const decision = policy.decide(subject);
      if (!decision.allowed) throw stsErrorFor(decision.reason, `role ${roleArn} does not trust ${identity}: ${decision.detail}`);

      const session = this.sessions.issue({ roleArn: roleArn as string, account: arn.account, roleName: arn.name, sessionName, subject: identity, ttlSeconds: ttl });
      const audience = Array.isArray(verified.payload.aud) ? verified.payload.aud.join(',') : (verified.payload.aud ?? '');
      const xml = [
        `<AssumeRoleWithWebIdentityResponse xmlns="${STS_XML_NAMESPACE}">`,
        '  <AssumeRoleWithWebIdentityResult>',
        `    <SubjectFromWebIdentityToken>${xmlEscape(verified.payload.sub ?? '')}</SubjectFromWebIdentityToken>`,
        `    <Audience>${xmlEscape(audience)}</Audience>`,
        '    <AssumedRoleUser>',
        `      <Arn>arn:${arn.partition}:sts::${arn.account}:assumed-role/${xmlEscape(arn.name)}/${xmlEscape(sessionName)}</Arn>`,
        `      <AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${xmlEscape(sessionName)}</AssumedRoleId>`,
        '    </AssumedRoleUser>',
        '    <Credentials>',
        `      <AccessKeyId>${session.accessKeyId}</AccessKeyId>`,
        `      <SecretAccessKey>${xmlEscape(session.secretAccessKey)}</SecretAccessKey>`,
        `      <SessionToken>${xmlEscape(session.sessionToken)}</SessionToken>`,
        `      <Expiration>${isoSeconds(session.expiresAt)}</Expiration>`,
        '    </Credentials>',
        `    <Provider>${xmlEscape(this.opts.issuer.replace(/^https?:\/\//, ''))}</Provider>`,
        '  </AssumeRoleWithWebIdentityResult>',
        `  <ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`,
        '</AssumeRoleWithWebIdentityResponse>',
        '',
      ].join('\n');
      this.record({ at, api, identity, roleArn, decision: 'issued', code: 'issued', detail: `temporary credentials for ${roleArn} (session ${sessionName}) for ${ttl}s`, status: 200, accessKeyId: session.accessKeyId, latencyMs: performance.now() - t0 });
      this.replyXml(res, 200, xml);
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('InternalFailure', (err as Error).message, 500);
      this.record({ at, api, identity, roleArn, decision: 'refused', code: e.code, reason: e.reason, detail: e.message, status: e.status, latencyMs: performance.now() - t0 });
      this.replyXml(res, e.status, [
        `<ErrorResponse xmlns="${STS_XML_NAMESPACE}">`,
        `  <Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${xmlEscape(e.code)}</Code><Message>${xmlEscape(e.message)}</Message></Error>`,
        `  <RequestId>${randomUUID()}</RequestId>`,
        '</ErrorResponse>',
        '',
      ].join('\n'));
    }
  }

  private replyXml(res: ServerResponse, status: number, xml: string): void {
    res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml), 'x-amzn-requestid': randomUUID() });
    res.end(xml);
  }

  // ---- ECR ----------------------------------------------------------------------------------------
  private async ecr(req: IncomingMessage, res: ServerResponse, body: Buffer, target: string): Promise<void> {
    const t0 = performance.now();
    const at = new Date().toISOString();
    const api: AwsApi = target === ECR_GET_AUTHORIZATION_TOKEN ? 'ecr:GetAuthorizationToken' : 'unknown';
    const auth = parseAuthorization(req.headers.authorization);
    const identity = auth?.accessKeyId ?? 'anonymous';
    let region = auth?.region;
    try {
      if (req.method !== 'POST') throw new AwsError('UnknownOperationException', 'JSON 1.1 calls are POSTs', 400);
      if (api === 'unknown') throw new AwsError('UnknownOperationException', `${target}: this emulation serves ${ECR_GET_AUTHORIZATION_TOKEN} only`, 400);
      if (!auth) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token (an AWS4-HMAC-SHA256 Authorization header is required)', 400);
      const signedAt = parseAmzDate(String(req.headers['x-amz-date'] ?? ''));
      if (!signedAt || !auth.signedHeaders.includes('x-amz-date')) throw new AwsError('IncompleteSignatureException', 'X-Amz-Date is missing, malformed or not signed', 400);
      const skew = Math.abs(this.now() - signedAt.getTime()) / 1000;
      if (skew > (this.opts.maxRequestSkewSeconds ?? 300)) throw new AwsError('InvalidSignatureException', `Signature expired: ${String(req.headers['x-amz-date'])} is ${skew.toFixed(0)}s from the server's time`, 400);
      if (auth.date !== String(req.headers['x-amz-date']).slice(0, 8)) throw new AwsError('InvalidSignatureException', 'the credential scope date does not match X-Amz-Date', 400);
      if (auth.service !== 'ecr') throw new AwsError('InvalidSignatureException', `Credential should be scoped to correct service: 'ecr' (got '${auth.service}')`, 400);
      const session = this.sessions.get(auth.accessKeyId);
      if (!session || session.revoked) throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400);
      if (req.headers['x-amz-security-token'] !== session.sessionToken) throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid (X-Amz-Security-Token does not belong to this access key).', 400);
      if (this.now() > session.expiresAt) throw new AwsError('ExpiredTokenException', 'The security token included in the request is expired', 400);
      const ok = await signatureMatches({ method: req.method, url: req.url ?? '/', headers: req.headers, body }, auth, session, signedAt);
      if (!ok) throw new AwsError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.', 403);
      let input: { registryIds?: unknown } = {};
      try {
        input = body.length ? JSON.parse(body.toString('utf8')) as { registryIds?: unknown } : {};
      } catch {
        throw new AwsError('SerializationException', 'the body is not JSON', 400);
      }
      const ids = Array.isArray(input.registryIds) ? input.registryIds as unknown[] : [];
      const foreign = ids.filter((id) => id !== session.account);
      if (foreign.length) throw new AwsError('AccessDeniedException', `${session.roleArn} may not get authorization tokens for registries ${foreign.join(', ')}`, 400);
      region = auth.region;
      const host = ecrHost(session.account, region);
      const repositories = [`${ecrRepositoryPrefix(host)}/*`];
      const ttl = this.opts.ecrTokenTtlSeconds ?? 600;
      const username = `ecr.${session.account}.${session.roleName}`.slice(0, 50).replace(/[^A-Za-z0-9._-]/g, '-') + `.${randomBytes(4).toString('hex')}`;
      const cred = this.opts.tokens.addUser(username, { repositories, ttlSeconds: ttl, origin: 'sts', login: ECR_LOGIN });
      const authorizationToken = Buffer.from(`${ECR_LOGIN}:${cred.password}`).toString('base64');
      registerSecret(authorizationToken);
      const expiresAt = Math.floor(this.now() / 1000) + ttl;
      this.record({ at, api, identity, roleArn: session.roleArn, decision: 'issued', code: 'issued', detail: `registry user for ${repositories.join(', ')} for ${ttl}s`, status: 200, accessKeyId: session.accessKeyId, username, repositories, region, latencyMs: performance.now() - t0 });
      this.replyJson(res, 200, { authorizationData: [{ authorizationToken, expiresAt, proxyEndpoint: `https://${host}` }] });
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('ServerException', (err as Error).message, 500);
      this.record({ at, api, identity, decision: 'refused', code: e.code, detail: e.message, status: e.status, accessKeyId: auth?.accessKeyId, region, latencyMs: performance.now() - t0 });
      this.replyJson(res, e.status, { __type: e.code, message: e.message }, { 'x-amzn-errortype': e.code });
    }
  }

  private replyJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(payload), 'x-amzn-requestid': randomUUID(), ...headers });
    res.end(payload);
  }

  private record(e: AwsExchange): void {
    this.exchanges.push(e);
  }
}
