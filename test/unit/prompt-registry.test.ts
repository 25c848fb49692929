import { describe, expect, it } from 'vitest';
import { renderTaskRequest } from '../../activities/models/render-request';
import { parseRenderedInput, TASKS } from '../../shared/tasks';
import { classifyTicket } from '../../shared/tasks/classify-ticket';
import {
  inputFieldsOf,
  placeholdersOf,
  renderTemplate,
  unknownPlaceholders,
} from '../../shared/tasks/prompt-template';
import {
  assignVersion,
  BUCKETS,
  promptBucket,
  PromptRollout,
  rolloutProblems,
} from '../../shared/tenancy/prompt-rollout';

const TICKET = { subject: 'Refund', body: 'I was charged {{twice}}' };

describe('prompt templates', () => {
  it('names the placeholders once each, spaces inside the braces allowed', () => {
    expect(placeholdersOf('{{ subject }}: {{body}} {{subject}} {{input}} {x} {{ 1a }}')).toEqual([
      'subject',
      'body',
      'input',
    ]);
  });

  it("knows each task's top-level input fields, and refuses the others by name", () => {
    expect(inputFieldsOf(classifyTicket)).toEqual(['subject', 'body']);
    for (const task of Object.values(TASKS)) expect(inputFieldsOf(task).length).toBeGreaterThan(0);
    expect(
      unknownPlaceholders('{{subject}} {{input}} {{priority}} {{body}}', ['subject', 'body']),
    ).toEqual(['priority']);
  });

  it('fills fields as text, {{input}} as the tagged JSON; a value is never expanded again', () => {
    const text = renderTemplate('S={{subject}} B={{ body }} M={{missing}} | {{input}}', TICKET);
    expect(text).toBe(
      'S=Refund B=I was charged {{twice}} M= | <input>{"subject":"Refund","body":"I was charged {{twice}}"}</input>',
    );
    // The mock upstream (and any eval tool) recovers the exact input from {{input}}.
    expect(parseRenderedInput(text)).toEqual(TICKET);
    expect(renderTemplate('{{n}} {{o}}', { n: 3, o: { a: [1] } })).toBe('3 {"a":[1]}');
  });

  it('a registry version replaces the system and user turns of the model request', () => {
    const req = renderTaskRequest({
      task: classifyTicket,
      input: TICKET,
      prompt: { system: 'You are v2.', userTemplate: 'Ticket about {{subject}}: {{input}}' },
    });
    expect(req.messages).toEqual([
      { role: 'system', content: 'You are v2.' },
      {
        role: 'user',
        content: `Ticket about Refund: <input>${JSON.stringify(TICKET)}</input>`,
      },
    ]);
  });
});

describe('sticky assignment', () => {
  const rollout = (versions: Array<[string, number]>, stickiness?: 'tenant' | 'key') =>
    PromptRollout.parse({
      ...(stickiness ? { stickiness } : {}),
      versions: versions.map(([version, percent]) => ({ version, percent })),
    });

  it('a bucket is a stable number in 0..9999 per task and unit', () => {
    const b = promptBucket('classify-ticket', 'tenant:acme');
    expect(b).toBe(promptBucket('classify-ticket', 'tenant:acme'));
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThan(BUCKETS);
    expect(promptBucket('summarize', 'tenant:acme')).not.toBe(b);
  });

  it('20 % over 2,000 tenants lands within 3 sigma, and each tenant keeps its version', () => {
    const r = rollout([
      ['classify-ticket@r2', 20],
      ['classify-ticket@1', 80],
    ]);
    const tenants = Array.from({ length: 2_000 }, (_, i) => `tenant-${i}`);
    const assigned = tenants.map((tenantId) =>
      assignVersion({ task: 'classify-ticket', tenantId, rollout: r }),
    );
    const onNew = assigned.filter((v) => v === 'classify-ticket@r2').length;
    const sigma = Math.sqrt(2_000 * 0.2 * 0.8); // ≈ 17.9
    expect(Math.abs(onNew - 400)).toBeLessThanOrEqual(3 * sigma);
    // The same request again (another process, another day): the same version.
    tenants.forEach((tenantId, i) =>
      expect(assignVersion({ task: 'classify-ticket', tenantId, rollout: r })).toBe(assigned[i]),
    );
    // Growing the first version's share only moves tenants onto it.
    const grown = rollout([
      ['classify-ticket@r2', 50],
      ['classify-ticket@1', 50],
    ]);
    tenants.forEach((tenantId, i) => {
      if (assigned[i] === 'classify-ticket@r2')
        expect(assignVersion({ task: 'classify-ticket', tenantId, rollout: grown })).toBe(
          'classify-ticket@r2',
        );
    });
  });

  it('per key when the rollout says so: keys of one tenant split; without a key, the tenant', () => {
    const r = rollout(
      [
        ['a', 50],
        ['b', 50],
      ],
      'key',
    );
    const versions = new Set(
      Array.from({ length: 40 }, (_, i) =>
        assignVersion({ task: 't', tenantId: 'one', keyId: `key-${i}`, rollout: r }),
      ),
    );
    expect(versions).toEqual(new Set(['a', 'b']));
    const byTenant = assignVersion({
      task: 't',
      tenantId: 'one',
      rollout: rollout([
        ['a', 50],
        ['b', 50],
      ]),
    });
    expect(assignVersion({ task: 't', tenantId: 'one', rollout: r })).toBe(byTenant);
  });

  it('100 % is everyone; 0 % is no one', () => {
    const r = rollout([
      ['old', 100],
      ['new', 0],
    ]);
    for (let i = 0; i < 200; i++)
      expect(assignVersion({ task: 't', tenantId: `x${i}`, rollout: r })).toBe('old');
  });

  it('shares must add up to 100 with each version once; two decimals at most', () => {
    expect(
      rolloutProblems([
        { version: 'a', percent: 33.33 },
        { version: 'b', percent: 66.67 },
      ]),
    ).toEqual([]);
    expect(
      rolloutProblems([
        { version: 'a', percent: 20 },
        { version: 'b', percent: 70 },
      ]),
    ).toEqual([{ field: 'versions', message: 'the percentages add up to 90, not 100' }]);
    expect(
      rolloutProblems([
        { version: 'a', percent: 50 },
        { version: 'a', percent: 50 },
      ]),
    ).toEqual([{ field: 'versions.1.version', message: 'listed twice' }]);
    expect(PromptRollout.safeParse({ versions: [{ version: 'a', percent: 12.345 }] }).success).toBe(
      false,
    );
  });
});
