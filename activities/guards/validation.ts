/**
 * The validation layers, in order: parse and schema → business rules → grounding → output
 * moderation. Pure: the validateOutput activity runs it, unit tests call it directly. The first
 * layer that fails stops the rest and names the action the task declares for it.
 */
import {
  VALIDATION_ACTIONS,
  type AnyTaskDefinition,
  type ValidationAction,
  type Violation,
} from '../../shared/tasks';
import type {
  Issue,
  LayerOutcome,
  ModerationMeta,
  ValidationLayer,
} from '../../shared/contracts/job';
import { toFieldErrors } from '../../shared/contracts/errors';
import { parseModelJson } from '../../shared/guards/parse-model-json';
import type { ResolvedPolicy } from '../../shared/policy/resolve-policy';
import { failureKindOf, reaskAction, type FailureKind } from '../../shared/policy/reask';
import { maskPii } from '../../shared/guards/pii';
import { createOutputModerator } from './output-moderation';
import { restoreDeep } from '../../shared/guards/redact';
import type { PiiSpan } from '../../shared/guards/types';
import type { ToolCall } from '../../shared/contracts/chat';
import { countBy, stringsOf, transformStrings } from '../../shared/guards/json-strings';

export interface ValidateArgs {
  output?: unknown;
  text?: string;
  /** Calls of the caller's tools that came with the answer (a conversational task's). */
  toolCalls?: ToolCall[];
  /** The original (unredacted) input. */
  input: unknown;
  /** Fingerprints of the input's PII from screening; without them the input is scanned here. */
  inputPii?: readonly string[];
  /** Placeholders the input was redacted with; put back into the output first. */
  placeholders?: Record<string, string>;
  policy: ResolvedPolicy;
  /**
   * The deterministic fallback, when nothing better is left: a rule or grounding failure is
   * recorded as `flagged` instead of failing the task (unless its action is `reject`).
   */
  lastResort?: boolean;
  /**
   * A reviewer's edit: only the schema and the rules, and a rule that would clamp fails instead
   * (a person should see the limit, not have their value silently changed).
   */
  reviewerEdit?: boolean;
  /** The call's finish reason: `length` makes a parse failure a truncation. */
  finishReason?: string;
}

export interface Validation {
  ok: boolean;
  output?: unknown;
  layers: Record<ValidationLayer, LayerOutcome>;
  parse: 'object' | 'none' | 'fence' | 'extracted';
  /**
   * The first failing layer, what kind of failure it is, and the action for it: the layer's
   * declared action, with a `re-ask` decided per kind by shared/policy/reask.ts.
   */
  failed?: { layer: ValidationLayer; kind: FailureKind; action: ValidationAction; issues: Issue[] };
  /** The schema-valid output a later layer failed: what a reviewer sees when the action is review. */
  proposed?: unknown;
  moderation: NonNullable<ModerationMeta['output']>;
}

/** VALIDATION_ACTIONS is ordered mildest first: of several broken rules, the strictest wins. */
const severity = (action: ValidationAction): number => VALIDATION_ACTIONS.indexOf(action);

const MAX_ISSUES = 20;

/** Violation texts can quote model output: mask any PII before it travels further. */
function safeIssues(issues: ReadonlyArray<Issue | Violation>): Issue[] {
  return issues.slice(0, MAX_ISSUES).map((i) => ({
    field: i.field,
    message: maskPii(i.message.length > 300 ? `${i.message.slice(0, 300)}…` : i.message),
    ...('rule' in i && i.rule ? { rule: i.rule } : {}),
  }));
}

const skipped = (): LayerOutcome => ({ status: 'skipped' });

