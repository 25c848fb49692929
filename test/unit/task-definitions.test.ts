import { describe, expect, it } from 'vitest';
import { TASKS, VALIDATION_ACTIONS, findTask, type RuleContext } from '../../shared/tasks';

const CTX: RuleContext = { maxDiscountPercent: 30, minConfidence: 0.5 };

describe('built-in task definitions', () => {
  it('has the five built-in tasks, with versioned prompts and sane envelopes', () => {
    expect(Object.keys(TASKS).sort()).toEqual([
      'answer',
      'classify-ticket',
      'extract-invoice',
      'suggest-discount',
      'summarize',
    ]);
    for (const task of Object.values(TASKS)) {
      expect(task.prompt.version).toMatch(new RegExp(`^${task.name}@\\d+$`));
      expect(task.envelope.fastMs).toBeLessThan(task.envelope.maxSyncMs);
      expect(task.envelope.maxSyncMs).toBeLessThan(task.envelope.hardTimeoutMs);
      expect(task.route).toEqual([
        'openai:gpt-4o-mini',
        'anthropic:claude-haiku-4-5',
        'local:keel-local-1',
      ]);
      expect(task.prompt.system).toMatch(/JSON/);
    }
  });

  it.each(Object.keys(TASKS))(
    '%s: the example parses, and its deterministic fallback passes schema, rules and grounding',
    (name) => {
      const task = TASKS[name]!;
      const input = task.input.parse(task.example);
      const output = task.fallback(input);
      expect(task.output.safeParse(output).success).toBe(true);
      expect(task.fallback(input)).toEqual(output);
      expect((task.rules ?? []).flatMap((r) => r.check(output, input, CTX))).toEqual([]);
      expect(task.grounding?.(output, input) ?? []).toEqual([]);
      expect(task.prompt.render(input)).toContain(JSON.stringify(input));
    },
  );

  it('declares rules with stable kebab-case ids, known actions, and a repair for every clamp', () => {
    const ids = Object.values(TASKS).flatMap((t) => (t.rules ?? []).map((r) => r.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const task of Object.values(TASKS)) {
      for (const rule of task.rules ?? []) {
        expect(rule.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
        expect(VALIDATION_ACTIONS).toContain(rule.action);
        expect(rule.description.length).toBeGreaterThan(0);
        if (rule.action === 'clamp') expect(rule.repair).toBeTypeOf('function');
      }
    }
    expect(ids.sort()).toEqual([
      'amount-is-qty-times-price',
      'answer-has-citations',
      'confidence-at-least-tenant-minimum',
      'currency-iso-4217',
      'date-is-real',
      'discount-within-tenant-maximum',
      'summary-within-max-words',
      'total-is-sum-of-amounts',
    ]);
  });

  it('validates inputs with field paths and applies defaults', () => {
    const summarize = findTask('summarize')!;
    expect(summarize.input.parse({ text: 'Hi there.' })).toEqual({
      text: 'Hi there.',
      maxWords: 60,
    });
    const bad = summarize.input.safeParse({ text: '', maxWords: 2, extra: true });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual([
      'maxWords',
      'text',
      'unrecognized_keys',
    ]);
    const ticket = findTask('classify-ticket')!;
    expect(
      ticket.output.safeParse({ category: 'SHIPPING', confidence: 0.5, rationale: 'x' }).success,
    ).toBe(false);
    expect(
      ticket.output.safeParse({ category: 'BILLING', confidence: 1.2, rationale: 'x' }).success,
    ).toBe(false);
  });

  it('does not treat inherited object keys as tasks', () => {
    expect(findTask('constructor')).toBeUndefined();
    expect(findTask('__proto__')).toBeUndefined();
  });

  it('renders prompts that carry the input', () => {
    const ticket = findTask('classify-ticket')!;
    const prompt = ticket.prompt.render(ticket.input.parse({ subject: 'S1', body: 'B1' }));
    expect(prompt).toContain('S1');
    expect(prompt).toContain('B1');
  });
});

describe('renderInput / parseRenderedInput', () => {
  it('round-trips the exact input, even when the text mentions the tags', async () => {
    const { renderInput, parseRenderedInput } = await import('../../shared/tasks');
    const input = { subject: 'a <input>{x}</input> b', body: 'line\n"quoted" }</input>' };
    const ticket = findTask('classify-ticket')!;
    expect(parseRenderedInput(ticket.prompt.render(ticket.input.parse(input)))).toEqual(input);
    expect(parseRenderedInput(`intro ${renderInput({ n: 1 })}`)).toEqual({ n: 1 });
    expect(parseRenderedInput('no input here')).toBeUndefined();
  });
});
