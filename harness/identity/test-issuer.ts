// A stand-in for the API server's service-account token issuer, for runs without a cluster: an RSA key
// pair (RS256, as kube-apiserver signs by default) and a signer that mints tokens shaped like the
// projected service-account tokens the kubelet requests for a pod (KEP-4412: audience, pod binding,
// the kubernetes.io claims). The tokens are real JWTs; the STS verifies them against this issuer's JWKS.
import { randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { registerSecret } from '../util/secrets.ts';

export const KIND_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccountRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface MintOptions {
  audience: string | string[];
  serviceAccount: ServiceAccountRef;
  pod?: { name: string; uid: string };
  node?: { name: string; uid: string };
  /** Seconds from now; negative for an already expired token. Default 3600 (the TokenRequest default). */
  expiresInSeconds?: number;
  /** Seconds from now for iat and nbf (negative: in the past). Default 0. */
  issuedAtOffsetSeconds?: number;
  /** Override iss (to produce a wrong-issuer token). */
  issuer?: string;
  /** Override the header kid (an impostor key claiming a trusted key's id: a wrong signature). */
  kid?: string;
}

export class TestIssuer {
  readonly issuer: string;
  readonly kid: string;
  private readonly privateKey: CryptoKey;
  private readonly publicJwk: JWK;
  private readonly privateJwk: JWK;

  private constructor(issuer: string, kid: string, privateKey: CryptoKey, publicJwk: JWK, privateJwk: JWK) {
    this.issuer = issuer;
    this.kid = kid;
    this.privateKey = privateKey;
    this.publicJwk = publicJwk;
    this.privateJwk = privateJwk;
  }

  static async create(issuer = KIND_ISSUER): Promise<TestIssuer> {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    return TestIssuer.fromPrivateJwk(await exportJWK(privateKey), issuer);
  }

  /** Loads a key written by exportPrivateJwk (e.g. `pullproof certify --issuer-key`). */
  static async fromPrivateJwk(jwk: JWK, issuer = KIND_ISSUER): Promise<TestIssuer> {
    if (jwk.kty !== 'RSA' || !jwk.d) throw new Error('the issuer key must be an RSA private JWK (kty RSA with d)');
    const privateKey = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256', { extractable: true })) as CryptoKey;
    const publicJwk: JWK = { kty: 'RSA', n: jwk.n, e: jwk.e };
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = { ...jwk, alg: 'RS256', kid };
    registerSecret(jwk.d);
    return new TestIssuer(issuer, kid, privateKey, { ...publicJwk, alg: 'RS256', use: 'sig', kid }, privateJwk);
  }

  /** The private key as a JWK (a secret: write it only to mode-0600 files in a work folder). */
  exportPrivateJwk(): JWK {
    return { ...this.privateJwk };
  }

  /** The public keys, shaped like the API server's /openid/v1/jwks. */
  jwks(): JSONWebKeySet {
    return { keys: [{ ...this.publicJwk }] };
  }

  async mint(o: MintOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000) + (o.issuedAtOffsetSeconds ?? 0);
    const exp = Math.floor(Date.now() / 1000) + (o.expiresInSeconds ?? 3600);
    const k8s: Record<string, unknown> = {
      namespace: o.serviceAccount.namespace,
      serviceaccount: { name: o.serviceAccount.name, uid: o.serviceAccount.uid },
    };
    if (o.pod) k8s.pod = { name: o.pod.name, uid: o.pod.uid };
    if (o.node) k8s.node = { name: o.node.name, uid: o.node.uid };
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? this.kid })
      .setIssuer(o.issuer ?? this.issuer)
      .setSubject(`system:serviceaccount:${o.serviceAccount.namespace}:${o.serviceAccount.name}`)
      .setAudience(Array.isArray(o.audience) ? o.audience : [o.audience]) // always a list, as the API server writes it
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.privateKey);
    registerSecret(token);
    return token;
  }
}

/** A fresh service-account identity with random UIDs (a pod bound to it, as the kubelet requests). */
export function sampleServiceAccount(namespace: string, name: string): { serviceAccount: ServiceAccountRef; pod: { name: string; uid: string } } {
  return { serviceAccount: { namespace, name, uid: randomUUID() }, pod: { name: `${name}-pod`, uid: randomUUID() } };
}
