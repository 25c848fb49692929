import {
  CreateExperimentBody,
  ExperimentBody,
  ExperimentListBody,
} from '../shared/contracts/experiments';
import { json, problems, requestBody, schema, type Json } from './openapi-parts';

/** Shadow tests' paths (docs/experiments.md). */
export function experimentPaths(): Json {
  const id = {
    name: 'id',
    in: 'path',
    required: true,
    schema: { type: 'string', maxLength: 100 },
  };
  return {
    '/v1/admin/experiments': {
      post: {
        summary:
          'Start a shadow test: a candidate prompt version and/or model answers a sample of a task’s live traffic, unbilled and never returned (operator: any scope; tenant admin: its own).',
        tags: ['admin'],
        requestBody: requestBody(CreateExperimentBody),
        responses: {
          201: json('The experiment, running.', schema(ExperimentBody)),
          ...problems('POST /v1/admin/experiments'),
        },
      },
    },
    '/v1/admin/experiments/{id}/stop': {
      post: {
        summary: 'Stop sampling; the comparisons so far stay readable.',
        tags: ['admin'],
        parameters: [id],
        responses: {
          200: json('The experiment, stopped.', schema(ExperimentBody)),
          ...problems('POST /v1/admin/experiments/{id}/stop'),
        },
      },
    },
    '/v1/experiments': {
      get: {
        summary: 'The experiments this key may see (operator: all; tenant admin: its tenant’s).',
        tags: ['admin'],
        parameters: [
          { name: 'status', in: 'query', schema: { type: 'string', enum: ['running', 'stopped'] } },
        ],
        responses: {
          200: json('The experiments.', schema(ExperimentListBody)),
          ...problems('GET /v1/experiments'),
        },
      },
    },
    '/v1/experiments/{id}': {
      get: {
        summary:
          'Agreement with the live answers: enum match rate, field diff rates, validation pass rate (95 % Wilson intervals), latency and cost deltas (95 % normal intervals).',
        tags: ['admin'],
        parameters: [id],
        responses: {
          200: json('The experiment and its statistics.', schema(ExperimentBody)),
          ...problems('GET /v1/experiments/{id}'),
        },
      },
    },
  };
}
