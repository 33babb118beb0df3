// Tests start real containers (dockerd, registry, kind nodes): generous timeouts, files one at a time
// so two tests never compete for the 2 cores and the host lock.
export default {
  files: ['test/**/*.test.ts'],
  extensions: ['ts'],
  // AVA's timeout fires when no test finishes for this long; a cold node image build inside one test
  // takes about 11 minutes here. Long tests also set their own t.timeout().
  timeout: '25m',
  concurrency: 1,
  // Tests in a file share one environment (a registry, a cluster) and inject faults into it.
  serial: true,
  workerThreads: false,
  environmentVariables: {
    TESTCONTAINERS_RYUK_DISABLED: 'true',
  },
};
