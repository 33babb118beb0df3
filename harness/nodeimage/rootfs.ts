// What kind's images/base/Dockerfile does to a Debian rootfs, done by hand: the Debian packages (via
// debootstrap), kind's images/base/files, the systemd trimming for containers, the enabled units, and
// the cri-base.json that containerd's config references (`ctr oci spec` plus kind's OCI hook).
import { chmodSync, cpSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Debian packages of kind's base image that a node here needs. Left out: fuse-overlayfs (rootless
 * only), nfs-common and open-iscsi (storage drivers the harness never uses).
 */
export const NODE_PACKAGES = [
  'systemd', 'conntrack', 'iptables', 'nftables', 'iproute2', 'ethtool', 'util-linux', 'mount', 'kmod',
  'libseccomp2', 'pigz', 'bash', 'ca-certificates', 'curl', 'jq', 'procps', 'e2fsprogs',
];

/** Run inside the build container (bash), after kind's files and the binaries are in place. */
export const PREPARE_SCRIPT = String.raw`set -euo pipefail
# systemd trimming, as kind's base image does it
find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
rm -f /lib/systemd/system/multi-user.target.wants/*
rm -f /etc/systemd/system/*.wants/*
rm -f /lib/systemd/system/local-fs.target.wants/*
rm -f /lib/systemd/system/sockets.target.wants/*udev*
rm -f /lib/systemd/system/sockets.target.wants/*initctl*
rm -f /lib/systemd/system/basic.target.wants/*
grep -q '^ReadKMsg=no' /etc/systemd/journald.conf || echo "ReadKMsg=no" >> /etc/systemd/journald.conf
ln -sf "$(command -v systemd || echo /lib/systemd/systemd)" /sbin/init
systemctl enable kubelet.service containerd.service undo-mount-hacks.service
systemctl mask systemd-binfmt.service
mkdir -p /etc/kubernetes/manifests /etc/cni/net.d /var/lib/containerd /opt/cni/bin
# Where the node lacks CAP_SYS_RESOURCE (hosts whose bounding set drops it, see host.md), no process can
# lower oom_score_adj, and runc fails every sandbox (-998) with "can't get final child's PID from pipe".
# Restricting container scores to be >= containerd's own changes nothing where containerd runs at -999.
sed -i 's/^\(\s*\)restrict_oom_score_adj = false/\1restrict_oom_score_adj = true/' /etc/containerd/config.toml
grep -q '^\s*restrict_oom_score_adj = true' /etc/containerd/config.toml
# kind's entrypoint asks DNS for host.docker.internal (Docker Desktop's name for the host). On Linux
# Docker no container has that name, so Docker's embedded DNS forwards the query to the host's upstream
# resolver from the node's own network namespace: a packet towards an outside address, which the run's
# fence drops and counts. Look the name up in /etc/hosts only; the entrypoint then falls back to the
# default route's gateway, which is what it uses on Linux anyway.
sed -i "s/getent ahostsv4 'host.docker.internal'/getent -s files ahostsv4 'host.docker.internal'/" /usr/local/bin/entrypoint
grep -q "getent -s files ahostsv4 'host.docker.internal'" /usr/local/bin/entrypoint
# the OCI base spec containerd's config.toml references (base_runtime_spec)
ctr oci spec | jq '.hooks.createContainer += [{"path": "/kind/bin/mount-product-files.sh"}]' | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json
# debootstrap leaves apt lists and caches; kind's clean-install removes them
apt-get clean >/dev/null 2>&1 || true
rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /usr/share/doc/* /usr/share/man/* /var/log/*.log
`;

function copyTree(src: string, dest: string, mode: (rel: string) => number, rel = ''): void {
  for (const name of readdirSync(src)) {
    const s = join(src, name);
    const r = rel ? `${rel}/${name}` : name;
    const d = join(dest, name);
    if (statSync(s).isDirectory()) {
      mkdirSync(d, { recursive: true, mode: 0o755 });
      chmodSync(d, 0o755);
      copyTree(s, d, mode, r);
    } else {
      mkdirSync(dirname(d), { recursive: true });
      cpSync(s, d);
      chmodSync(d, mode(r));
    }
  }
}

/**
 * Lays kind's images/base/files into a staging root with the modes kind's Dockerfile gives them
 * (0755 for usr/local/bin/* and kind/bin/*, 0644 for the rest; the module cache's copies are read-only).
 */
export function stageKindFiles(kindModuleDir: string, stage: string): void {
  const files = join(kindModuleDir, 'images', 'base', 'files');
  copyTree(files, stage, (rel) => (/^(usr\/local\/bin|kind\/bin)\//.test(rel) ? 0o755 : 0o644));
}

/** Places a binary into the staging root at its node path. */
export function stageBinary(stage: string, src: string, dest: string): void {
  const d = join(stage, dest);
  mkdirSync(dirname(d), { recursive: true });
  cpSync(src, d);
  chmodSync(d, 0o755);
}

export function stageFile(stage: string, dest: string, content: string, mode = 0o644): void {
  const d = join(stage, dest);
  mkdirSync(dirname(d), { recursive: true });
  writeFileSync(d, content);
  chmodSync(d, mode);
}
