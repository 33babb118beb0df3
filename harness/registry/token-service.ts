// The Docker registry token service (docs: distribution "Token Authentication Specification").
// Basic credentials in (GET with an Authorization header, or the OAuth2 password-grant POST form that
// containerd tries first), a scoped JWT out: ES256, an x5c chain that verifies against the registry's
// rootcertbundle, no jwk header and no kid, `aud` as a string (accepted by distribution 2.8 and v3).
// Users are added and revoked at run time; revocation is enforced here, at the next token request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpsService, replyJson } from '../util/https-service.ts';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import type { IssuedCert } from '../pki/authority.ts';
import { generatePassword, registerSecret } from '../util/secrets.ts';

export type Action = 'pull' | 'push' | 'delete' | '*';

export interface UserSpec {
  /** Repository patterns this user may use: exact names, or a prefix ending in "/*", or "*". */
  repositories: string[];
  actions?: Action[];
  password?: string;
  /** Seconds until the credential stops working (the STS issues short-lived users). */
  ttlSeconds?: number;
  /** Who created it: a static pull-secret user, the harness itself, or the STS. */
  origin?: 'static' | 'admin' | 'sts';
  /**
   * The name the client signs in with, when many users share one (ECR hands every caller the user
   * name "AWS"): such users are told apart by their password, and recorded under their own name.
   */
  login?: string;
}

interface UserState {
  passwordSha256: Buffer;
  repositories: string[];
  actions: Action[];
  expiresAt?: number;
  revoked: boolean;
  origin: 'static' | 'admin' | 'sts';
  login?: string;
}

export interface Credential {
  username: string;
  password: string;
}

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenDecision {
  at: string;
  method: string;
  identity: string;
  outcome: 'issued' | 'bad-credentials' | 'revoked' | 'expired' | 'bad-request';
  requested: AccessEntry[];
  granted: AccessEntry[];
}

export interface TokenServiceOptions {
  signer: IssuedCert;
  issuer: string;
  service: string;
  tls: { cert: string; key: string };
  listenHost: string;
  listenPort?: number;
  tokenTtlSeconds?: number;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function repositoryMatches(pattern: string, repository: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return repository.startsWith(pattern.slice(0, -1));
  return pattern === repository;
}

/** Parses `repository:name:pull,push` scopes; names may contain ':' only in the registry-host form, never here. */
export function parseScopes(scopes: string[]): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const scope of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
    const first = scope.indexOf(':');
    const last = scope.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    out.push({ type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) });
  }
  return out;
}

export class TokenService {
  private readonly users = new Map<string, UserState>();
  private readonly publicRepositories: string[] = [];
  /** Exceptions to the public patterns: need credentials although a public pattern matches (private images under a mirror prefix). */
  private readonly privateRepositories: string[] = [];
  private readonly http: HttpsService;
  readonly decisions: TokenDecision[] = [];

  private readonly opts: TokenServiceOptions;

  constructor(opts: TokenServiceOptions) {
    this.opts = opts;
    this.http = new HttpsService({
      tls: opts.tls, host: opts.listenHost, port: opts.listenPort,
      handle: (req, res) => this.handle(req, res),
      errorBody: (err) => ({ errors: [{ code: 'UNKNOWN', message: err.message }] }),
    });
  }

  get url(): string {
    return `https://${this.opts.listenHost}:${this.http.port}`;
  }

  get listenPort(): number {
    return this.http.port;
  }

  get issuer(): string {
    return this.opts.issuer;
  }

  get service(): string {
    return this.opts.service;
  }

  /** Repositories anyone may pull without credentials (the system images of the node mirror). */
  addPublicRepositories(...patterns: string[]): void {
    this.publicRepositories.push(...patterns);
  }

  /** Repositories that need credentials even where a public pattern (mirror/*) matches them. */
  addPrivateRepositories(...patterns: string[]): void {
    this.privateRepositories.push(...patterns);
  }

