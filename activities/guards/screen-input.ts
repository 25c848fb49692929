/**
 * Input moderation, before any model call: PII (redacted for external models, flagged or
 * refused), prompt injection and toxicity (flagged or refused), per the resolved policy. Pure.
 * What it found is reported by type and count only; values never leave the workflow.
 */
import type { FieldError } from '../../shared/contracts/errors';
import type { ModerationMeta } from '../../shared/contracts/job';
import type { ResolvedPolicy } from '../../shared/policy/resolve-policy';
import { detectPii } from '../../shared/guards/pii';
import { detectInjection } from '../../shared/guards/injection';
import { detectToxicity } from '../../shared/guards/toxicity';
import { createRedactor } from '../../shared/guards/redact';
import type { PiiSpan } from '../../shared/guards/types';
import { countBy, stringsOf, transformStrings } from '../../shared/guards/json-strings';
import { piiFingerprint } from './pii-fingerprint';

export interface InputScreening {
  /** Set when the policy refuses the input: the task fails with 422 before any call. */
  blocked?: { check: 'pii' | 'injection' | 'toxicity'; errors: FieldError[] };
  /** The input as external models see it; absent when nothing was redacted. */
  redactedInput?: unknown;
  /** placeholder → value, to restore in the output. Workflow-internal; never logged. */
  placeholders?: Record<string, string>;
  /** Fingerprints of the PII values the input holds (see pii-fingerprint.ts); not the values. */
  piiFingerprints?: string[];
  /** Why a person must approve the answer (a flag under a `review` policy). */
  review?: string[];
  report: ModerationMeta['input'];
}

const field = (path: string): string => (path === '(root)' ? 'input' : `input.${path}`);

export function screenInput(input: unknown, policy: ResolvedPolicy): InputScreening {
  const { input: rules, thresholds } = policy.moderation;
  const classifier = policy.moderation.injection?.classifier;
  const strings = stringsOf(input);
  const review: string[] = [];
  const flags = (): Pick<InputScreening, 'review'> => (review.length ? { review } : {});
  const report: InputScreening['report'] = {
    pii: { found: [], action: 'none' },
    injection: { score: 0, action: 'none' },
    toxicity: { score: 0, action: 'none' },
  };

  // Injection, then toxicity: the strongest string sets the score; fields are named, never text.
  const threats = [
    {
      check: 'injection' as const,
      scan: (text: string) => {
        const r = detectInjection(text, { classifier: classifier === true });
        return { score: r.score, kinds: r.signals.map((sig) => sig.kind) };
      },
      message: (kinds: string[]) => `looks like a prompt-injection attempt (${kinds.join(', ')})`,
      reviewReason: 'possible prompt injection',
    },
    {
      check: 'toxicity' as const,
      scan: (text: string) => ({ score: detectToxicity(text).score, kinds: [] }),
      message: () => 'contains profanity',
      reviewReason: 'profanity',
    },
  ];
  for (const threat of threats) {
    const action = rules[threat.check];
    const out = report[threat.check];
    if (action === 'allow') {
      out.action = 'allowed';
      continue;
    }
    const threshold = thresholds[threat.check];
    let worst = 0;
    const fields: string[] = [];
    const kinds = new Set<string>();
    for (const { path, text } of strings) {
      const scan = threat.scan(text);
      worst = Math.max(worst, scan.score);
      if (scan.score < threshold) continue;
      fields.push(field(path));
      scan.kinds.forEach((k) => kinds.add(k));
    }
    out.score = round(worst);
    if (fields.length === 0) continue;
    if (threat.check === 'injection') out.kinds = [...kinds];
    out.action = action === 'block' ? 'blocked' : 'flagged';
    if (action === 'review') review.push(`${threat.reviewReason} in ${fields.join(', ')}`);
    if (action === 'block') {
      const message = threat.message([...kinds]);
      return {
        blocked: { check: threat.check, errors: fields.map((f) => ({ field: f, message })) },
        report,
      };
    }
  }

  if (rules.pii === 'allow') {
    report.pii.action = 'allowed';
    return { report, ...flags() };
  }
  const found = new Map<string, PiiSpan[]>();
  for (const { path, text } of strings) {
    const spans = detectPii(text, {
      minConfidence: thresholds.piiConfidence,
      region: policy.region,
      ...(policy.language ? { language: policy.language } : {}),
    });
    if (spans.length > 0) found.set(path, spans);
  }
  const all = [...found.values()].flat();
  report.pii.found = countBy(all.map((s) => s.type));
  const fingerprints = { piiFingerprints: [...new Set(all.map(piiFingerprint))] };
  const acted = new Map(
    [...found].map(([p, spans]) => [p, spans.filter((s) => rules.piiTypes.includes(s.type))]),
  );
  const actedCount = [...acted.values()].reduce((n, s) => n + s.length, 0);
  if (all.length === 0) return { report, ...fingerprints, ...flags() };
  if (rules.pii === 'block' && actedCount > 0) {
    report.pii.action = 'blocked';
    return {
      blocked: {
        check: 'pii',
        errors: [...acted]
          .filter(([, s]) => s.length > 0)
          .map(([p, s]) => ({
            field: field(p),
            message: `contains ${[...new Set(s.map((x) => x.type))].join(', ')}, which this task does not accept`,
          })),
      },
      report,
    };
  }
  if (rules.pii !== 'redact' || actedCount === 0) {
    report.pii.action = 'flagged';
    return { report, ...fingerprints, ...flags() };
  }
  const redactor = createRedactor();
  const redactedInput = transformStrings(input, (text, path) =>
    acted.get(path)?.length ? redactor.redact(text, acted.get(path)) : text,
  );
  report.pii.action = 'redacted';
  return {
    redactedInput,
    placeholders: redactor.placeholders(),
    report,
    ...fingerprints,
    ...flags(),
  };
}

const round = (n: number): number => Math.round(n * 100) / 100;
