/**
 * What the mock model "says". For Keel's own tasks the correct answer is the task's deterministic
 * local algorithm applied to the input Keel rendered into the prompt, so `ok` passes validation
 * end to end; content-fault scenarios then break that answer in the specific way real models do.
 */
import { TASKS, findTask, parseRenderedInput, type AnyTaskDefinition } from '../../shared/tasks';
import type { Reply } from './wire';
import { isRecord } from './wire';

export const CONTENT_FAULTS = [
  'invalid-json',
  'fenced-json',
  'truncated',
  'rule-violation',
  'fabricated-citation',
  'pii-output',
  'toxic-output',
  'unfaithful',
] as const;
export type ContentFault = (typeof CONTENT_FAULTS)[number];

/** The exact strings the faults inject, exported so tests and guards can look for them. */
export const INJECTED = {
  email: 'jane.doe@example.com',
  phone: '+1 415 555 0100',
  profanity: 'this is damn stupid crap',
  fabricatedSentence: 'Revenue grew 42% under CEO Margaret Okafor.',
  fabricatedTerm: 'Okafor Enterprise Agreement clause 14.3',
  /** Replaces the first citation's quote (answer): a sentence no document contains. */
  fabricatedQuote: 'Margaret Okafor confirmed that every request is refunded within 42 minutes.',
  /** A second citation (answer) names this document, which the request does not have. */
  missingDocumentId: 'doc-does-not-exist',
  /** Replaces the vendor (extract-invoice): a company the invoice never mentions. */
  fabricatedVendor: 'Okafor Holdings International',
  refusal: "I'm sorry, but I can't help with that request.",
  /** `unfaithful`: a promise no input makes, in words no deterministic layer checks. */
  unfaithful: 'a full refund is guaranteed',
} as const;

export function isContentFault(name: string): name is ContentFault {
  return (CONTENT_FAULTS as readonly string[]).includes(name);
}

interface Answer {
  taskName?: string;
  input?: Record<string, unknown>;
  /** The structured answer; absent when the request is not one of Keel's tasks. */
  value?: Record<string, unknown>;
  text: string;
}

/**
 * The task whose input schema accepts `raw`. Keel renders parsed input, defaults included, so a
 * task that parses it back unchanged beats one that only accepts it (`{text}` is an invoice, not
 * a summary request, which would have had `maxWords`).
 */
function taskByInputShape(raw: unknown): AnyTaskDefinition | undefined {
  if (raw === undefined) return undefined;
  const accepting = Object.values(TASKS).filter((t) => t.input.safeParse(raw).success);
  const exact = accepting.find(
    (t) => JSON.stringify(t.input.safeParse(raw).data) === JSON.stringify(raw),
  );
  return exact ?? accepting[0];
}

/**
 * The mock model's judgement for Keel's model-based injection check (schema `injection_check`):
 * a stand-in for a model that reads intent rather than Keel's patterns. A sentence that speaks to
 * an AI (AI, assistant, agent, bot, model) and says its rules, limits or authority changed is an
 * injection; anything else is not.
 */
const SPEAKS_TO_AI = /\b(?:ai|assistant|agent|bot|model)\b/i;
const CLAIMS_CHANGE =
  /\b(?:authori[sz]ed|approved|no longer|lifted|removed|new terms|override|caps?|limits?)\b/i;

function injectionVerdict(raw: unknown): Answer {
  const texts: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') texts.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (isRecord(v)) Object.values(v).forEach(collect);
  };
  collect(raw);
  const sentences = texts.flatMap((t) => t.split(/(?<=[.!?])\s+|\n+/));
  const injection = sentences.some((s) => SPEAKS_TO_AI.test(s) && CLAIMS_CHANGE.test(s));
  const value = injection
    ? { injection: true, confidence: 0.92, kinds: ['authority-claim'] }
    : { injection: false, confidence: 0.9, kinds: [] };
  return { taskName: 'injection-check', value, text: JSON.stringify(value) };
}

/**
 * The mock model's judgement for Keel's verifier (schema `verify_answer`): a stand-in for a model
 * that reads the answer against its sources. An answer that says "guaranteed" where the input
 * does not scores 0.2, with that sentence unsupported; any other scores 0.95.
 */
