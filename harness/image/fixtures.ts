// Fixture images for scenarios: the sleeper program plus a marker layer unique to each scenario, so no
// two scenarios ever share a digest (a shared digest would let one scenario's pull record satisfy
// another's check).
import { randomBytes } from 'node:crypto';
import { buildImage, type BuiltImage } from './oci.ts';
import { doneElf, sleeperElf } from './sleeper.ts';

export interface FixtureSpec {
  /** The scenario (or purpose) this image belongs to; written into the marker layer. */
  scenario: string;
  /** Extra bytes in the marker, to make several distinct images for one scenario. */
  variant?: string;
  architecture?: string;
}

export async function buildFixtureImage(spec: FixtureSpec): Promise<BuiltImage & { marker: string }> {
  const marker = `${spec.scenario}${spec.variant ? `/${spec.variant}` : ''}/${randomBytes(8).toString('hex')}`;
  const image = await buildImage({
    architecture: spec.architecture,
    layers: [
      [{ path: 'sleeper', content: sleeperElf(spec.architecture), mode: 0o755 }, { path: 'done', content: doneElf(spec.architecture), mode: 0o755 }],
      [{ path: 'pullproof/marker', content: `${marker}\n` }],
    ],
    config: {
      Entrypoint: ['/sleeper'],
      StopSignal: 'SIGTERM',
      Labels: { 'io.pullproof.scenario': spec.scenario, 'io.pullproof.marker': marker },
    },
  });
  return { ...image, marker };
}
