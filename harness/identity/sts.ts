// The mock STS: an HTTPS server that exchanges a Kubernetes projected service-account token for
// short-lived registry credentials, in the shape of an OAuth 2.0 token exchange (RFC 8693). It
// verifies the token for real (signature against a JWKS, iss, aud, exp/nbf with leeway, the
// kubernetes.io claims), applies a policy, and issues a credential by adding a short-lived user to the
// harness token service, so the registry accepts it. Every exchange is recorded.
//
// Request:  POST /token, application/x-www-form-urlencoded:
//   grant_type=urn:ietf:params:oauth:grant-type:token-exchange
//   subject_token=<JWT>  subject_token_type=urn:ietf:params:oauth:token-type:jwt
//   service_account_annotations=<JSON object> (optional; what the kubelet sent the plugin)
// Response: 200 {"access_token": base64("user:password"), "issued_token_type":
//   "urn:pullproof:params:oauth:token-type:registry-basic-auth", "token_type": "N_A", "expires_in": N,
//   "scope": "repository:<pattern>:pull ..."}; errors are {"error", "error_description"} with 400
//   (invalid_request, unsupported_grant_type, invalid_grant) or 403 (access_denied, from the policy).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpsService, replyJson } from '../util/https-service.ts';
import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { registerSecret } from '../util/secrets.ts';
import type { Credential, UserSpec } from '../registry/token-service.ts';
import { JwksCache, type JwksSource } from './jwks.ts';
import type { StsPolicy, Subject } from './policy.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const REGISTRY_BASIC_TOKEN_TYPE = 'urn:pullproof:params:oauth:token-type:registry-basic-auth';

/** What the STS needs from the token service: adding short-lived users. */
export interface CredentialIssuer {
  addUser(username: string, spec: UserSpec): Credential;
}

export type RefusalReason =
  | 'bad-request' | 'unsupported-grant-type' | 'unsupported-token-type' | 'malformed-token' | 'bad-signature'
  | 'unknown-key' | 'wrong-issuer' | 'wrong-audience' | 'expired' | 'not-yet-valid' | 'missing-kubernetes-claims'
  | 'subject-mismatch' | 'unknown-service-account' | 'uid-mismatch' | 'annotation-mismatch' | 'jwks-unavailable';

export interface StsExchange {
  at: string;
  /** namespace/name of the service account the token claims (unverified when refused early), or "unknown". */
  identity: string;
  pod?: string;
  decision: 'issued' | 'refused';
  reason: RefusalReason | 'issued';
  detail: string;
  status: number;
  /** The token-service user issued (not a secret; its password is). */
  username?: string;
  repositories?: string[];
  latencyMs: number;
}

export interface StsOptions {
  tokens: CredentialIssuer;
  jwks: JwksSource;
  /** Expected `iss`. */
  issuer: string;
  /** Expected audience (the provider's serviceAccountTokenAudience). */
  audience: string;
  policy: StsPolicy;
  tls: { cert: string; key: string };
  listenHost: string;
  listenPort?: number;
  /** Lifetime of an issued registry credential. Default 300 s. */
  credentialTtlSeconds?: number;
  /** Tolerance on exp/nbf. Default 30 s. */
  leewaySeconds?: number;
  /** Require the pod binding (kubernetes.io.pod), as every kubelet-requested token has. Default true. */
  requirePodBinding?: boolean;
}

interface KubernetesClaims {
  namespace?: string;
  serviceaccount?: { name?: string; uid?: string };
  pod?: { name?: string; uid?: string };
}

export class Refusal extends Error {
  readonly reason: RefusalReason;
  readonly status: number;
  readonly oauthError: string;
  constructor(reason: RefusalReason, detail: string, status = 400, oauthError = 'invalid_grant') {
    super(detail);
    this.reason = reason;
    this.status = status;
    this.oauthError = oauthError;
  }
}

