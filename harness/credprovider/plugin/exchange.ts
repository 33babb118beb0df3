// Client side of the STS token exchange (RFC 8693 shape; see harness/identity/sts.ts): a projected
// service-account token in, registry Basic credentials out. Used by the reference plugin and the
// benchmark. Errors never contain the token or the credential.
import https from 'node:https';

export interface ExchangeRequest {
  /** The STS token endpoint, e.g. https://172.29.1.1:9443/token */
  url: string;
  /** PEM bundle that verifies the STS certificate (undefined: the system roots). */
  ca?: string;
  token: string;
  annotations?: Record<string, string>;
  timeoutMs?: number;
  agent?: https.Agent;
}

export interface ExchangedCredential {
  username: string;
  password: string;
  expiresInSeconds: number;
}

export class ExchangeError extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ExchangeError';
    this.status = status;
  }
}

export function exchangeToken(r: ExchangeRequest): Promise<ExchangedCredential> {
  const form = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: r.token,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
  });
  if (r.annotations && Object.keys(r.annotations).length > 0) form.set('service_account_annotations', JSON.stringify(r.annotations));
  const body = Buffer.from(form.toString());
  const timeoutMs = r.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const req = https.request(r.url, {
      method: 'POST', ca: r.ca, agent: r.agent, timeout: timeoutMs,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length, accept: 'application/json' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => reject(new ExchangeError(`reading the STS answer failed: ${err.message}`)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          reject(new ExchangeError(`the STS at ${r.url} answered ${status} with a body that is not JSON`, status));
          return;
        }
        if (status !== 200) {
          const what = [parsed.error, parsed.error_description].filter((x) => typeof x === 'string').join(': ');
          reject(new ExchangeError(`the STS at ${r.url} refused the exchange (${status}${what ? `, ${what}` : ''})`, status));
          return;
        }
        const accessToken = parsed.access_token;
        if (typeof accessToken !== 'string') {
          reject(new ExchangeError(`the STS at ${r.url} answered 200 without an access_token`, status));
          return;
        }
        const decoded = Buffer.from(accessToken, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon <= 0) {
          reject(new ExchangeError(`the STS at ${r.url} answered an access_token that is not base64("user:password")`, status));
          return;
        }
        const expires = typeof parsed.expires_in === 'number' ? parsed.expires_in : 0;
        resolve({ username: decoded.slice(0, colon), password: decoded.slice(colon + 1), expiresInSeconds: expires });
      });
    });
    req.on('timeout', () => req.destroy(new ExchangeError(`the STS at ${r.url} did not answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof ExchangeError ? err : new ExchangeError(`cannot reach the STS at ${r.url}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    req.end(body);
  });
}
