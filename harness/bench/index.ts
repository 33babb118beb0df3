// The latency bench's cluster-free logic: arms, schedule and plan, statistics, the slope proof,
// parsers of the timing sources, the harness overhead, the result and its renderings.
export * from './arms.ts';
export * from './schedule.ts';
export * from './plan.ts';
export * from './random.ts';
export * from './stats.ts';
export * from './requests.ts';
export * from './slope.ts';
export * from './parse-text.ts';
export * from './parse-events.ts';
export * from './parse-containerd.ts';
export * from './parse-klog.ts';
export * from './parse-prometheus.ts';
export * from './harness-overhead.ts';
export * from './result.ts';
export * from './analyse.ts';
export * from './markdown.ts';
export * from './svg.ts';
export * from './sample.ts';
