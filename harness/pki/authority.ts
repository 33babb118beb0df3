// A certificate authority generated for each run: TLS certificates for the registry, the token
// service, the fault proxy and the STS, and the token-signing certificate whose chain the registry
// trusts through its rootcertbundle. Nothing here is ever written to git; keys live in memory and in
// the run's private work folder only.
import { webcrypto, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { registerSecret } from '../util/secrets.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface IssuedCert {
  cert: x509.X509Certificate;
  certPem: string;
  keyPem: string;
  privateKey: CryptoKey;
  /** base64 DER of the certificate, as used in a JWS x5c header. */
  derBase64: string;
}

export interface IssueRequest {
  commonName: string;
  /** DNS names and IP addresses that clients may use to reach the server. */
  hosts?: string[];
  purpose: 'server' | 'client' | 'signing';
  validDays?: number;
}

async function toPkcs8Pem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  const pem = x509.PemConverter.encode(der, 'PRIVATE KEY');
  registerSecret(pem);
  return pem;
}

export class CertificateAuthority {
  readonly root: x509.X509Certificate;
  readonly certPem: string;
  private readonly rootKey: CryptoKey;

  private constructor(root: x509.X509Certificate, rootKey: CryptoKey, certPem: string) {
    this.root = root;
    this.rootKey = rootKey;
    this.certPem = certPem;
  }

  static async create(name: string, validDays = 2): Promise<CertificateAuthority> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const notBefore = new Date(Date.now() - 5 * 60_000);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: `CN=${name}, O=pullproof`,
      keys,
      notBefore,
      notAfter: new Date(Date.now() + validDays * 86_400_000),
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(cert, keys.privateKey, cert.toString('pem'));
  }

  async issue(req: IssueRequest): Promise<IssuedCert> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const hosts = req.hosts ?? [];
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(this.root),
    ];
    if (req.purpose === 'signing') {
      extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true));
    } else {
      extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true));
      extensions.push(new x509.ExtendedKeyUsageExtension(
        [req.purpose === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false));
    }
    if (hosts.length > 0) {
      extensions.push(new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })), false));
    }
    const cert = await x509.X509CertificateGenerator.create({
      subject: `CN=${req.commonName}, O=pullproof`,
      issuer: this.root.subject,
      publicKey: keys.publicKey,
      signingKey: this.rootKey,
      signingAlgorithm: SIGNING,
      notBefore: new Date(Date.now() - 5 * 60_000),
      notAfter: new Date(Date.now() + (req.validDays ?? 2) * 86_400_000),
      extensions,
    });
    return {
      cert,
      certPem: cert.toString('pem'),
      keyPem: await toPkcs8Pem(keys.privateKey),
      privateKey: keys.privateKey,
      derBase64: Buffer.from(cert.rawData).toString('base64'),
    };
  }

  /** SHA-256 fingerprint of the root, for logs and reports (not a secret). */
  fingerprint(): string {
    return createHash('sha256').update(Buffer.from(this.root.rawData)).digest('hex');
  }
}
