// The node backup's pure parts: the kubelet's flags read from its command line, the manifest the node's
// shell prints, and what differs between two manifests (the restore's proof). On a real node through
// the agent: test/node-agent.test.ts.
import test from 'ava';
import { flagOf, manifestDiff, parseManifest, type ManifestEntry } from '../harness/node/backup.ts';

const SHA = 'a'.repeat(64);

test('flags are read from the kubelet\'s command line in both spellings, and an absent flag is undefined', (t) => {
  const cmdline = ['/usr/bin/kubelet', '--config=/var/lib/kubelet/config.yaml', '--image-credential-provider-bin-dir', '/opt/cp', '--v=2'].join('\0');
  t.is(flagOf(cmdline, 'config'), '/var/lib/kubelet/config.yaml');
  t.is(flagOf(cmdline, 'image-credential-provider-bin-dir'), '/opt/cp');
  t.is(flagOf(cmdline, 'image-credential-provider-config'), undefined);
});

test('the manifest keeps each entry\'s type, mode, owner, content hash and symlink target; an unknown type is refused', (t) => {
  const m = parseManifest([`f\t644\t0:0\t${SHA}\t/var/lib/kubelet/config.yaml`, 'd\t755\t0:0\t-\t/etc/d', 'l\t777\t0:0\t/opt/x\t/etc/d/link', 'absent\t-\t-\t-\t/etc/default/kubelet', ''].join('\n'));
  t.deepEqual(m, [
    { path: '/var/lib/kubelet/config.yaml', type: 'f', mode: '644', owner: '0:0', sha256: SHA },
    { path: '/etc/d', type: 'd', mode: '755', owner: '0:0' },
    { path: '/etc/d/link', type: 'l', mode: '777', owner: '0:0', target: '/opt/x' },
    { path: '/etc/default/kubelet', type: 'absent' },
  ]);
  t.throws(() => parseManifest('other\t644\t0:0\t-\t/dev/fifo'), { message: /\/dev\/fifo: neither a file, a directory nor a symlink/ });
});

test('the restore\'s proof: identical manifests differ in nothing; content, mode, owner, a new and a gone entry are each named', (t) => {
  const file: ManifestEntry = { path: '/c', type: 'f', mode: '644', owner: '0:0', sha256: SHA };
  const dir: ManifestEntry = { path: '/d', type: 'd', mode: '755', owner: '0:0' };
  const absent: ManifestEntry = { path: '/e', type: 'absent' };
  const base = [file, dir, absent];
  t.deepEqual(parseManifest([`f\t644\t0:0\t${SHA}\t/c`, 'd\t755\t0:0\t-\t/d', 'absent\t-\t-\t-\t/e'].join('\n')), base);
  t.deepEqual(manifestDiff(base, base), []);
  t.deepEqual(manifestDiff(base, [{ ...file, sha256: 'b'.repeat(64) }, dir, absent]), [`/c: was f 644 0:0 ${SHA}, now f 644 0:0 ${'b'.repeat(64)}`]);
  t.deepEqual(manifestDiff(base, [{ ...file, mode: '600' }, dir, absent]).length, 1);
  t.deepEqual(manifestDiff(base, [{ ...file, owner: '1000:0' }, dir, absent]).length, 1);
  t.deepEqual(manifestDiff(base, [...base, { path: '/d/new', type: 'f', mode: '644', owner: '0:0', sha256: SHA }]), ['/d/new: new (f)']);
  t.deepEqual(manifestDiff(base, [file, absent]), ['/d: gone (was d)']);
  t.deepEqual(manifestDiff(base, [file, dir, { path: '/e', type: 'f', mode: '644', owner: '0:0', sha256: SHA }]), [`/e: was absent, now f 644 0:0 ${SHA}`]);
});