  addUser(username: string, spec: UserSpec): Credential {
    for (const name of [username, ...(spec.login !== undefined ? [spec.login] : [])]) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
        throw new Error(`user name ${JSON.stringify(name)} must be 1-64 characters of [A-Za-z0-9._-]`);
      }
    }
    const password = spec.password ?? generatePassword();
    registerSecret(password);
    this.users.set(username, {
      passwordSha256: sha256(password),
      repositories: spec.repositories,
      actions: spec.actions ?? ['pull'],
      expiresAt: spec.ttlSeconds !== undefined ? Date.now() + spec.ttlSeconds * 1000 : undefined,
      revoked: false,
      origin: spec.origin ?? 'static',
      login: spec.login,
    });
    return { username, password };
  }

  /** Revokes a credential: every later token request with it is refused (tokens already issued live out their TTL). */
  revokeUser(username: string): void {
    const u = this.users.get(username);
    if (!u) throw new Error(`no user ${username} to revoke`);
    u.revoked = true;
  }

  hasUser(username: string): boolean {
    return this.users.has(username);
  }

  userCount(): number {
    return this.users.size;
  }

  async start(): Promise<void> {
    await this.http.start();
  }

  async stop(): Promise<void> {
    await this.http.stop();
  }

  private reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    replyJson(res, status, body, headers);
  }


  private authenticate(username: string | undefined, password: string | undefined):
    { identity: string; state?: UserState; failure?: TokenDecision['outcome'] } {
    if (username === undefined || username === '') return { identity: 'anonymous' };
    const given = sha256(password ?? '');
    let state = this.users.get(username);
    if (!state || state.login !== undefined) {
      // A shared login name: the password says which user it is.
      const shared = [...this.users].find(([, s]) => s.login === username && timingSafeEqual(s.passwordSha256, given));
      if (shared) [username, state] = shared;
      else state = undefined;
    }
    if (!state || !timingSafeEqual(state.passwordSha256, given)) return { identity: username, failure: 'bad-credentials' };
    if (state.revoked) return { identity: username, failure: 'revoked' };
    if (state.expiresAt !== undefined && Date.now() > state.expiresAt) return { identity: username, failure: 'expired' };
    return { identity: username, state };
  }

  private grant(state: UserState | undefined, requested: AccessEntry[]): AccessEntry[] {
    const granted: AccessEntry[] = [];
    for (const r of requested) {
      if (r.type !== 'repository') continue;
      let allowed: string[] = [];
      if (state && state.repositories.some((p) => repositoryMatches(p, r.name))) {
        allowed = r.actions.filter((a) => state.actions.includes('*') || state.actions.includes(a as Action));
      }
      if (r.actions.includes('pull') && !allowed.includes('pull') && this.publicRepositories.some((p) => repositoryMatches(p, r.name)) && !this.privateRepositories.some((p) => repositoryMatches(p, r.name))) {
        allowed.push('pull');
      }
      if (allowed.length > 0) granted.push({ type: 'repository', name: r.name, actions: allowed });
    }
    return granted;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://token.invalid');
    if (url.pathname !== '/token') {
      this.reply(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'the token endpoint is /token' }] });
      return;
    }
    let username: string | undefined;
    let password: string | undefined;
    let scopes: string[];
    let service: string | null;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (form.get('grant_type') !== 'password') {
        // containerd falls back to GET with Basic auth on 400/401/404/405.
        this.record(req, 'anonymous', 'bad-request', [], []);
        this.reply(res, 400, { error: 'unsupported_grant_type' });
        return;
      }
      username = form.get('username') ?? undefined;
      password = form.get('password') ?? undefined;
      scopes = form.getAll('scope');
      service = form.get('service');
    } else if (req.method === 'GET') {
      const auth = req.headers.authorization;
      if (auth?.toLowerCase().startsWith('basic ')) {
        const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        username = colon < 0 ? decoded : decoded.slice(0, colon);
        password = colon < 0 ? '' : decoded.slice(colon + 1);
      }
      scopes = url.searchParams.getAll('scope');
      service = url.searchParams.get('service');
    } else {
      this.reply(res, 405, { errors: [{ code: 'UNSUPPORTED', message: 'GET or POST' }] });
      return;
    }
    const requested = parseScopes(scopes);
    if (service !== null && service !== this.opts.service) {
      this.record(req, username ?? 'anonymous', 'bad-request', requested, []);
      this.reply(res, 400, { errors: [{ code: 'INVALID_SERVICE', message: `this token service issues tokens for service ${this.opts.service}` }] });
      return;
    }
    const auth = this.authenticate(username, password);
    if (auth.failure) {
      this.record(req, auth.identity, auth.failure, requested, []);
      this.reply(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
        { 'www-authenticate': 'Basic realm="pullproof"' });
      return;
    }
    const granted = this.grant(auth.state, requested);
    const now = Math.floor(Date.now() / 1000);
    const ttl = this.opts.tokenTtlSeconds ?? 300;
    const token = await new SignJWT({ access: granted })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [this.opts.signer.derBase64] })
      .setIssuer(this.opts.issuer)
      .setSubject(auth.identity === 'anonymous' ? '' : auth.identity)
      .setAudience(this.opts.service)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(this.opts.signer.privateKey);
    registerSecret(token);
    this.record(req, auth.identity, 'issued', requested, granted);
    this.reply(res, 200, { token, access_token: token, expires_in: ttl, issued_at: new Date(now * 1000).toISOString() });
  }

  private record(req: IncomingMessage, identity: string, outcome: TokenDecision['outcome'], requested: AccessEntry[], granted: AccessEntry[]): void {
    this.decisions.push({ at: new Date().toISOString(), method: req.method ?? 'GET', identity, outcome, requested, granted });
  }
}
