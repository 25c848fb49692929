import { describe, expect, it } from 'vitest';
import { TASKS, findTask } from '../../shared/tasks';

describe('built-in task definitions', () => {
  it('has summarize and classify-ticket, with versioned prompts and sane envelopes', () => {
    expect(Object.keys(TASKS).sort()).toEqual(['classify-ticket', 'summarize']);
    for (const task of Object.values(TASKS)) {
      expect(task.prompt.version).toMatch(new RegExp(`^${task.name}@\\d+$`));
      expect(task.envelope.fastMs).toBeLessThan(task.envelope.maxSyncMs);
      expect(task.envelope.maxSyncMs).toBeLessThan(task.envelope.hardTimeoutMs);
      expect(task.route.length).toBeGreaterThan(0);
    }
  });

  it('each example input is valid and its deterministic fallback satisfies the output schema', () => {
    for (const task of Object.values(TASKS)) {
      const input = task.input.parse(task.example);
      const output = task.fallback(input);
      expect(task.output.safeParse(output).success).toBe(true);
      expect(task.fallback(input)).toEqual(output);
    }
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
