import type { z } from 'zod';
import { parseModelJson } from '../guards/parse-model-json';

/**
 * A verdict of one of Keel's own model checks (the injection check, the verifier): structured
 * output as it is, text read tolerantly (a fence, JSON after prose), then the verdict's schema.
 * Never throws: a problem names why there is no verdict, so the caller can try the next model.
 */
export function readVerdict<S extends z.ZodType>(
  schema: S,
  args: { output?: unknown; text?: string },
): { ok: true; verdict: z.output<S> } | { ok: false; problem: string } {
  let value = args.output;
  if (value === undefined) {
    const parsed = parseModelJson(args.text ?? '');
    if (!parsed.ok) return { ok: false, problem: `unreadable verdict (${parsed.reason})` };
    value = parsed.value;
  }
  const verdict = schema.safeParse(value);
  if (!verdict.success) {
    const first = verdict.error.issues[0];
    return {
      ok: false,
      problem: `malformed verdict (${first ? `${first.path.join('.') || 'verdict'}: ${first.message}` : 'invalid'})`,
    };
  }
  return { ok: true, verdict: verdict.data };
}
