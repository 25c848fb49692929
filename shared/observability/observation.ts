/**
 * What drift detection keeps of one completed task (docs/drift.md): which model and prompt
 * version, whether its answer failed validation or it refused, and three numbers about its
 * answer. Never content, ids of people or the tenant's input. Pure and workflow-safe: the
 * workflow computes it from what it already holds and hands it to `recordResult`.
 */

export interface DriftObservation {
  task: string;
  /** The route's first candidate that was called: the model being watched. */
  provider: string;
  model: string;
  promptVersion: string;
  /** Its answer failed a validation layer (whatever happened next: re-ask, next, clamp…). */
  validationFailed: boolean;
  /** It refused (a content filter or a refusal stop reason). */
  refused: boolean;
  /** Characters of its accepted answer as JSON; absent when the answer was not its own. */
  outputChars?: number;
  /** The answer's `confidence` (a number in [0, 1]), when it has one. */
  confidence?: number;
  /** The answer's `category` (an enum value, ≤ 64 characters), when it has one. */
  category?: string;
}

interface Candidate {
  provider: string;
  model: string;
  skip?: string;
}

/**
 * The observation of the route's first called candidate, or undefined when that candidate told
 * us nothing about its behaviour (it failed on the wire: timeouts and 5xx are the breaker's
 * business, not drift's).
 */
export function observeTask(args: {
  task: string;
  promptVersion: string;
  candidates: readonly Candidate[];
  /** Candidates (`provider:model`) whose answer a layer rejected, in order. */
  rejected: readonly { candidate: string }[];
  /** Candidates that refused. */
  refused: readonly string[];
  accepted: { output: unknown; provider: string; path: string };
}): DriftObservation | undefined {
  const primary = args.candidates.find((c) => !c.skip);
  if (!primary) return undefined;
  const ref = `${primary.provider}:${primary.model}`;
  const refused = args.refused.includes(ref);
  const validationFailed = args.rejected.some((r) => r.candidate === ref);
  const own = args.accepted.path === 'primary' && args.accepted.provider === primary.provider;
  if (!own && !refused && !validationFailed) return undefined;
  const base: DriftObservation = {
    task: args.task,
    provider: primary.provider,
    model: primary.model,
    promptVersion: args.promptVersion,
    validationFailed,
    refused,
  };
  return own ? { ...base, ...answerFigures(args.accepted.output) } : base;
}

/** Length, confidence and category of an answer; fields it does not have stay absent. */
export function answerFigures(
  output: unknown,
): Pick<DriftObservation, 'outputChars' | 'confidence' | 'category'> {
  const json = JSON.stringify(output);
  const figures: Pick<DriftObservation, 'outputChars' | 'confidence' | 'category'> = {
    ...(json === undefined ? {} : { outputChars: json.length }),
  };
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return figures;
  const { confidence, category } = output as Record<string, unknown>;
  if (typeof confidence === 'number' && confidence >= 0 && confidence <= 1)
    figures.confidence = confidence;
  if (typeof category === 'string' && category.length > 0 && category.length <= 64)
    figures.category = category;
  return figures;
}
