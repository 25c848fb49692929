import { describe, expect, it } from 'vitest';
import { validateAnswer } from '../../activities/guards/validation';
import { FAILURE_KINDS, REASK_POLICY, failureKindOf, reaskAction } from '../../shared/policy/reask';
import { resolvePolicy } from '../../shared/policy/resolve-policy';
import { classifyTicket } from '../../shared/tasks/classify-ticket';

const policy = resolvePolicy({
  config: undefined,
  tenantId: 't',
  task: classifyTicket.name,
  taskDefaults: classifyTicket.policy,
});
const input = { subject: 'Refund', body: 'I was charged twice for my subscription' };
const good = { category: 'BILLING', confidence: 0.9, rationale: 'Mentions a double charge.' };

describe('the re-ask decision table', () => {
  it('has one row per failure kind; only a refusal skips the re-ask', () => {
    expect(Object.keys(REASK_POLICY).sort()).toEqual([...FAILURE_KINDS].sort());
    const next = FAILURE_KINDS.filter((k) => REASK_POLICY[k].action === 'next');
    expect(next).toEqual(['refusal']);
  });

  it('tells a parse failure, a truncation and a schema failure apart', () => {
    const parse = [{ field: '(output)', message: 'truncated: cut off', rule: 'parse' }];
    expect(failureKindOf('schema', parse)).toBe('parse');
    expect(failureKindOf('schema', parse, 'length')).toBe('truncated');
    expect(failureKindOf('schema', [{ field: 'output.category', message: 'enum' }])).toBe('schema');
    expect(failureKindOf('rules', [])).toBe('rule');
    expect(failureKindOf('grounding', [])).toBe('grounding');
    expect(failureKindOf('moderation', [])).toBe('moderation');
  });

  it("decides only a re-ask: a task's own next, review or reject stands", () => {
    expect(reaskAction('refusal', 're-ask')).toBe('next');
    expect(reaskAction('parse', 're-ask')).toBe('re-ask');
    for (const declared of ['next', 'review', 'reject', 'degrade'] as const)
      expect(reaskAction('parse', declared)).toBe(declared);
  });
});

describe('validation names the failure kind and the action from the table', () => {
  it('an answer cut off at the token limit is a truncation, re-asked', () => {
    const v = validateAnswer(classifyTicket, {
      text: JSON.stringify(good).slice(0, 30),
      input,
      policy,
      finishReason: 'length',
    });
    expect(v.failed).toMatchObject({ layer: 'schema', kind: 'truncated', action: 're-ask' });
  });

  it('a value outside the enum is a schema failure; a low confidence keeps the rule’s next', () => {
    const enumFail = validateAnswer(classifyTicket, {
      output: { ...good, category: 'SHIPPING' },
      input,
      policy,
    });
    expect(enumFail.failed).toMatchObject({ layer: 'schema', kind: 'schema', action: 're-ask' });
    const guess = validateAnswer(classifyTicket, {
      output: { category: 'OTHER', confidence: 0.2, rationale: 'Just a guess.' },
      input,
      policy,
    });
    expect(guess.failed).toMatchObject({ layer: 'rules', kind: 'rule', action: 'next' });
  });
});
