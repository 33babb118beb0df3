// Copies a folder written by a tool we do not control (kind export logs: node journals, kubelet logs,
// /var/log/pods, docker inspect output) into a report folder with every text file redacted. Binary
// files are not copied, only listed (SKIPPED-BINARY.txt), since redaction cannot vouch for them.
import { lstatSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileChecked } from './disk.ts';
import { redact } from './secrets.ts';

export interface RedactedCopy {
  files: number;
  bytes: number;
  /** Paths relative to the source: binary files, symlinks and other non-regular files. */
  skipped: string[];
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 64 * 1024).includes(0);
}

export function copyRedacted(src: string, dest: string): RedactedCopy {
  const result: RedactedCopy = { files: 0, bytes: 0, skipped: [] };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const rel = relative(src, p);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        walk(p);
        continue;
      }
      if (!st.isFile()) {
        result.skipped.push(`${rel} (${st.isSymbolicLink() ? 'symlink' : 'not a regular file'})`);
        continue;
      }
      const bytes = readFileSync(p);
      if (isBinary(bytes)) {
        result.skipped.push(`${rel} (binary, ${bytes.length} bytes)`);
        continue;
      }
      const out = join(dest, rel);
      mkdirSync(join(out, '..'), { recursive: true });
      writeFileChecked(out, redact(bytes.toString('utf8')));
      result.files++;
      result.bytes += bytes.length;
    }
  };
  mkdirSync(dest, { recursive: true });
  walk(src);
  if (result.skipped.length) {
    writeFileChecked(join(dest, 'SKIPPED-BINARY.txt'), `Not copied (binary or not a regular file; redaction cannot vouch for them):\n${result.skipped.join('\n')}\n`);
  }
  return result;
}
