// Tests start real containers (dockerd, registry, kind nodes): generous timeouts, files one at a time
// so two tests never compete for the 2 cores and the host lock.
export default {
  files: ['test/**/*.test.ts'],
  extensions: ['ts'],
  timeout: '5m',
  concurrency: 1,
  // Tests in a file share one environment (a registry, a cluster) and inject faults into it.
  serial: true,
  workerThreads: false,
  environmentVariables: {
    TESTCONTAINERS_RYUK_DISABLED: 'true',
  },
};
