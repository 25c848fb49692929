import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import {
  reaskTurn,
  renderTaskRequest,
  taskResponseFormat,
} from '../../activities/models/render-request';
import { TASKS } from '../../shared/tasks';
import { classifyTicket } from '../../shared/tasks/classify-ticket';

describe('rendering a task into a model request', () => {
  it.each(Object.values(TASKS).map((t) => [t.name, t] as const))(
    '%s: the JSON schema is the one the OpenAI SDK helper sent before (wire unchanged)',
    (_, task) => {
      const format = taskResponseFormat(task);
      const before = zodResponseFormat(task.output, task.name.replace(/-/g, '_'));
      expect(format).toMatchObject({ type: 'json', name: before.json_schema.name });
      expect(format.type === 'json' && format.schema).toEqual(before.json_schema.schema);
    },
  );

  it('messages carry the prompt and the input; the local provider gets task and input', () => {
    const input = { subject: 'Refund', body: 'Charged twice' };
    const req = renderTaskRequest({ task: classifyTicket, input });
    expect(req.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(req.messages[1]?.content).toContain('Charged twice');
    expect(req.responseFormat).toMatchObject({
      name: 'classify_ticket',
      description: classifyTicket.description,
    });
    expect(req.providerOptions).toEqual({ local: { task: 'classify-ticket', input } });
  });

  it('a re-ask keeps the task turns as they were and adds one correction turn', () => {
    const input = { subject: 's', body: 'b' };
    const first = renderTaskRequest({ task: classifyTicket, input });
    const req = renderTaskRequest({
      task: classifyTicket,
      input,
      reask: { previous: '{"category":"NOPE"}', problems: ['output.category: invalid enum'] },
    });
    expect(req.messages.map((m) => m.role)).toEqual(['system', 'user', 'user']);
    expect(req.messages.slice(0, 2)).toEqual(first.messages);
    expect(req.messages[2]?.content).toContain('- output.category: invalid enum');
  });
});

describe('the correction turn of a re-ask', () => {
  const answer = {
    category: 'SHIPPING',
    confidence: 2,
    rationale: `The customer cites "clause 14.3". ${'Long reasoning. '.repeat(40)}`,
  };

  it('quotes only the offending values of a readable answer, never the whole of it', () => {
    const turn = reaskTurn({
      previous: JSON.stringify(answer),
      problems: ['output.category: Invalid option', 'output.confidence: Too big: expected <=1'],
    });
    expect(turn).toBe(
      'Your previous answer was rejected by validation:\n' +
        '- output.category: Invalid option (you answered "SHIPPING")\n' +
        '- output.confidence: Too big: expected <=1 (you answered 2)\n' +
        'Answer again with only the corrected JSON.',
    );
    expect(turn).not.toContain('Long reasoning');
  });

  it('names a long text value without quoting it, and what names no field as it is', () => {
    const turn = reaskTurn({
      previous: JSON.stringify(answer),
      problems: ['rationale: the quoted phrase "clause 14.3" is not found', '(output): odd'],
    });
    expect(turn).toContain(
      '\n- rationale: the quoted phrase "clause 14.3" is not found\n- (output): odd\n',
    );
    expect(turn).not.toContain('you answered');
  });

  it('sends nothing of an unreadable answer: a fresh ask with the parse problem named', () => {
    const broken = JSON.stringify(answer).slice(0, 60);
    const turn = reaskTurn({
      previous: broken,
      problems: ['(output): truncated: the JSON in the model text is cut off'],
    });
    expect(turn).toBe(
      'Your previous answer was rejected by validation:\n' +
        '- (output): truncated: the JSON in the model text is cut off\n' +
        'Answer again with only the corrected JSON.',
    );
  });

  it("follows the table's echo for a kind validation names (truncated: problems only)", () => {
    const problems = ['output.rationale: contains profanity'];
    const previous = JSON.stringify({ ...answer, rationale: 'damn' });
    expect(reaskTurn({ previous, problems, failure: 'moderation' })).toContain('"damn"');
    expect(reaskTurn({ previous, problems, failure: 'truncated' })).not.toContain('damn');
  });
});
