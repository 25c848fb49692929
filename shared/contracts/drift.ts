import { z } from 'zod';
import { DRIFT_METRICS } from '../observability/drift-detect';

/**
 * `GET /v1/drift` (platform operator): every series (task × provider:model × prompt version)
 * evaluated now, its recent window against its baseline, metric by metric (with the sampled
 * evaluation's hallucination and unsafe-output rates when it has evaluations), and its alerts.
 * docs/drift.md.
 */

const Name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:@/-]+$/, 'letters, digits and . _ : @ / -');

export const DriftQuery = z
  .object({
    task: Name.optional().describe('Only this task’s series.'),
    provider: Name.optional(),
    model: Name.optional(),
    promptVersion: Name.optional(),
    status: z
      .enum(['collecting-baseline', 'collecting-window', 'stable', 'drifted'])
      .optional()
      .describe('Only series in this state.'),
  })
  .strict();
export type DriftQuery = z.infer<typeof DriftQuery>;

const Window = z.object({
  n: z.number().int().describe('Values of the metric in the window.'),
  rate: z.number().optional().describe('Share of true (the two rates).'),
  median: z.number().optional().describe('Median (output length in characters, confidence).'),
  mix: z.record(z.string(), z.number()).optional().describe('Share of each category.'),
});

const Metric = z.object({
  metric: z.enum(DRIFT_METRICS),
  test: z.enum(['chi-square', 'ks', 'two-proportion-z']),
  baseline: Window,
  recent: Window,
  statistic: z.number().optional().describe('Chi-square statistic, KS D or z (one-sided).'),
  pValue: z.number().optional(),
  psi: z.number().optional().describe('Population stability index of recent against baseline.'),
  enoughSamples: z.boolean().describe('Both windows hold at least minSamples values.'),
  drifted: z
    .boolean()
    .describe(
      'enoughSamples, pValue < alpha and psi ≥ minPsi (the evaluation rates: recent − baseline ≥ minRise).',
    ),
});

const Span = z.object({
  n: z.number().int(),
  from: z.string().optional().describe('Time of its first observation.'),
  to: z.string().optional().describe('Time of its last observation.'),
});

export const DriftSeriesBody = z.object({
  task: z.string(),
  provider: z.string(),
  model: z.string(),
  promptVersion: z.string(),
  observations: z.number().int(),
  status: z.enum(['collecting-baseline', 'collecting-window', 'stable', 'drifted']),
  baseline: Span.describe('The series’ first `baseline` observations.'),
  recent: Span.describe('Its latest `window` observations after the baseline.'),
  evaluations: z
    .object({
      evaluated: z.number().int().describe('Evaluated answers of the series (docs/evaluation.md).'),
      baseline: Span.describe('Its first `baseline` evaluated answers.'),
      recent: Span.describe('Its latest `window` evaluated answers after them.'),
    })
    .optional()
    .describe(
      'With sampled evaluation: the windows of hallucination-rate and unsafe-rate (in metrics).',
    ),
  metrics: z.array(Metric),
  alerts: z
    .array(
      z.object({
        metric: z.string(),
        firing: z.boolean(),
        raised: z.number().int().describe('Times it was raised.'),
        raisedAt: z.string().optional(),
        resolvedAt: z.string().optional(),
      }),
    )
    .describe('Raised by the workers’ evaluations (metric, log line, webhook event).'),
});

export const DriftBody = z.object({
  generatedAt: z.string(),
  settings: z.object({
    baseline: z.number().int(),
    window: z.number().int(),
    minSamples: z.number().int(),
    alpha: z.number(),
    minPsi: z.number(),
    minRise: z.number().describe('The evaluation rates’ smallest rise that alerts.'),
    evaluateEvery: z.number().int(),
  }),
  series: z.array(DriftSeriesBody),
});
export type DriftBody = z.infer<typeof DriftBody>;
