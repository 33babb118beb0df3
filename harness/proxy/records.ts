// The source of truth for traffic: every request that passes a fault proxy (registry, token service,
// STS) becomes one record, tagged with the scenario that was active when it arrived. Suites assert
// on these ("no manifest request was made", "exactly one token fetch") and the bench counts round trips.

export type Target = 'registry' | 'token' | 'sts';
export type RequestKind =
  | 'base' | 'manifest' | 'blob' | 'upload' | 'tags' | 'catalog' | 'token' | 'exchange' | 'other';

export interface RequestRecord {
  seq: number;
  target: Target;
  scenario: string;
  /** ISO time the request arrived at the proxy. */
  at: string;
  method: string;
  path: string;
  kind: RequestKind;
  repository?: string;
  reference?: string;
  status: number;
  durationMs: number;
  /** Who asked: the token's `sub` for registry requests, the Basic/form user for token requests. */
  identity: string;
  /** Credentials the request carried: none (a challenge probe or an anonymous request), basic/form, or a bearer token. */
  auth?: 'none' | 'basic' | 'bearer' | 'form';
  /** Set when the proxy answered or delayed this request itself. */
  fault?: string;
  /** Client address (a kind node, the harness). */
  client?: string;
}

export interface RecordFilter {
  target?: Target;
  scenario?: string;
  kind?: RequestKind;
  method?: string;
  repository?: string;
  identity?: string;
  status?: number;
  since?: number;
}

export class RequestLog {
  private readonly items: RequestRecord[] = [];
  private current = 'unscoped';
  private seq = 0;
  private listeners = new Set<(r: RequestRecord) => void>();

  /** Everything recorded from now on belongs to this scenario. */
  setScenario(name: string): void {
    this.current = name;
  }

  get scenario(): string {
    return this.current;
  }

  add(record: Omit<RequestRecord, 'seq' | 'scenario'>): RequestRecord {
    const full: RequestRecord = { seq: ++this.seq, scenario: this.current, ...record };
    this.items.push(full);
    for (const l of this.listeners) l(full);
    return full;
  }

  onRecord(listener: (r: RequestRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sequence number of the last record; pass it as `since` to see only what follows. */
  get cursor(): number {
    return this.seq;
  }

  query(filter: RecordFilter = {}): RequestRecord[] {
    return this.items.filter((r) =>
      (filter.target === undefined || r.target === filter.target) &&
      (filter.scenario === undefined || r.scenario === filter.scenario) &&
      (filter.kind === undefined || r.kind === filter.kind) &&
      (filter.method === undefined || r.method === filter.method) &&
      (filter.repository === undefined || r.repository === filter.repository) &&
      (filter.identity === undefined || r.identity === filter.identity) &&
      (filter.status === undefined || r.status === filter.status) &&
      (filter.since === undefined || r.seq > filter.since));
  }

  all(): readonly RequestRecord[] {
    return this.items;
  }

  toJsonLines(): string {
    return this.items.map((r) => JSON.stringify(r)).join('\n') + (this.items.length ? '\n' : '');
  }
}

const V2_PATH = /^\/v2\/(.+?)\/(manifests|blobs|tags)\/(.+)$/;

/** Classifies a registry API path (OCI distribution spec endpoints). */
export function classifyRegistryPath(path: string): { kind: RequestKind; repository?: string; reference?: string } {
  const p = path.split('?')[0] ?? path;
  if (p === '/v2/' || p === '/v2') return { kind: 'base' };
  if (p.startsWith('/v2/_catalog')) return { kind: 'catalog' };
  const m = V2_PATH.exec(p);
  if (!m) return { kind: 'other' };
  const [, repository, section, rest] = m as unknown as [string, string, string, string];
  if (section === 'manifests') return { kind: 'manifest', repository, reference: decodeURIComponent(rest) };
  if (section === 'tags') return { kind: 'tags', repository };
  if (rest.startsWith('uploads')) return { kind: 'upload', repository };
  return { kind: 'blob', repository, reference: rest };
}
