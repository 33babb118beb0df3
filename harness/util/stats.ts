import { quantileSorted, mean } from 'simple-statistics';

export interface Summary {
  samples: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error('no samples to summarize');
  const sorted = [...values].sort((a, b) => a - b);
  return {
    samples: values.length,
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    mean: mean(sorted),
  };
}
