/**
 * Content faults through both SDKs, for the built-in tasks: each must produce exactly the damage
 * its description promises, so Keel's parsers, validators and guards have something real to catch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTask } from '../../shared/tasks';
import { answer } from '../../shared/tasks/answer';
import { ClassifyTicketOutput } from '../../shared/tasks/classify-ticket';
import { extractInvoice } from '../../shared/tasks/extract-invoice';
import { suggestDiscount } from '../../shared/tasks/suggest-discount';
import { SummarizeOutput } from '../../shared/tasks/summarize';
import type { MockUpstream } from '../mock-upstream/index';
import { INJECTED, startMockUpstream } from '../mock-upstream/index';
import { SUMMARY_INPUT, TICKET, anthropic, anthropicParams, openai, openaiParams } from './helpers';

type Task = 'classify_ticket' | 'summarize';
/** One answer, normalised: `json` when it came as structured output, else the raw text. */
interface Answer {
  text: string;
  json?: any;
  truncated: boolean;
}

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());

const ask: Record<'openai' | 'anthropic', (model: string, task: Task) => Promise<Answer>> = {
  async openai(model, task) {
    const data = await openai(mock.url).chat.completions.create(openaiParams(model, task));
    const text = data.choices[0]?.message.content ?? '';
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { text, json, truncated: data.choices[0]?.finish_reason === 'length' };
  },
  async anthropic(model, task) {
    const message = await anthropic(mock.url).messages.create(anthropicParams(model, task));
    const tool = message.content.find((b) => b.type === 'tool_use');
    const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    const truncated = message.stop_reason === 'max_tokens';
    if (tool?.type === 'tool_use')
      return { text: JSON.stringify(tool.input), json: tool.input, truncated };
    // A misbehaving model answers a forced tool with text: no tool_use block at all.
    expect(message.stop_reason).not.toBe('tool_use');
    return { text, truncated };
  },
};

/** Any built-in task, its example as input, the way Keel asks: the output parsed by its schema. */
async function askTask(api: 'openai' | 'anthropic', model: string, taskName: string): Promise<any> {
  const task = findTask(taskName)!;
  const prompt = task.prompt.render(task.input.parse(task.example));
  const name = taskName.replace(/-/g, '_');
  if (api === 'openai') {
    const data = await openai(mock.url).chat.completions.create({
      model,
      messages: [
        { role: 'system', content: task.prompt.system },
        { role: 'user', content: prompt },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: { name, schema: { type: 'object' }, strict: true },
      },
    });
    return task.output.parse(JSON.parse(data.choices[0]?.message.content ?? ''));
  }
  const message = await anthropic(mock.url).messages.create({
    model,
    max_tokens: 1024,
    system: task.prompt.system,
    messages: [{ role: 'user', content: prompt }],
    tools: [{ name, description: 'Return the answer.', input_schema: { type: 'object' } }],
    tool_choice: { type: 'tool', name },
  });
  const tool = message.content.find((b) => b.type === 'tool_use');
  return task.output.parse(tool?.type === 'tool_use' ? tool.input : undefined);
}

const fence = /^Here is the result:\n```json\n([\s\S]*)\n```$/;

