/**
 * The verifier layer's reading of a verdict: the model's answer parsed with the verdict schema
 * (`shared/tasks/verify-answer.ts`) and held against the policy's minimum score. An activity
 * because workflow code carries neither zod nor the guards (test/workflow/bundle.test.ts).
 */
import { maskPii } from '../../shared/guards/pii';
import { readVerifierVerdict } from '../../shared/tasks/verify-answer';

/** What the workflow decides on: a score, or why there is none (then the policy's failure). */
export type VerifierVerdictReading =
  { score: number; passed: boolean; unsupported: string[] } | { problem: string };

export function createVerifierActivities() {
  return {
    /** Read: the verifier's answer as a score, passing from the policy's `minScore` on. */
    readVerifierVerdict(args: {
      output?: unknown;
      text?: string;
      minScore: number;
    }): Promise<VerifierVerdictReading> {
      const read = readVerifierVerdict(args);
      if (!read.ok) return Promise.resolve({ problem: read.problem });
      const { score, unsupported } = read.verdict;
      return Promise.resolve({
        score,
        passed: score >= args.minScore,
        // The claims quote model text: masked before they reach meta, steps or logs.
        unsupported: unsupported.map((claim) => maskPii(claim)),
      });
    },
  };
}
