import type { Generated } from 'kysely';

/**
 * The model lifecycle's tables (docs/prompt-registry.md, drift.md, experiments.md, evaluation.md,
 * debug-samples.md), in the conventions of schema.ts; their migrations are in
 * migrations-lifecycle.ts.
 */

/** A prompt version (prompts.ts): append-only, never updated. */
export interface PromptVersionsTable {
  /** `<task>@r<seq>` (global) or `<task>@<tenant>.r<seq>` (a tenant's override). */
  id: string;
  task: string;
  /** null: a global version (the operator's); else the tenant whose override it is. */
  tenant_id: string | null;
  seq: number;
  system: string;
  user_template: string;
  note: string | null;
  /** `key:<id>` of whoever created it. */
  created_by: string;
  created_at: number;
}

/** Which versions a task runs with, per scope ('' global, else a tenant's override). */
export interface PromptRolloutsTable {
  task: string;
  tenant_id: string;
  /** JSON `PromptRollout`. */
  rollout: string;
  updated_at: number;
}

/** Drift detection (drift.ts): one row per observed task, flags and numbers only. */
export interface DriftObservationsTable {
  id: Generated<number>;
  /** `task|provider:model|promptVersion`: what a window is read by. */
  series: string;
  tenant_id: string;
  task: string;
  provider: string;
  model: string;
  prompt_version: string;
  at: number;
  validation_failed: number;
  refused: number;
  output_chars: number | null;
  confidence: number | null;
  category: string | null;
}

/** One row per series and metric: its drift alert, firing or resolved. */
export interface DriftAlertsTable {
  series: string;
  metric: string;
  task: string;
  provider: string;
  model: string;
  prompt_version: string;
  firing: number;
  raised_at: number | null;
  resolved_at: number | null;
  raised: number;
  /** JSON of the metric's figures when last raised. */
  detail: string | null;
}

/** Shadow tests (experiments.ts): an experiment's definition. */
export interface ExperimentsTable {
  id: string;
  task: string;
  tenant_id: string | null;
  candidate_prompt_id: string | null;
  candidate_route: string | null;
  sample_rate: number;
  status: string;
  created_by: string;
  created_at: number;
  stopped_at: number | null;
}

/** One shadowed job's comparison: flags and numbers, never content. */
export interface ExperimentResultsTable {
  experiment_id: string;
  job_id: string;
  tenant_id: string;
  at: number;
  shadow_valid: number;
  shadow_error: string | null;
  agree: number | null;
  /** JSON arrays of top-level output field names. */
  fields: string;
  diff_fields: string;
  live_latency_ms: number;
  shadow_latency_ms: number;
  live_cost_micros: number;
  shadow_cost_micros: number;
  shadow_provider: string;
  shadow_model: string;
}

/** Sampled evaluation of live traffic (evaluations.ts): one row per evaluated job, no content. */
export interface EvaluationsTable {
  job_id: string;
  tenant_id: string;
  task: string;
  provider: string;
  model: string;
  prompt_version: string;
  at: number;
  /** `YYYY-MM-DD` (UTC) of `at`. */
  day: string;
  /** 1 unfaithful, 0 faithful, null no verdict. */
  unfaithful: number | null;
  score: number | null;
  unsafe: number;
  error: string | null;
  cost_micros: number;
  verifier: string;
}

/** Debug samples (debug-samples.ts): a sampled call's masked prompt and answer, sealed. */
export interface DebugSamplesTable {
  id: Generated<number>;
  tenant_id: string;
  job_id: string;
  task: string;
  provider: string;
  model: string;
  prompt_version: string;
  /** `ok`, or the call's failure type. */
  outcome: string;
  latency_ms: number;
  input_tokens: number | null;
  output_tokens: number | null;
  at: number;
  /** When the retention run deletes it: `at` + the tenant's `debugSamples.retentionDays`. */
  expires_at: number;
  /** JSON `{messages, droppedMessages, output}`, masked; `sealed:v1:…` with payload keys. */
  content: string;
}
