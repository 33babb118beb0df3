// The registry image, built here: distribution v3 from the Go module proxy, wrapped in an image
// assembled with tar-stream and loaded into Docker. No image is pulled from anywhere.
import { goInstall } from '../build/go.ts';
import { buildImage, toDockerArchive } from '../image/oci.ts';
import { output, run } from '../util/exec.ts';
import { readFileSync } from 'node:fs';

export const DISTRIBUTION_VERSION = 'v3.1.2';

async function imageExists(ref: string): Promise<boolean> {
  const r = await run(['docker', 'image', 'inspect', '--format', '{{.Id}}', ref], { allowFailure: true });
  return r.exitCode === 0;
}

/** Loads an image built in process into the Docker engine under the given tag (skipped when present). */
export async function loadIntoDocker(ref: string, build: () => ReturnType<typeof buildImage>): Promise<string> {
  if (!(await imageExists(ref))) {
    const image = await build();
    await run(['docker', 'load'], { input: await toDockerArchive(image, [ref]), timeoutMs: 300_000 });
  }
  return output(['docker', 'image', 'inspect', '--format', '{{.Id}}', ref]);
}

export async function ensureRegistryImage(): Promise<string> {
  const bin = await goInstall({ pkg: 'github.com/distribution/distribution/v3/cmd/registry', version: DISTRIBUTION_VERSION });
  const content = readFileSync(bin.path);
  const tag = `pullproof/registry:${DISTRIBUTION_VERSION}`;
  // Rebuild the image when the binary changed (a different build key gives a different path).
  const ref = `${tag}-${bin.path.split('/').at(-2)?.split('-').pop() ?? 'local'}`;
  await loadIntoDocker(ref, () => buildImage({
    layers: [[
      { path: 'registry', content, mode: 0o755 },
      { path: 'var/lib/registry', type: 'directory' },
      { path: 'etc/pullproof', type: 'directory' },
    ]],
    config: { Entrypoint: ['/registry'], Cmd: ['serve', '/etc/pullproof/config.yml'], StopSignal: 'SIGTERM' },
  }));
  return ref;
}
