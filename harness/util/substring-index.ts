// Finds every occurrence of many fixed strings in one pass over a text, and takes new strings at any
// time at O(1) cost each (secrets are registered all through a run: every issued token is one).
//
// Multi-pattern Rabin-Karp anchored on each pattern's LAST `WINDOW` characters: a rolling hash of the
// text's last WINDOW characters is tested against a bit filter, and only on a hit are the patterns with
// that anchor compared. Anchoring on the end, not the start, matters: many encoded secrets share their
// beginning (every JWT starts `eyJhbGciOi...`, base64 of one JWT header), while their ends are random.
//
// Patterns longer than LONG (a 1.2 kB registry token with its x5c chain, and its base64 forms) are not
// kept whole: only their first and last LONG characters are, with the whole pattern's length and hash.
// Either window found removes itself, and the whole pattern around it when the hash matches, so 10,000
// tokens cost megabytes, not the hundreds they would whole, and a cut-off copy of a token still loses
// its ends. Measured against an npm Aho-Corasick library and a combined RegExp in docs/reliability.md.

/** Every pattern is at least this long (shorter ones are refused by add()). */
export const WINDOW = 6;
/** Longer patterns are kept as their first and last LONG characters plus length and hash. */
export const LONG = 64;

// 2^22 bits (512 kB): 10,000 secrets in ~16 forms each fill ~4% of it, and it stays in the CPU cache.
const FILTER_BITS = 22;
const MULT = 0x01000193;
const MIX = 0x9e3779b1;

// MULT^(WINDOW-1) mod 2^32, to take the oldest character out of the rolling hash.
let OUT_FACTOR = 1;
for (let i = 0; i < WINDOW - 1; i++) OUT_FACTOR = Math.imul(OUT_FACTOR, MULT);

function windowHash(s: string, from: number): number {
  let h = 0;
  for (let j = from; j < from + WINDOW; j++) h = (Math.imul(h, MULT) + s.charCodeAt(j)) | 0;
  return h;
}

/** FNV-1a over a range, for confirming a long pattern without keeping it. */
function rangeHash(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let j = from; j < to; j++) h = Math.imul(h ^ s.charCodeAt(j), 0x01000193);
  return h | 0;
}

/** A flat copy: V8's slices and concatenations keep the whole source string alive. */
function detach(s: string): string {
  return s.split('').join('');
}

interface Entry {
  /** The text to find: a whole pattern, or a window of a long one. */
  window: string;
  /** For a window of a long pattern: where the window sits in it, and the whole pattern's length and hash. */
  whole?: { offset: number; length: number; hash: number };
}

export class SubstringIndex {
  private readonly filter = new Uint32Array((1 << FILTER_BITS) >>> 5);
  private readonly byAnchor = new Map<number, Entry[]>();
  private readonly keys = new Set<string>();

  get size(): number {
    return this.keys.size;
  }

  /** Adds a pattern (at least WINDOW characters; shorter ones are ignored and false is returned). */
  add(pattern: string): boolean {
    if (pattern.length < WINDOW) return false;
    if (pattern.length <= LONG) {
      if (this.keys.has(pattern)) return false;
      this.keys.add(pattern);
      this.insert({ window: pattern });
      return true;
    }
    const hash = rangeHash(pattern, 0, pattern.length);
    const head = detach(pattern.slice(0, LONG));
    const tail = detach(pattern.slice(-LONG));
    const key = detach(`${pattern.length}:${hash}:${head}`);
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.insert({ window: head, whole: { offset: 0, length: pattern.length, hash } });
    this.insert({ window: tail, whole: { offset: pattern.length - LONG, length: pattern.length, hash } });
    return true;
  }

  private insert(e: Entry): void {
    const h = windowHash(e.window, e.window.length - WINDOW);
    const slot = Math.imul(h, MIX) >>> (32 - FILTER_BITS);
    this.filter[slot >>> 5] = (this.filter[slot >>> 5] ?? 0) | (1 << (slot & 31));
    const bucket = this.byAnchor.get(h);
    if (bucket) bucket.push(e);
    else this.byAnchor.set(h, [e]);
  }

  /**
   * Ranges [start, end) covering every occurrence of every pattern, overlapping and adjacent ones
   * merged, in text order. Overlaps are merged rather than resolved leftmost-first, so a secret that
   * starts inside another one is removed whole too.
   */
  find(text: string): [number, number][] {
    const n = text.length;
    const hits: [number, number][] = [];
    if (n < WINDOW || this.keys.size === 0) return hits;
    // Locals and the slot computation inlined: this loop runs once per character of the text.
    const filter = this.filter;
    const byAnchor = this.byAnchor;
    let h = windowHash(text, 0);
    for (let end = WINDOW; ; end++) {
      const slot = Math.imul(h, MIX) >>> (32 - FILTER_BITS);
      if (((filter[slot >>> 5] as number) >>> (slot & 31)) & 1) {
        const bucket = byAnchor.get(h);
        if (bucket !== undefined) {
          for (const e of bucket) {
            const start = end - e.window.length;
            if (start < 0 || !text.startsWith(e.window, start)) continue;
            hits.push([start, end]);
            const w = e.whole;
            if (w) {
              const from = start - w.offset;
              if (from >= 0 && from + w.length <= n && rangeHash(text, from, from + w.length) === w.hash) hits.push([from, from + w.length]);
            }
          }
        }
      }
      if (end === n) break;
      h = (Math.imul(h - Math.imul(text.charCodeAt(end - WINDOW), OUT_FACTOR), MULT) + text.charCodeAt(end)) | 0;
    }
    if (hits.length < 2) return hits;
    hits.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [hits[0] as [number, number]];
    for (const [s, e] of hits.slice(1)) {
      const last = merged[merged.length - 1] as [number, number];
      if (s <= last[1]) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    return merged;
  }
}

/** Replaces each range (sorted, disjoint) of text with the marker. */
export function replaceRanges(text: string, ranges: readonly [number, number][], marker: string): string {
  if (ranges.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [s, e] of ranges) {
    out += text.slice(at, s) + marker;
    at = e;
  }
  return out + text.slice(at);
}
