// Temporary AWS credentials the STS emulation issues (AccessKeyId, SecretAccessKey, SessionToken) and
// the ECR emulation checks request signatures against. Shaped like AWS's: "ASIA" + 16 base32
// characters, a 40-character secret, an opaque session token. Secrets are registered for redaction.
import { randomBytes, randomInt } from 'node:crypto';
import { registerSecret } from '../../util/secrets.ts';

export interface AwsSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  roleArn: string;
  account: string;
  roleName: string;
  sessionName: string;
  /** The service account the web identity token named, "namespace/name". */
  subject: string;
  revoked: boolean;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function pick(alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export class SessionStore {
  private readonly sessions = new Map<string, AwsSession>();

  issue(o: Omit<AwsSession, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiresAt' | 'revoked'> & { ttlSeconds: number }): AwsSession {
    const { ttlSeconds, ...rest } = o;
    const session: AwsSession = {
      ...rest,
      accessKeyId: `ASIA${pick(BASE32, 16)}`,
      secretAccessKey: pick(SECRET_CHARS, 40),
      sessionToken: randomBytes(192).toString('base64'),
      expiresAt: Date.now() + ttlSeconds * 1000,
      revoked: false,
    };
    registerSecret(session.secretAccessKey);
    registerSecret(session.sessionToken);
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  get(accessKeyId: string): AwsSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** Every later request signed with this key is refused. */
  revoke(accessKeyId: string): void {
    const s = this.sessions.get(accessKeyId);
    if (!s) throw new Error(`no AWS session ${accessKeyId} to revoke`);
    s.revoked = true;
  }

  list(): readonly AwsSession[] {
    return [...this.sessions.values()];
  }
}
