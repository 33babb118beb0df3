// `npm run test:unit`: every test file except those that need root or a Docker engine, for
// contributors without either (Node and Go suffice). The files left out are listed below, each with
// why; a new test file is in by default, so one that needs root or Docker must be added here (it then
// fails loudly for a contributor without them, instead of being silently skipped). The files here
// start no container and share nothing across files, so they run four at a time. `npm test` (the full
// suite, ava.config.js) runs every file whatever this list says.
import base from './ava.config.js';

export const NEEDS_ROOT_OR_DOCKER = {
  'test/bench-cluster.test.ts': 'kind cluster',
  'test/cache-integrity.test.ts': 'mounts a tmpfs (root)',
  'test/cache-transfer.test.ts': 'docker save/load',
  'test/cli-run.test.ts': 'whole runs: registry container, run network, fence',
  'test/cluster-smoke.test.ts': 'kind cluster',
  'test/cluster-suites.test.ts': 'kind cluster',
  'test/cluster-upgrades.test.ts': 'kind cluster, kubelet swaps',
  'test/ecr-cluster.test.ts': 'kind cluster',
  'test/host.test.ts': 'host setup, containers',
  'test/interruptions.test.ts': 'whole registry runs interrupted: registry container, run network, fence',
  'test/infrastructure-loss.test.ts': 'registry runs whose registry container or Docker engine goes away',
  'test/node-image.test.ts': 'node image build, kind clusters',
  'test/node-agent.test.ts': 'kind cluster (the node agent through its kubeconfig)',
  'test/registry.test.ts': 'registry container',
  'test/report-html.test.ts': "Debian's Chromium in unshare -n (root)",
  'test/secrets-flow.test.ts': 'whole registry run',
  'test/sts-registry.test.ts': 'registry container',
};

// Need neither, but first build or download a tool from a package registry (minutes when cold).
export const SLOW_FIRST_TIME = {
  'test/certify-broken.test.ts': "builds the kubelet judge (k8s.io/kubernetes v1.35.4) from the Go module proxy",
  'test/certify-differential.test.ts': "builds the kubelet judge (k8s.io/kubernetes v1.35.4) from the Go module proxy",
  'test/certify-findings.test.ts': "builds the kubelet judge and the reaper from the Go module proxy",
  'test/certify-reference.test.ts': "builds the kubelet judge (k8s.io/kubernetes v1.35.4) from the Go module proxy",
  'test/ecr-certify.test.ts': "builds AWS's ecr-credential-provider from the Go module proxy",
  'test/ecr-certify-in-cluster.test.ts': 'a kind cluster with ecr-credential-provider installed',
  'test/ecr-emulation.test.ts': "builds AWS's ecr-credential-provider from the Go module proxy",
  'test/report-junit.test.ts': 'creates a Python virtualenv with junitparser from PyPI',
  'test/workflow-example.test.ts': "builds actionlint from the Go module proxy; needs Debian's shellcheck",
  'test/versions-source.test.ts': 'downloads the k8s.io/kubernetes module of every modelled release (about 20 MB each) and Go 1.27 from the Go module proxy',
};

export default {
  ...base,
  files: ['test/**/*.test.ts', ...[...Object.keys(NEEDS_ROOT_OR_DOCKER), ...Object.keys(SLOW_FIRST_TIME)].map((f) => `!${f}`)],
  concurrency: 4,
  timeout: '3m',
};