export function validateAnswer(task: AnyTaskDefinition, args: ValidateArgs): Validation {
  const layers: Record<ValidationLayer, LayerOutcome> = {
    schema: skipped(),
    rules: skipped(),
    grounding: skipped(),
    moderation: skipped(),
  };
  const moderation: Validation['moderation'] = {
    pii: { found: [], action: 'none' },
    toxicity: { score: 0, action: 'none' },
    restored: 0,
  };
  const onFailure = (layer: 'schema' | 'grounding' | 'moderation'): ValidationAction =>
    args.policy.actions[layer] ?? task.onFailure?.[layer] ?? 're-ask';
  const fail = (
    layer: ValidationLayer,
    action: ValidationAction,
    issues: Issue[],
    parse: Validation['parse'],
  ): Validation => {
    layers[layer] = { status: 'failed', issues };
    const kind = failureKindOf(layer, issues, args.finishReason);
    return {
      ok: false,
      layers,
      parse,
      failed: { layer, kind, action: reaskAction(kind, action), issues },
      moderation,
      ...(layer === 'schema' ? {} : { proposed: output }),
    };
  };
  let output: unknown;

  // 1. Parse and schema. Model text is never handed to a raw JSON.parse.
  let candidate = args.output;
  let text = args.text;
  // A conversational task's answer is its text: a vendor's structured output (Anthropic's tool
  // input) is read as the JSON text it stands for.
  if (task.conversation && candidate !== undefined) {
    text = JSON.stringify(candidate);
    candidate = undefined;
  }
  let parse: Validation['parse'] = 'object';
  if (candidate === undefined) {
    // A conversational task reads its own text (a chat answer is prose unless it asked for JSON).
    const parsed = task.conversation
      ? task.conversation.parseText(text ?? '', args.input, args.toolCalls)
      : parseModelJson(text);
    if (!parsed.ok) {
      return fail(
        'schema',
        onFailure('schema'),
        [{ field: '(output)', message: `${parsed.reason}: ${parsed.message}`, rule: 'parse' }],
        'none',
      );
    }
    candidate = parsed.value;
    parse = parsed.repaired;
  }
  if (args.placeholders && Object.keys(args.placeholders).length > 0) {
    const before = JSON.stringify(candidate);
    candidate = restoreDeep(candidate, args.placeholders);
    moderation.restored = Object.keys(args.placeholders).filter((p) => before.includes(p)).length;
  }
  const schema = task.output.safeParse(candidate);
  if (!schema.success) {
    return fail(
      'schema',
      onFailure('schema'),
      safeIssues(toFieldErrors(schema.error.issues, 'output')),
      parse,
    );
  }
  output = schema.data;
  layers.schema = {
    status: 'passed',
    ...(parse === 'fence' || parse === 'extracted' ? { detail: `read from ${parse}` } : {}),
  };

  // 2. Business rules: clamp what can be safely repaired, fail on the rest.
  const ctx = {
    maxDiscountPercent: args.policy.maxDiscountPercent,
    minConfidence: args.policy.minConfidence,
  };
  const clamped: Issue[] = [];
  const broken: Array<{ action: ValidationAction; violations: Violation[] }> = [];
  for (const rule of task.rules ?? []) {
    const violations = rule.check(output, args.input, ctx);
    if (violations.length === 0) continue;
    const ruleAction = args.policy.actions[rule.id] ?? rule.action;
    if (ruleAction === 'clamp' && rule.repair && !args.reviewerEdit) {
      const repaired = rule.repair(output, args.input, ctx);
      if (rule.check(repaired, args.input, ctx).length === 0) {
        output = repaired;
        clamped.push(...violations);
        continue;
      }
    }
    broken.push({ action: ruleAction === 'clamp' ? 're-ask' : ruleAction, violations });
  }
  const ruleIssues = safeIssues([...broken.flatMap((b) => b.violations), ...clamped]);
  const action = broken.reduce<ValidationAction>(
    (a, b) => (severity(b.action) > severity(a) ? b.action : a),
    're-ask',
  );
  if (broken.length > 0 && (!args.lastResort || action === 'reject')) {
    return fail('rules', action, ruleIssues, parse);
  }
  layers.rules = broken.length
    ? { status: 'flagged', detail: 'the last resort, served despite', issues: ruleIssues }
    : task.rules?.length
      ? clamped.length
        ? { status: 'repaired', detail: 'clamped', issues: safeIssues(clamped) }
        : {
            status: 'passed',
            detail: `${task.rules.length} rule${task.rules.length === 1 ? '' : 's'} checked`,
          }
      : { status: 'skipped', detail: 'the task declares no rules' };

  if (args.reviewerEdit) return { ok: true, output, layers, parse, moderation };

  // 3. Grounding: claims the input does not support.
  if (task.grounding) {
    const violations = task.grounding(output, args.input);
    const action = onFailure('grounding');
    if (violations.length > 0 && (!args.lastResort || action === 'reject'))
      return fail('grounding', action, safeIssues(violations), parse);
    layers.grounding = violations.length
      ? {
          status: 'flagged',
          detail: 'the last resort, served despite',
          issues: safeIssues(violations),
        }
      : { status: 'passed' };
  } else {
    layers.grounding = { status: 'skipped', detail: 'the task declares no grounding check' };
  }

  // 4. Output moderation: what the model brought in that the input did not have.
  const verdict = moderateOutput(output, args.input, args.inputPii, args.policy, moderation);
  if (verdict.failed) return fail('moderation', onFailure('moderation'), verdict.issues, parse);
  output = verdict.output;
  layers.moderation = verdict.outcome;
  return { ok: true, output, layers, parse, moderation };
}

