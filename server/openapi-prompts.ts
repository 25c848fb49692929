import {
  CreatePromptVersionBody,
  PromptRolloutResultBody,
  PromptStatsBody,
  PromptVersionBody,
  PromptVersionListBody,
  PutRolloutBody,
} from '../shared/contracts/prompts';
import { TenancyId } from '../shared/tenancy/plans';
import { TASKS } from '../shared/tasks';
import { json, problems, requestBody, schema, type Json } from './openapi-parts';

const { $schema: _dialect, ...TENANCY_ID } = schema(TenancyId);

/** The prompt registry's paths (docs/prompt-registry.md), part of the admin API. */
export function promptPaths(): Json {
  const taskParam = {
    name: 'task',
    in: 'path',
    required: true,
    schema: { type: 'string', enum: Object.keys(TASKS) },
  };
  const tenantQuery = {
    name: 'tenant',
    in: 'query',
    description: 'Operator only: a tenant’s overrides (absent: global; stats: every tenant).',
    schema: TENANCY_ID,
  };
  const base = '/v1/admin/prompts/{task}';
  return {
    [`${base}/versions`]: {
      post: {
        summary:
          'Add a prompt version (operator: global or a named tenant’s; tenant admin: its own override). Append-only.',
        tags: ['admin'],
        parameters: [taskParam],
        requestBody: requestBody(CreatePromptVersionBody),
        responses: {
          201: json('The version, with its id.', schema(PromptVersionBody)),
          ...problems('POST /v1/admin/prompts/{task}/versions'),
        },
      },
      get: {
        summary: 'The built-in prompt, the global versions and the scope’s own; its rollout.',
        tags: ['admin'],
        parameters: [taskParam, tenantQuery],
        responses: {
          200: json('The versions.', schema(PromptVersionListBody)),
          ...problems('GET /v1/admin/prompts/{task}/versions'),
        },
      },
    },
    [`${base}/rollout`]: {
      put: {
        summary:
          'Set the scope’s rollout: shares of versions adding up to 100 (a rollback is 100 % on an earlier one; empty removes it). Applies without a restart.',
        tags: ['admin'],
        parameters: [taskParam],
        requestBody: requestBody(PutRolloutBody),
        responses: {
          200: json('The scope’s rollout now.', schema(PromptRolloutResultBody)),
          ...problems('PUT /v1/admin/prompts/{task}/rollout'),
        },
      },
    },
    [`${base}/stats`]: {
      get: {
        summary:
          'Per version: jobs, valid / re-ask / review / degraded rates, latency p50 (job outcomes), calls, tokens and cost (usage ledger).',
        tags: ['admin'],
        parameters: [taskParam, tenantQuery],
        responses: {
          200: json('The figures.', schema(PromptStatsBody)),
          ...problems('GET /v1/admin/prompts/{task}/stats'),
        },
      },
    },
  };
}
