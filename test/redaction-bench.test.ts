// Redaction stays one pass as secrets accumulate: 10,000 registered secrets (passwords and 1.2 kB
// registry tokens, as a long run issues them) over a 10 MB log with 1,000 of them planted in various
// encodings. Times are printed (docs/reliability.md records them); the test fails if redaction takes
// more than 20 s of CPU, which one pass per secret (the old way: 2 scans of 10 MB per secret, about
// 100 s here) cannot meet, or if any planted secret survives.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { REDACTED, Redactor } from '../harness/util/secrets.ts';

const SECRETS = 10_000;
const LOG_BYTES = 10_000_000;
const PLANTED = 1_000;

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** A token shaped like the registry's: ES256 JWT with an x5c certificate chain in its header (about 1.2 kB). */
function fakeToken(): string {
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', x5c: [randomBytes(560).toString('base64')] })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ iss: 'pullproof', sub: 'tenant-a', aud: 'registry', exp: 1_900_000_000, jti: randomBytes(8).toString('hex'), access: [{ type: 'repository', name: 'tenant-a/app', actions: ['pull'] }] })).toString('base64url');
  return `${header}.${payload}.${randomBytes(64).toString('base64url')}`;
}

const LINES = [
  'I0101 00:00:00.000000    1234 kuberuntime_manager.go:1050] "Pulling image" pod="default/app" image="registry.pullproof.test:5443/tenant-a/app:v1"',
  'time="2024-01-01T00:00:00Z" level=info msg="PullImage \\"registry.pullproof.test:5443/tenant-a/app:v1\\" returns image reference \\"sha256:0123456789abcdef\\""',
  '172.29.1.1 - - [01/Jan/2024:00:00:00 +0000] "GET /v2/tenant-a/app/manifests/v1 HTTP/1.1" 200 1234 "" "containerd/v2.2.0"',
  '{"time":"2024-01-01T00:00:00Z","target":"registry","method":"HEAD","path":"/v2/tenant-a/app/manifests/v1","status":200,"identity":"tenant-a"}',
];

test('10,000 registered secrets over a 10 MB log: one pass, every planted secret gone', (t) => {
  t.timeout(10 * 60_000);
  const r = new Redactor();
  const secrets: string[] = [];
  const heap0 = process.memoryUsage().heapUsed;
  const reg0 = performance.now();
  const regCpu = process.cpuUsage();
  for (let i = 0; i < SECRETS; i++) {
    const s = i % 2 === 0 ? randomBytes(18).toString('base64').replace(/[+/=]/g, 'x') : fakeToken();
    secrets.push(s);
    r.register(s);
  }
  const registerMs = performance.now() - reg0;
  const registerCpu = cpuSeconds(regCpu);
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;

  // The log: ordinary lines, and every 10 kB one secret in one of six encodings.
  const encodings = [
    (s: string) => s,
    (s: string) => `Authorization: Basic ${Buffer.from(`pullproof-admin:${s}`).toString('base64')}`,
    (s: string) => Buffer.from(`no-access:${s}`).toString('base64'),
    (s: string) => JSON.stringify({ password: s }),
    (s: string) => encodeURIComponent(s),
    (s: string) => Buffer.from(JSON.stringify({ auths: { r: { auth: Buffer.from(`tenant-a:${s}`).toString('base64') } } })).toString('base64'),
  ];
  const planted: string[] = [];
  const plantedAt: number[] = [];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < LOG_BYTES; i++) {
    let line = LINES[i % LINES.length] as string;
    if (size >= planted.length * (LOG_BYTES / PLANTED) && planted.length < PLANTED) {
      const enc = (encodings[planted.length % encodings.length] as (s: string) => string)(secrets[(planted.length * 7) % SECRETS] as string);
      planted.push(enc);
      plantedAt.push(i);
      line += ` ${enc}`;
    }
    parts.push(line);
    size += line.length + 1;
  }
  const log = parts.join('\n');

  const wall: number[] = [];
  const cpu: number[] = [];
  let out = '';
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    out = r.redact(log);
    wall.push((performance.now() - w0) / 1000);
    cpu.push(cpuSeconds(c0));
  }
  t.log(`${SECRETS} secrets (${SECRETS / 2} passwords, ${SECRETS / 2} tokens of ~${secrets[1]?.length} chars) registered as ${r.forms} encoded forms in ${(registerMs / 1000).toFixed(2)} s wall, ${registerCpu.toFixed(2)} s CPU; heap +${heapMb.toFixed(0)} MB`);
  t.log(`redacting ${(log.length / 1e6).toFixed(1)} MB with ${planted.length} planted: median of 3 ${median(wall).toFixed(2)} s wall (${wall.map((x) => x.toFixed(2)).join(', ')}), ${median(cpu).toFixed(2)} s CPU (${cpu.map((x) => x.toFixed(2)).join(', ')})`);

  t.is(planted.length, PLANTED);
  // Checked line by line (redaction keeps the line structure): 1,000 scans of 10 MB would take minutes.
  const outLines = out.split('\n');
  t.is(outLines.length, parts.length);
  const survivors = planted.filter((p, k) => (outLines[plantedAt[k] as number] as string).includes(p));
  t.deepEqual(survivors.map((s) => s.slice(0, 12)), [], 'no planted secret survives in the form it was planted');
  const words = new Set(out.split(/[\s"{}:,]+/));
  t.true(secrets.every((s) => !words.has(s)), 'no registered secret survives raw');
  t.true(out.split(REDACTED).length - 1 >= PLANTED);
  t.true(median(cpu) < 20, `redaction took ${median(cpu).toFixed(1)} s of CPU; one pass per secret would take about 100 s`);
});