function moderateOutput(
  output: unknown,
  input: unknown,
  inputPii: readonly string[] | undefined,
  policy: ResolvedPolicy,
  report: Validation['moderation'],
): { failed: boolean; output: unknown; outcome: LayerOutcome; issues: Issue[] } {
  const moderator = createOutputModerator({
    input,
    ...(inputPii ? { inputPii } : {}),
    policy,
  });
  const issues: Issue[] = [];
  const notes: string[] = [];
  let changed = false;

  // PII the input did not contain: a model inventing contact details or leaking memorised data.
  const introduced = new Map<string, PiiSpan[]>();
  for (const { path, text } of stringsOf(output)) {
    const spans = moderator.introducedPii(text);
    if (spans.length > 0) introduced.set(path, spans);
  }
  const spans = [...introduced.values()].flat();
  report.pii.found = countBy(spans.map((s) => s.type));
  if (spans.length > 0) {
    report.pii.action = moderator.onPii;
    if (moderator.onPii === 'blocked') {
      for (const [path, list] of introduced)
        issues.push({
          field: path,
          message: `contains ${[...new Set(list.map((s) => s.type))].join(', ')} not present in the input`,
          rule: 'output-pii',
        });
    } else if (moderator.onPii === 'redacted') {
      output = transformStrings(output, (text, path) =>
        introduced.has(path) ? maskPii(text, introduced.get(path)) : text,
      );
      changed = true;
      notes.push(`masked ${spans.length} PII value(s) not in the input`);
    } else {
      notes.push(`flagged ${spans.length} PII value(s) not in the input`);
    }
  }

  // Profanity the input did not contain.
  if (policy.moderation.output.toxicity !== 'allow') {
    let worst = 0;
    for (const { path, text } of stringsOf(output)) {
      const scan = moderator.freshToxicity(text);
      if (!scan) continue;
      worst = Math.max(worst, scan.score);
      if (moderator.toxicityAction(scan.score) !== 'none')
        issues.push({ field: path, message: 'contains profanity', rule: 'output-toxicity' });
    }
    report.toxicity.score = Math.round(worst * 100) / 100;
    const action = moderator.toxicityAction(worst);
    if (action !== 'none') {
      report.toxicity.action = action;
      if (policy.moderation.output.toxicity === 'flag') notes.push('flagged profanity');
    }
  }
  const blocked = report.pii.action === 'blocked' || report.toxicity.action === 'blocked';
  if (blocked) return { failed: true, output, outcome: { status: 'failed' }, issues };
  return {
    failed: false,
    output,
    outcome: {
      status: changed ? 'repaired' : notes.length > 0 ? 'flagged' : 'passed',
      ...(notes.length ? { detail: notes.join('; ') } : {}),
    },
    issues,
  };
}
