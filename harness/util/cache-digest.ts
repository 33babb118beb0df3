// Cache entries that are files (built binaries, the rootfs tarball) carry their sha256 in a sidecar
// file "<entry>.sha256" (sha256sum's format), written when the entry is made and checked before every
// reuse. A truncated or altered entry (a full disk half-way through a copy, a killed rename, a bad
// block, a hand edit) is logged, removed and rebuilt, never used.
//
// Entries made before digests existed have no sidecar: an ELF binary is adopted (its digest recorded
// now) only if its section header table lies inside the file, which a truncated binary fails; other
// files are adopted as they are. Rebuilding them all instead would cost every host a 10-minute
// Kubernetes build at once, while other runs may be using the very files.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { writeFileChecked } from './disk.ts';
import { log, warn } from './log.ts';

export const DIGEST_SUFFIX = '.sha256';

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

// Entries verified by this process, by identity and size/mtime: a file used many times in one run is
// hashed once (kubectl, kind and the kubelet are asked for on every cluster).
const verified = new Map<string, string>();

function identity(path: string): string {
  const st = statSync(path);
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/** Records the entry's digest beside it (call once the entry is complete, before it is published). */
export async function recordDigest(path: string): Promise<string> {
  const digest = await fileSha256(path);
  writeFileChecked(`${path}${DIGEST_SUFFIX}`, `${digest}  ${basename(path)}\n`);
  verified.set(path, identity(path));
  return digest;
}

/** Moves a finished file into the cache under dest, its digest recorded first. */
export async function publishFile(tmp: string, dest: string): Promise<void> {
  const digest = await fileSha256(tmp);
  writeFileChecked(`${dest}${DIGEST_SUFFIX}`, `${digest}  ${basename(dest)}\n`);
  renameSync(tmp, dest);
  verified.set(dest, identity(dest));
}

function recordedDigest(path: string): string | undefined {
  const file = `${path}${DIGEST_SUFFIX}`;
  if (!existsSync(file)) return undefined;
  return /^([0-9a-f]{64})\b/.exec(readFileSync(file, 'utf8'))?.[1] ?? 'unreadable';
}

/**
 * For an ELF file without a recorded digest: undefined if every section and segment it declares lies
 * inside the file, else why not (a truncated binary fails this; Go puts its header tables first, so
 * their own position says nothing).
 */
function elfTruncation(path: string): string | undefined {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  const read = (at: number, length: number): Buffer => {
    const b = Buffer.alloc(length);
    return readSync(fd, b, 0, length, at) === length ? b : Buffer.alloc(0);
  };
  try {
    const head = read(0, 64);
    if (head.length < 64 || head.toString('latin1', 0, 4) !== '\x7fELF') return undefined;
    if (head[4] !== 2 || head[5] !== 1) return undefined; // only 64-bit little-endian is checked
    let end = 0;
    const phoff = Number(head.readBigUInt64LE(0x20));
    const shoff = Number(head.readBigUInt64LE(0x28));
    const [phentsize, phnum, shentsize, shnum] = [head.readUInt16LE(0x36), head.readUInt16LE(0x38), head.readUInt16LE(0x3a), head.readUInt16LE(0x3c)];
    end = Math.max(phoff + phentsize * phnum, shoff + shentsize * shnum);
    if (end > size) return `its header tables end at byte ${end}, the file has ${size}`;
    for (let i = 0; i < phnum; i++) {
      const ph = read(phoff + i * phentsize, phentsize);
      if (ph.length >= 0x28) end = Math.max(end, Number(ph.readBigUInt64LE(0x08) + ph.readBigUInt64LE(0x20)));
    }
    for (let i = 0; i < shnum; i++) {
      const sh = read(shoff + i * shentsize, shentsize);
      const NOBITS = 8;
      if (sh.length >= 0x28 && sh.readUInt32LE(4) !== NOBITS) end = Math.max(end, Number(sh.readBigUInt64LE(0x18) + sh.readBigUInt64LE(0x20)));
    }
    return end > size ? `its sections end at byte ${end}, the file has ${size}` : undefined;
  } finally {
    closeSync(fd);
  }
}

export type EntryCheck = { state: 'missing' } | { state: 'ok'; adopted?: boolean } | { state: 'damaged'; reason: string };

/** Checks a file cache entry against its recorded digest (see the header comment for entries without one). */
export async function checkEntry(path: string): Promise<EntryCheck> {
  if (!existsSync(path)) return { state: 'missing' };
  if (verified.get(path) === identity(path)) return { state: 'ok' };
  const want = recordedDigest(path);
  if (want === undefined) {
    const truncated = elfTruncation(path);
    if (truncated) return { state: 'damaged', reason: `no digest recorded and ${truncated}` };
    await recordDigest(path);
    return { state: 'ok', adopted: true };
  }
  const got = await fileSha256(path);
  if (got !== want) return { state: 'damaged', reason: `sha256 ${got.slice(0, 16)}..., recorded ${want.slice(0, 16)}... (${statSync(path).size} bytes now)` };
  verified.set(path, identity(path));
  return { state: 'ok' };
}

/**
 * True when the entry exists and is intact. A damaged entry is logged and removed (with its sidecar
 * and the given companions, e.g. its whole folder) and false is returned, so the caller rebuilds it.
 */
export async function usableEntry(path: string, o: { remove?: string[] } = {}): Promise<boolean> {
  const c = await checkEntry(path);
  if (c.state === 'ok') {
    if (c.adopted) log(`cache entry ${path}: digest recorded (made before digests were kept)`);
    return true;
  }
  if (c.state === 'missing') return false;
  warn(`cache entry ${path} is damaged (${c.reason}): not using it; removing and rebuilding it`);
  verified.delete(path);
  for (const p of [path, `${path}${DIGEST_SUFFIX}`, ...(o.remove ?? [])]) rmSync(p, { recursive: true, force: true });
  return false;
}
