/**
 * The model-based injection check's reading of a verdict: the model's answer parsed with the
 * verdict schema (`shared/tasks/injection-check.ts`) and held against the policy's threshold.
 * An activity because workflow code carries neither zod nor the guards (test/workflow/bundle.test.ts).
 */
import { readInjectionVerdict } from '../../shared/tasks/injection-check';

/** What the workflow decides on: a verdict, or why there is none (then the policy's onFailure). */
export type InjectionVerdictReading =
  { injection: boolean; confidence: number; kinds: string[] } | { problem: string };

export function createInjectionCheckActivities() {
  return {
    /** Read: the check's answer as a verdict; `injection` only from the policy's threshold on. */
    readInjectionVerdict(args: {
      output?: unknown;
      text?: string;
      threshold: number;
    }): Promise<InjectionVerdictReading> {
      const read = readInjectionVerdict(args);
      if (!read.ok) return Promise.resolve({ problem: read.problem });
      const { injection, confidence, kinds } = read.verdict;
      return Promise.resolve({
        injection: injection && confidence >= args.threshold,
        confidence,
        kinds,
      });
    },
  };
}