describe.each(['openai', 'anthropic'] as const)('%s', (api) => {
  it('invalid-json: not parseable, not structured', async () => {
    const answer = await ask[api]('invalid-json', 'classify_ticket');
    expect(answer.json).toBeUndefined();
    expect(() => JSON.parse(answer.text) as unknown).toThrow(SyntaxError);
    expect(answer.text).toMatch(/,$/);
  });

  it('fenced-json: parseable after stripping the fence, and equal to the ok answer', async () => {
    const answer = await ask[api]('fenced-json', 'classify_ticket');
    const ok = await ask[api]('ok', 'classify_ticket');
    const inner = fence.exec(answer.text)?.[1];
    expect(inner).toBeDefined();
    expect(JSON.parse(inner ?? '')).toEqual(ok.json);
  });

  it('truncated: cut JSON with a length stop', async () => {
    const answer = await ask[api]('truncated', 'summarize');
    expect(answer.truncated).toBe(true);
    expect(() => JSON.parse(answer.text) as unknown).toThrow();
    expect(answer.text.startsWith('{"summary":')).toBe(true);
  });

  it('rule-violation: schema-valid, but breaks the business rule', async () => {
    const ticket = ClassifyTicketOutput.parse(
      (await ask[api]('rule-violation', 'classify_ticket')).json,
    );
    expect(ticket).toMatchObject({ category: 'OTHER', confidence: 0.2 }); // below the default 0.5
    expect(ticket.rationale).toMatch(/guess/i);
    const summary = SummarizeOutput.parse((await ask[api]('rule-violation', 'summarize')).json);
    expect(summary.summary.split(/\s+/).length).toBeGreaterThan(SUMMARY_INPUT.maxWords);
  });

  it('fabricated-citation: a number and a name (or a term) absent from the source', async () => {
    const summary = SummarizeOutput.parse(
      (await ask[api]('fabricated-citation', 'summarize')).json,
    );
    expect(summary.summary).toContain(INJECTED.fabricatedSentence);
    expect(SUMMARY_INPUT.text).not.toMatch(/42|Okafor/);
    const ticket = ClassifyTicketOutput.parse(
      (await ask[api]('fabricated-citation', 'classify_ticket')).json,
    );
    expect(ticket.rationale).toContain(INJECTED.fabricatedTerm);
    expect(`${TICKET.subject} ${TICKET.body}`).not.toContain('Okafor');
  });

  it('pii-output and toxic-output: planted in the main text field', async () => {
    const pii = SummarizeOutput.parse((await ask[api]('pii-output', 'summarize')).json);
    expect(pii.summary).toContain(INJECTED.email);
    expect(pii.summary).toContain(INJECTED.phone);
    const toxic = ClassifyTicketOutput.parse(
      (await ask[api]('toxic-output', 'classify_ticket')).json,
    );
    expect(toxic.rationale).toContain(INJECTED.profanity);
    expect(toxic.category).toBe('BILLING');
  });

  it('ok summarize: valid, within budget, copied from the source', async () => {
    const summary = SummarizeOutput.parse((await ask[api]('ok', 'summarize')).json);
    expect(summary.summary.split(/\s+/).length).toBeLessThanOrEqual(SUMMARY_INPUT.maxWords);
    expect(summary.summary).not.toMatch(/42|Okafor|@/);
  });

  it('rule-violation on the other tasks: 60% discount, total off by 10, citations dropped', async () => {
    const discount = await askTask(api, 'rule-violation', suggestDiscount.name);
    expect(discount.discountPercent).toBe(60);
    const invoice = await askTask(api, 'rule-violation', extractInvoice.name);
    const sum = invoice.lineItems.reduce((s: number, i: { amount: number }) => s + i.amount, 0);
    expect(invoice.total).toBeCloseTo(sum + 10, 6);
    const answered = await askTask(api, 'rule-violation', answer.name);
    expect(answered.citations).toEqual([]);
    expect(answered.answer).toEqual((await askTask(api, 'ok', answer.name)).answer);
  });

  it('fabricated-citation on answer and extract-invoice: a made-up quote, document and vendor', async () => {
    const answered = await askTask(api, 'fabricated-citation', answer.name);
    expect(answered.citations[0].quote).toBe(INJECTED.fabricatedQuote);
    expect(answered.citations.at(-1)).toEqual({
      documentId: INJECTED.missingDocumentId,
      quote: INJECTED.fabricatedQuote,
    });
    expect(JSON.stringify(answer.example)).not.toContain(INJECTED.missingDocumentId);
    const invoice = await askTask(api, 'fabricated-citation', extractInvoice.name);
    expect(invoice.vendor).toBe(INJECTED.fabricatedVendor);
    expect(String(extractInvoice.example.text)).not.toContain('Okafor');
  });
});
