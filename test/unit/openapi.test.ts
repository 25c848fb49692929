import { readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  FAILURE_PROBLEMS,
  PROBLEM_BASE,
  PROBLEMS,
  type ProblemSlug,
} from '../../shared/contracts/problems';
import { FailureType } from '../../shared/contracts/errors';
import {
  CONTRACT_FILES,
  defaultOpenApi,
  renderHttpContract,
  renderOpenApi,
} from '../../server/contract-files';
import { problemForFailure } from '../../server/job-status';
import { OPERATION_PROBLEMS } from '../../server/openapi';

const STALE = 'is stale: run `npm run openapi` and commit the result';

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema?: any }> }> }>
  >;
  components: { schemas: Record<string, any> };
};

describe('the committed HTTP contract', () => {
  it('openapi.json is the document the server serves by default', async () => {
    const committed = readFileSync(CONTRACT_FILES.openapi, 'utf8');
    // The parsed comparison first: its diff names the paths that drifted.
    expect(JSON.parse(committed), `${CONTRACT_FILES.openapi} ${STALE}`).toEqual(defaultOpenApi());
    expect(committed, `${CONTRACT_FILES.openapi} ${STALE}`).toBe(await renderOpenApi());
  });

  it('docs/http-contract.md is generated from the same table', async () => {
    const committed = readFileSync(CONTRACT_FILES.httpContract, 'utf8');
    expect(committed, `${CONTRACT_FILES.httpContract} ${STALE}`).toBe(await renderHttpContract());
  });
});

describe('the OpenAPI document', () => {
  const doc = defaultOpenApi() as Doc;

  it('documents every status of every operation with a body schema', () => {
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, res] of Object.entries(op.responses)) {
          const media = Object.values(res.content ?? {});
          if (media.length === 0 || !media.every((m) => m.schema))
            missing.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('types each error status with the problems it can carry', () => {
    const op = doc.paths['/v1/tasks/classify-ticket']!.post!;
    const typesOf = (status: string): string[] =>
      op.responses[status]!.content!['application/problem+json']!.schema.allOf[1].properties.type
        .enum;
    expect(typesOf('503')).toEqual([
      `${PROBLEM_BASE}tenant-store-unavailable`,
      `${PROBLEM_BASE}overloaded`,
      `${PROBLEM_BASE}temporal-unavailable`,
    ]);
    expect(typesOf('504')).toEqual([`${PROBLEM_BASE}task-timed-out`]);
    expect(typesOf('409')).toEqual([`${PROBLEM_BASE}task-cancelled`, `${PROBLEM_BASE}superseded`]);
    const decide = doc.paths['/v1/reviews/{jobId}']!.post!;
    expect(
      decide.responses['409']!.content!['application/problem+json']!.schema.allOf[1].properties.type
        .enum,
    ).toEqual([`${PROBLEM_BASE}already-decided`, `${PROBLEM_BASE}review-closed`]);
  });

  it('names both statuses a 202 can carry', () => {
    expect(doc.components.schemas.TaskAccepted.properties.status.enum).toEqual([
      'running',
      'awaiting_review',
    ]);
  });

  it('gives the review endpoints their bodies', () => {
    const reviews = doc.paths['/v1/reviews/{jobId}']!;
    const body = (op: { responses: Record<string, any> }): any =>
      op.responses['200'].content['application/json'].schema;
    expect(body(doc.paths['/v1/reviews']!.get!).properties.items.items.required).toContain('ageMs');
    expect(body(reviews.get!).required).toEqual(
      expect.arrayContaining(['jobId', 'proposed', 'issues', 'decided']),
    );
    expect(body(reviews.post!).required).toEqual(
      expect.arrayContaining(['decision', 'reviewer', 'decidedAt']),
    );
  });

  it('leaves no problem in the table that no operation answers', () => {
    const answered = new Set<string>([
      'not-found',
      'method-not-allowed',
      ...Object.values(OPERATION_PROBLEMS).flatMap((slugs) => [...slugs]),
    ]);
    expect(Object.keys(PROBLEMS).filter((slug) => !answered.has(slug))).toEqual([]);
  });
});

describe('failures as problems', () => {
  it('answers each failure type with the status and title of its row in the table', () => {
    for (const type of Object.values(FailureType)) {
      const failure = ApplicationFailure.create({ type, message: `${type} happened` });
      const problem = problemForFailure(failure, 'job-1').toProblem();
      const slug: ProblemSlug = FAILURE_PROBLEMS[type];
      expect(problem, type).toMatchObject({
        type: `${PROBLEM_BASE}${slug}`,
        status: PROBLEMS[slug].status,
        title: PROBLEMS[slug].title,
        detail: PROBLEMS[slug].detail ?? `${type} happened`,
        jobId: 'job-1',
      });
    }
  });

  it('keeps the wire form of a failed job', () => {
    const failure = ApplicationFailure.create({
      type: FailureType.AllCandidatesFailed,
      message: 'every candidate failed',
      details: [{ reasons: ['openai:gpt: timeout'] }],
    });
    expect(JSON.stringify(problemForFailure(failure, 'job-1').toProblem('/v1/tasks/x'))).toBe(
      JSON.stringify({
        type: 'https://keel.dev/problems/all-candidates-failed',
        title: 'No model produced a valid answer',
        status: 502,
        detail: 'every candidate failed',
        instance: '/v1/tasks/x',
        jobId: 'job-1',
        reasons: ['openai:gpt: timeout'],
      }),
    );
  });
});
