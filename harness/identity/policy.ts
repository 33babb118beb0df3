// Which service accounts the STS trusts, and with which repositories. A rule names a namespace and a
// service account and may pin its UID (so a recreated service account is a different identity) and
// require annotation values (as forwarded by the plugin from the kubelet's request).

export interface PolicyRule {
  namespace: string;
  serviceAccount: string;
  /** If set, only the service account with this UID. */
  uid?: string;
  /** If set, each of these annotations must be present with this value. */
  annotations?: Record<string, string>;
  /** Repository patterns granted (token-service syntax: exact, "prefix/*" or "*"). */
  repositories: string[];
}

export interface Subject {
  namespace: string;
  name: string;
  uid: string;
  annotations: Record<string, string>;
}

export type PolicyDecision =
  | { allowed: true; rule: PolicyRule }
  | { allowed: false; reason: 'unknown-service-account' | 'uid-mismatch' | 'annotation-mismatch'; detail: string };

export class StsPolicy {
  private readonly rules: PolicyRule[];

  constructor(rules: PolicyRule[] = []) {
    this.rules = [...rules];
  }

  allow(rule: PolicyRule): void {
    this.rules.push(rule);
  }

  /** Removes every rule for this service account (later exchanges are refused). */
  forbid(namespace: string, serviceAccount: string): void {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const r = this.rules[i] as PolicyRule;
      if (r.namespace === namespace && r.serviceAccount === serviceAccount) this.rules.splice(i, 1);
    }
  }

  list(): readonly PolicyRule[] {
    return this.rules;
  }

  decide(s: Subject): PolicyDecision {
    const named = this.rules.filter((r) => r.namespace === s.namespace && r.serviceAccount === s.name);
    if (named.length === 0) return { allowed: false, reason: 'unknown-service-account', detail: `no policy for service account ${s.namespace}/${s.name}` };
    const byUid = named.filter((r) => r.uid === undefined || r.uid === s.uid);
    if (byUid.length === 0) return { allowed: false, reason: 'uid-mismatch', detail: `service account ${s.namespace}/${s.name} has uid ${s.uid}, the policy names another (was it recreated?)` };
    const rule = byUid.find((r) => Object.entries(r.annotations ?? {}).every(([k, v]) => s.annotations[k] === v));
    if (!rule) return { allowed: false, reason: 'annotation-mismatch', detail: `service account ${s.namespace}/${s.name} lacks the annotations its policy requires` };
    return { allowed: true, rule };
  }
}