export function claimedIdentity(token: string): string {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string };
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(payload.sub ?? '');
    return m ? `${m[1]}/${m[2]}` : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function toRefusal(err: unknown): Refusal {
  if (err instanceof Refusal) return err;
  if (err instanceof joseErrors.JWTExpired) return new Refusal('expired', `token expired (${err.message})`);
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new Refusal('wrong-issuer', `unexpected issuer (${err.message})`);
    if (err.claim === 'aud') return new Refusal('wrong-audience', `token audience does not include the STS audience (${err.message})`);
    if (err.claim === 'nbf' || err.claim === 'iat') return new Refusal('not-yet-valid', `token not yet valid (${err.message})`);
    return new Refusal('malformed-token', `claim ${err.claim}: ${err.message}`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new Refusal('bad-signature', 'token signature does not verify against the issuer keys');
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) return new Refusal('unknown-key', 'no issuer key matches the token\'s kid (refreshed the JWKS once)');
  if (err instanceof joseErrors.JOSEError) return new Refusal('malformed-token', `not a valid signed JWT (${err.code})`);
  return new Refusal('jwks-unavailable', `cannot verify: ${(err as Error).message}`, 503, 'temporarily_unavailable');
}

export class StsServer {
  readonly exchanges: StsExchange[] = [];
  readonly keys: JwksCache;
  private readonly http: HttpsService;
  private skewSeconds = 0;
  private readonly opts: StsOptions;

  constructor(opts: StsOptions) {
    this.opts = opts;
    this.http = new HttpsService({
      tls: opts.tls, host: opts.listenHost, port: opts.listenPort,
      handle: (req, res) => this.handle(req, res),
      errorBody: (err) => ({ error: 'server_error', error_description: err.message }),
    });
    this.keys = new JwksCache(opts.jwks);
  }

  get listenPort(): number {
    return this.http.port;
  }

  get audience(): string {
    return this.opts.audience;
  }

  get issuer(): string {
    return this.opts.issuer;
  }

  get policy(): StsPolicy {
    return this.opts.policy;
  }

  /** Fault: the STS's clock runs this many seconds ahead (positive) or behind (negative). */
  setClockSkew(seconds: number): void {
    this.skewSeconds = seconds;
  }

  get clockSkewSeconds(): number {
    return this.skewSeconds;
  }

  async start(): Promise<void> {
    await this.http.start();
  }

  async stop(): Promise<void> {
    await this.http.stop();
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    replyJson(res, status, body, { 'cache-control': 'no-store' });
  }


  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sts.invalid');
    if (url.pathname === '/healthz') {
      this.reply(res, 200, { ok: true });
      return;
    }
    if (url.pathname !== '/token' || req.method !== 'POST') {
      this.reply(res, url.pathname === '/token' ? 405 : 404, { error: 'invalid_request', error_description: 'POST /token (RFC 8693 token exchange)' });
      return;
    }
    const t0 = performance.now();
    const at = new Date().toISOString();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const token = form.get('subject_token') ?? '';
    let identity = token ? claimedIdentity(token) : 'unknown';
    try {
      const { subject, pod } = await this.verify(form, token);
      identity = `${subject.namespace}/${subject.name}`;
      const decision = this.opts.policy.decide(subject);
      if (!decision.allowed) throw new Refusal(decision.reason, decision.detail, 403, 'access_denied');
      const ttl = this.opts.credentialTtlSeconds ?? 300;
      const username = `sts.${subject.namespace}.${subject.name}`.slice(0, 50).replace(/[^A-Za-z0-9._-]/g, '-') + `.${randomBytes(4).toString('hex')}`;
      const cred = this.opts.tokens.addUser(username, { repositories: decision.rule.repositories, ttlSeconds: ttl, origin: 'sts' });
      const accessToken = Buffer.from(`${cred.username}:${cred.password}`).toString('base64');
      registerSecret(accessToken);
      this.record({ at, identity, pod, decision: 'issued', reason: 'issued', detail: `granted ${decision.rule.repositories.join(', ') || 'nothing'} for ${ttl}s`, status: 200, username, repositories: decision.rule.repositories, latencyMs: performance.now() - t0 });
      this.reply(res, 200, {
        access_token: accessToken, issued_token_type: REGISTRY_BASIC_TOKEN_TYPE, token_type: 'N_A', expires_in: ttl,
        scope: decision.rule.repositories.map((r) => `repository:${r}:pull`).join(' '),
      });
    } catch (err) {
      const r = toRefusal(err);
      this.record({ at, identity, decision: 'refused', reason: r.reason, detail: r.message, status: r.status, latencyMs: performance.now() - t0 });
      this.reply(res, r.status, { error: r.oauthError, error_description: `${r.reason}: ${r.message}` });
    }
  }

  private async verify(form: URLSearchParams, token: string): Promise<{ subject: Subject; pod?: string }> {
    if (form.get('grant_type') !== TOKEN_EXCHANGE_GRANT) throw new Refusal('unsupported-grant-type', `grant_type must be ${TOKEN_EXCHANGE_GRANT}`, 400, 'unsupported_grant_type');
    if (!token) throw new Refusal('bad-request', 'subject_token is required', 400, 'invalid_request');
    const tokenType = form.get('subject_token_type');
    if (tokenType !== JWT_TOKEN_TYPE) throw new Refusal('unsupported-token-type', `subject_token_type must be ${JWT_TOKEN_TYPE}`, 400, 'invalid_request');
    let annotations: Record<string, string> = {};
    const rawAnnotations = form.get('service_account_annotations');
    if (rawAnnotations) {
      try {
        const parsed = JSON.parse(rawAnnotations) as unknown;
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) throw new Error('not a string map');
        annotations = parsed as Record<string, string>;
      } catch {
        throw new Refusal('bad-request', 'service_account_annotations must be a JSON object of strings', 400, 'invalid_request');
      }
    }
    const verified = await verifyServiceAccountToken(token, {
      keys: this.keys, issuer: this.opts.issuer, audience: this.opts.audience, leewaySeconds: this.opts.leewaySeconds,
      skewSeconds: this.skewSeconds, requirePodBinding: this.opts.requirePodBinding,
    });
    verified.subject.annotations = annotations;
    return verified;
  }

  private record(e: StsExchange): void {
    this.exchanges.push(e);
  }
}