const PROMISE = /\bguaranteed\b/i;

function verifierVerdict(raw: unknown): Answer {
  const texts = (v: unknown): string[] => {
    if (typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.flatMap(texts);
    return isRecord(v) ? Object.values(v).flatMap(texts) : [];
  };
  const input = isRecord(raw) ? texts(raw['input']) : [];
  const answer = isRecord(raw) ? texts(raw['answer']) : [];
  const promised = input.some((t) => PROMISE.test(t))
    ? []
    : answer.flatMap((t) => t.split(/(?<=[.!?])\s+/)).filter((t) => PROMISE.test(t));
  const value = promised.length
    ? { score: 0.2, unsupported: promised.map((t) => t.trim().slice(0, 200)) }
    : { score: 0.95, unsupported: [] };
  return { taskName: 'verify-answer', value, text: JSON.stringify(value) };
}

/** Structured-output names use underscores (`classify_ticket`); task names use dashes. */
function correctAnswer(schemaName: string | undefined, lastUserText: string): Answer {
  const plain = { text: `This is a mock completion for: ${lastUserText.slice(0, 400)}` };
  const raw = parseRenderedInput(lastUserText);
  if (schemaName === 'injection_check') return injectionVerdict(raw);
  if (schemaName === 'verify_answer') return verifierVerdict(raw);
  // JSON-mode clients (Ollama/vLLM style) name no schema: recognise the task by its input shape.
  const task =
    schemaName === undefined ? taskByInputShape(raw) : findTask(schemaName.replace(/_/g, '-'));
  if (task === undefined || raw === undefined) return plain;
  const parsed = task.input.safeParse(raw);
  if (!parsed.success) return plain;
  const value: unknown = task.fallback(parsed.data);
  if (!isRecord(value) || !isRecord(parsed.data)) return plain;
  return { taskName: task.name, input: parsed.data, value, text: JSON.stringify(value) };
}

/** The field a human reads first; PII, profanity and fabrications are planted there. */
const MAIN_FIELD: Record<string, string> = {
  summarize: 'summary',
  'classify-ticket': 'rationale',
  answer: 'answer',
  'suggest-discount': 'reason',
  // The vendor must be grounded in the invoice; planted text goes where free text is expected.
  'extract-invoice': 'lineItems.0.description',
};

function mainField(
  taskName: string | undefined,
  value: Record<string, unknown>,
): string | undefined {
  const known = taskName === undefined ? undefined : MAIN_FIELD[taskName];
  return known ?? Object.keys(value).find((k) => typeof value[k] === 'string');
}

/** A copy of `value` with the string at a dotted `path` (`lineItems.0.description`) edited. */
function editPath(value: unknown, path: string[], edit: (text: string) => string): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return typeof value === 'string' ? edit(value) : value;
  if (Array.isArray(value)) {
    const i = Number(head);
    return value.map((v, k) => (k === i ? editPath(v, rest, edit) : v));
  }
  if (!isRecord(value) || !(head in value)) return value;
  return { ...value, [head]: editPath(value[head], rest, edit) };
}

function editMain(
  answer: Answer,
  value: Record<string, unknown>,
  edit: (text: string) => string,
): Record<string, unknown> {
  const field = mainField(answer.taskName, value);
  if (field === undefined) return value;
  const edited = editPath(value, field.split('.'), edit);
  return isRecord(edited) ? edited : value;
}

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/** Valid JSON that a schema accepts but a business rule must reject. */
function violateRule(answer: Answer, value: Record<string, unknown>): Record<string, unknown> {
  if (answer.taskName === 'classify-ticket') {
    // Below the default minimum confidence (0.5): the rules layer must not trust it.
    return {
      category: 'OTHER',
      confidence: 0.2,
      rationale: 'Just a guess; nothing in the ticket decides it.',
    };
  }
  if (answer.taskName === 'suggest-discount') return { ...value, discountPercent: 60 };
  if (answer.taskName === 'extract-invoice' && typeof value['total'] === 'number')
    return { ...value, total: value['total'] + 10 };
  if (answer.taskName === 'answer') return { ...value, citations: [] };
  if (answer.taskName === 'summarize') {
    const maxWords = typeof answer.input?.['maxWords'] === 'number' ? answer.input['maxWords'] : 60;
    const base =
      typeof value['summary'] === 'string' && value['summary'] ? value['summary'] : 'Summary.';
    let summary = base;
    // Repeating the real sentences keeps the text faithful, so only the word budget is broken.
    while (words(summary) <= maxWords) summary += ` ${base}`;
    return { ...value, summary };
  }
  return value;
}

