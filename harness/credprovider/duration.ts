// Go's time.ParseDuration and Duration.String, which is how the kubelet reads `defaultCacheDuration`
// and `cacheDuration` (metav1.Duration) and how plugins are expected to write them.

const UNITS: Record<string, number> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};
const MAX_NS = 2 ** 63 - 1;

/** Nanoseconds, or an Error whose message matches Go's (`time: invalid duration "x"`). */
export function parseGoDuration(text: string): number {
  const invalid = (): Error => new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  const part = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/u;
  while (s !== '') {
    const m = part.exec(s);
    if (!m) {
      if (/^[\d.]+$/.test(s)) throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
      throw invalid();
    }
    const [whole, int = '', frac, unitName = ''] = m;
    if (int === '' && (frac === undefined || frac === '')) throw invalid();
    const unit = UNITS[unitName];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(text)}`);
    total += Number(`${int || '0'}.${frac || '0'}`) * unit;
    if (total > MAX_NS) throw invalid();
    s = s.slice(whole.length);
  }
  return sign * Math.round(total);
}

/** Go's Duration.String for whole milliseconds and up: "10m0s", "1h0m0s", "1.5s", "0s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const seconds = (rest / 1000).toString();
  let out = `${seconds}s`;
  if (h > 0 || m > 0) out = `${m}m${out}`;
  if (h > 0) out = `${h}h${out}`;
  return (neg ? '-' : '') + out;
}
