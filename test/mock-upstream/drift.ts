/**
 * Scenarios whose behaviour changes after a number of calls, as a model update does: the first
 * `driftAfterCalls` calls of a scenario answer as `ok`, the later ones drift. Drift detection's
 * tests (docs/drift.md) send a baseline through them, then watch Keel notice.
 */
import { buildReply, refusalReply } from './content';
import { isRecord, type Reply } from './wire';

export const DRIFT_SCENARIOS = [
  'drift-refusals',
  'drift-longer',
  'drift-categories',
  'drift-unfaithful',
] as const;
export type DriftScenario = (typeof DRIFT_SCENARIOS)[number];

/** Calls of a drift scenario answered as `ok` before it drifts (options.driftAfterCalls). */
export const DEFAULT_DRIFT_AFTER_CALLS = 50;

export const DRIFT_DESCRIPTIONS: Record<DriftScenario, string> = {
  'drift-refusals': `As ok for the first options.driftAfterCalls calls (default ${DEFAULT_DRIFT_AFTER_CALLS}; header x-mock-drift-after per request), then every second call refuses (content_filter / stop_reason refusal).`,
  'drift-longer': `As ok for the first options.driftAfterCalls calls (default ${DEFAULT_DRIFT_AFTER_CALLS}), then the main text field (classify-ticket's rationale, a summary…) says everything three times: valid, grounded, longer.`,
  'drift-categories': `As ok for the first options.driftAfterCalls calls (default ${DEFAULT_DRIFT_AFTER_CALLS}), then every classify-ticket answer names the next category (BILLING → TECHNICAL → ACCOUNT → OTHER → BILLING), confidence and rationale kept.`,
  'drift-unfaithful': `As ok for the first options.driftAfterCalls calls (default ${DEFAULT_DRIFT_AFTER_CALLS}), then as unfaithful: "— a full refund is guaranteed." appended to the main text field, so a verifier's verdicts turn bad (the alerts on the evaluation rates, docs/evaluation.md).`,
};

export function isDriftScenario(name: string): name is DriftScenario {
  return (DRIFT_SCENARIOS as readonly string[]).includes(name);
}

const CATEGORIES = ['BILLING', 'TECHNICAL', 'ACCOUNT', 'OTHER'];
const MAIN_TEXT = ['rationale', 'summary', 'answer', 'reason'];

/**
 * The reply of call number `call` (1-based, counted per scenario) of a drift scenario; `after`
 * calls are answered as `ok`.
 */
export function driftReply(
  scenario: DriftScenario,
  call: number,
  after: number,
  request: { schemaName?: string | undefined; lastUserText: string },
): Reply {
  const ok = buildReply(request.schemaName, request.lastUserText);
  const drifted = call - after;
  if (drifted <= 0) return ok;
  switch (scenario) {
    case 'drift-refusals':
      return drifted % 2 === 1 ? refusalReply() : ok;
    case 'drift-longer':
      return edit(ok, (value) => {
        const field = MAIN_TEXT.find((f) => typeof value[f] === 'string');
        if (!field) return value;
        const text = value[field] as string;
        return { ...value, [field]: `${text} ${text} ${text}` };
      });
    case 'drift-categories':
      return edit(ok, (value) => {
        const i = CATEGORIES.indexOf(String(value['category']));
        return i < 0 ? value : { ...value, category: CATEGORIES[(i + 1) % CATEGORIES.length] };
      });
    case 'drift-unfaithful':
      return buildReply(request.schemaName, request.lastUserText, 'unfaithful');
  }
}

function edit(
  reply: Reply,
  change: (value: Record<string, unknown>) => Record<string, unknown>,
): Reply {
  if (!isRecord(reply.json)) return reply;
  const json = change(reply.json);
  return { ...reply, json, text: JSON.stringify(json) };
}
