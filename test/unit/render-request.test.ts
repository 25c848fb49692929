import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import { renderTaskRequest, taskResponseFormat } from '../../activities/models/render-request';
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

  it('a re-ask appends the rejected answer and the problems', () => {
    const req = renderTaskRequest({
      task: classifyTicket,
      input: { subject: 's', body: 'b' },
      reask: { previous: '{"category":"NOPE"}', problems: ['category: invalid enum'] },
    });
    expect(req.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(req.messages[2]?.content).toBe('{"category":"NOPE"}');
    expect(req.messages[3]?.content).toContain('- category: invalid enum');
  });
});