/** Valid JSON whose claims the input does not support: the grounding layer must catch it. */
function fabricate(answer: Answer, value: Record<string, unknown>): Record<string, unknown> {
  switch (answer.taskName) {
    case 'classify-ticket':
      return editMain(
        answer,
        value,
        (t) => `${t} The customer cites "${INJECTED.fabricatedTerm}".`,
      );
    case 'extract-invoice':
      return { ...value, vendor: INJECTED.fabricatedVendor };
    case 'answer': {
      const citations = Array.isArray(value['citations'])
        ? value['citations'].filter(isRecord)
        : [];
      const documents = Array.isArray(answer.input?.['documents']) ? answer.input['documents'] : [];
      const firstId = isRecord(documents[0]) ? documents[0]['id'] : undefined;
      const [first, ...rest] = citations;
      return {
        ...value,
        citations: [
          { ...(first ?? { documentId: firstId }), quote: INJECTED.fabricatedQuote },
          ...rest,
          { documentId: INJECTED.missingDocumentId, quote: INJECTED.fabricatedQuote },
        ],
      };
    }
    default:
      return editMain(answer, value, (t) => `${t} ${INJECTED.fabricatedSentence}`);
  }
}

function mutateValue(
  fault: ContentFault,
  answer: Answer,
  value: Record<string, unknown>,
): Record<string, unknown> {
  switch (fault) {
    case 'rule-violation':
      return violateRule(answer, value);
    case 'fabricated-citation':
      return fabricate(answer, value);
    case 'pii-output':
      return editMain(answer, value, (t) => `${t} Contact ${INJECTED.email} or ${INJECTED.phone}.`);
    case 'toxic-output':
      return editMain(answer, value, (t) => `${t} Honestly, ${INJECTED.profanity}.`);
    case 'unfaithful':
      return editMain(answer, value, (t) => `${t} — ${INJECTED.unfaithful}.`);
    default:
      return value;
  }
}

/** Faults that change the text around the answer rather than the answer itself. */
function mutateText(fault: ContentFault, text: string, pretty: string): Reply | undefined {
  switch (fault) {
    case 'invalid-json': {
      // Last brace dropped and a dangling comma: the classic "almost JSON" a model emits.
      const end = text.lastIndexOf('}');
      return { text: `${end >= 0 ? text.slice(0, end) : text},`, finish: 'stop' };
    }
    case 'fenced-json':
      return { text: `Here is the result:\n\`\`\`json\n${pretty}\n\`\`\``, finish: 'stop' };
    case 'truncated':
      return { text: text.slice(0, Math.max(1, Math.floor(text.length / 2))), finish: 'length' };
    default:
      return undefined;
  }
}

/**
 * The reply for a request. Non-JSON faults drop `json`, so over Anthropic they arrive as a text
 * block instead of the forced tool_use: that is what a misbehaving model actually does.
 */
export function buildReply(
  schemaName: string | undefined,
  lastUserText: string,
  fault?: ContentFault,
): Reply {
  const answer = correctAnswer(schemaName, lastUserText);
  const value = answer.value;
  if (value === undefined) {
    if (fault === undefined) return { text: answer.text, finish: 'stop' };
    const textual = mutateText(fault, answer.text, answer.text);
    if (textual) return textual;
    return {
      text: mutateValue(fault, answer, { text: answer.text })['text'] as string,
      finish: 'stop',
    };
  }
  if (fault === undefined) return { text: answer.text, json: value, finish: 'stop' };
  const textual = mutateText(fault, answer.text, JSON.stringify(value, null, 2));
  if (textual) return textual;
  const mutated = mutateValue(fault, answer, value);
  return { text: JSON.stringify(mutated), json: mutated, finish: 'stop' };
}

/** What a content-filtered completion carries: no content, only a refusal. */
export function refusalReply(): Reply {
  return { text: '', finish: 'content_filter', refusal: INJECTED.refusal };
}
