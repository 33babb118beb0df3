// Checks an AWS Signature Version 4 request signature for real: the request is signed again with the
// secret of the access key it names, by AWS's own signer (@smithy/signature-v4, what the AWS SDK for
// JavaScript signs with), over exactly the headers the client listed, and the two signatures compared.
import { timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

export interface SigV4Authorization {
  accessKeyId: string;
  /** yyyymmdd from the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ecr/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(header: string | undefined): SigV4Authorization | undefined {
  if (!header?.startsWith(`${SIGV4_ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const scope = (fields.get('Credential') ?? '').split('/');
  const signedHeaders = (fields.get('SignedHeaders') ?? '').split(';').filter(Boolean);
  const signature = fields.get('Signature') ?? '';
  const [accessKeyId, date, region, service, terminator] = scope;
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || scope.length !== 5) return undefined;
  if (signedHeaders.length === 0 || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  return { accessKeyId, date, region, service, signedHeaders, signature };
}

/** X-Amz-Date (yyyymmddThhmmssZ) as a Date, or undefined. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export interface SignedRequest {
  method: string;
  /** Path and query as received, e.g. "/" or "/?Action=..." */
  url: string;
  /** Lower-case header names, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SigningSecret {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** True when the request's signature is the one its access key's secret produces. */
export async function signatureMatches(req: SignedRequest, auth: SigV4Authorization, secret: SigningSecret, signingDate: Date): Promise<boolean> {
  const url = new URL(req.url, 'https://aws.invalid');
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const v = req.headers[name];
    if (v === undefined) return false;
    headers[name] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    query[key] = all.length === 1 ? (all[0] as string) : all;
  }
  const signer = new SignatureV4({
    service: auth.service, region: auth.region, sha256: Hash.bind(null, 'sha256'), applyChecksum: false,
    // The signer adds the session token header itself; only when the client signed one (the caller
    // compares its value with the session's).
    credentials: { accessKeyId: secret.accessKeyId, secretAccessKey: secret.secretAccessKey, sessionToken: auth.signedHeaders.includes('x-amz-security-token') ? secret.sessionToken : undefined },
  });
  const signed = await signer.sign({
    method: req.method, protocol: 'https:', hostname: (headers.host ?? '').replace(/:\d+$/, ''), path: url.pathname, query, headers, body: req.body,
  }, { signingDate, signableHeaders: new Set(auth.signedHeaders) });
  const expected = parseAuthorization(String(signed.headers.authorization ?? signed.headers.Authorization ?? ''));
  if (!expected || expected.signedHeaders.join(';') !== auth.signedHeaders.join(';')) return false;
  return timingSafeEqual(Buffer.from(expected.signature), Buffer.from(auth.signature));
}