export interface TokenCheck {
  keys: JwksCache;
  /** Expected `iss`. */
  issuer: string;
  /** An audience the token's `aud` must contain. */
  audience: string;
  /** Tolerance on exp/nbf. Default 30 s. */
  leewaySeconds?: number;
  /** The verifier's clock runs this many seconds ahead (a fault). Default 0. */
  skewSeconds?: number;
  /** Require the pod binding (kubernetes.io.pod), as every kubelet-requested token has. Default true. */
  requirePodBinding?: boolean;
}

/**
 * Verifies a projected service-account token as every pullproof token exchange does (this STS and the
 * AWS STS emulation): signature against the JWKS, iss, aud, exp/nbf with leeway, the kubernetes.io
 * claims, `sub` naming the same service account, and the pod binding. Throws a Refusal.
 */
export async function verifyServiceAccountToken(token: string, o: TokenCheck): Promise<{ subject: Subject; pod?: string; payload: JWTPayload }> {
  try {
    const { payload } = await jwtVerify(token, o.keys.resolve, {
      issuer: o.issuer,
      audience: o.audience,
      clockTolerance: o.leewaySeconds ?? 30,
      currentDate: new Date(Date.now() + (o.skewSeconds ?? 0) * 1000),
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256'],
      requiredClaims: ['exp', 'sub'],
    });
    return { ...subjectOf(payload, o.requirePodBinding ?? true), payload };
  } catch (err) {
    throw toRefusal(err);
  }
}

function subjectOf(payload: JWTPayload, requirePod: boolean): { subject: Subject; pod?: string } {
  const k = payload['kubernetes.io'] as KubernetesClaims | undefined;
  const ns = k?.namespace;
  const name = k?.serviceaccount?.name;
  const uid = k?.serviceaccount?.uid;
  if (!ns || !name || !uid) throw new Refusal('missing-kubernetes-claims', 'kubernetes.io.namespace, serviceaccount.name and serviceaccount.uid are required');
  if (payload.sub !== `system:serviceaccount:${ns}:${name}`) throw new Refusal('subject-mismatch', `sub does not name service account ${ns}/${name}`);
  if (requirePod && (!k.pod?.name || !k.pod.uid)) throw new Refusal('missing-kubernetes-claims', 'the token is not bound to a pod (kubernetes.io.pod name and uid); the kubelet always binds it');
  return { subject: { namespace: ns, name, uid, annotations: {} }, pod: k.pod?.name ? `${ns}/${k.pod.name}` : undefined };
}
