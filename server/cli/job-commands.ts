import type { JobBody } from '../../shared/contracts/http';
import { ExitCode, oneLine, problemLine, type KeelApi } from './api';
import type { Terminal } from './batch-commands';
import { followEvents, type SseEvent } from './sse';

/** The events that end a job's stream, and the exit code each means. */
const JOB_ENDS: Record<string, ExitCode> = {
  'job.completed': ExitCode.ok,
  'job.failed': ExitCode.failed,
  'job.cancelled': ExitCode.failed,
};

/**
 * `keel jobs watch <id>`: one line per event of the job's stream until it ends; exit 0 when it
 * completed, 1 when it failed or was cancelled. `--json` prints each event as a JSON line.
 */
export async function watchJob(
  api: KeelApi,
  term: Terminal,
  args: { id: string; json: boolean },
): Promise<ExitCode> {
  let code: ExitCode = ExitCode.failed;
  await followEvents(api, `/v1/jobs/${encodeURIComponent(args.id)}/events`, (e) => {
    term.out.write(`${args.json ? JSON.stringify(e) : eventLine(e)}\n`);
    const end = JOB_ENDS[e.event];
    if (end !== undefined) code = end;
    return end !== undefined;
  });
  return code;
}

/** `review.decided status=running decision=approve`, `job.completed status=completed output={…}`. */
export function eventLine(e: SseEvent): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const parts: string[] = [e.event];
  for (const key of ['status', 'decision', 'reviewer', 'group'] as const) {
    if (typeof d[key] === 'string') parts.push(`${key}=${d[key]}`);
  }
  // review.requested: the review's deadline, epoch ms in the event.
  if (typeof d.deadlineAt === 'number')
    parts.push(`deadline=${new Date(d.deadlineAt).toISOString()}`);
  if (d.output !== undefined) parts.push(`output=${JSON.stringify(d.output)}`);
  const meta = d.meta as { costUsd?: number } | undefined;
  if (typeof meta?.costUsd === 'number') parts.push(`costUsd=${meta.costUsd}`);
  const error = d.error as JobBody['error'];
  if (error) parts.push(`error="${problemLine(error.status, '', error)}"`);
  return oneLine(parts.join(' '));
}

/** `keel jobs get <id>`: the job as `GET /v1/jobs/{id}` returns it, as JSON. */
export async function getJob(
  api: KeelApi,
  term: Terminal,
  args: { id: string },
): Promise<ExitCode> {
  const job = await api.json<JobBody>(`/v1/jobs/${encodeURIComponent(args.id)}`);
  term.out.write(`${JSON.stringify(job, null, 2)}\n`);
  return ExitCode.ok;
}

/** An OpenAPI document, as far as `keel tasks` reads it. */
interface OpenApiDocument {
  paths?: Record<string, { post?: { summary?: string } }>;
}

const TASK_PATH = /^\/v1\/tasks\/([^/{}]+)$/;

/**
 * `keel tasks`: each task's name and one-line description, from the API's OpenAPI document
 * (`/openapi.json`, which lists one `POST /v1/tasks/{name}` per task and needs no key).
 */
export async function listTasks(api: KeelApi, term: Terminal): Promise<ExitCode> {
  const doc = await api.json<OpenApiDocument>('/openapi.json');
  const tasks = Object.entries(doc.paths ?? {})
    .map(([p, ops]) => ({ name: TASK_PATH.exec(p)?.[1], summary: ops.post?.summary ?? '' }))
    .filter((t): t is { name: string; summary: string } => t.name !== undefined);
  const width = Math.max(0, ...tasks.map((t) => t.name.length)) + 2;
  for (const t of tasks) term.out.write(`${t.name.padEnd(width)}${t.summary}\n`);
  return ExitCode.ok;
}
