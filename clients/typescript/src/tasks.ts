import type { Jobs, WaitOptions } from './jobs.js';
import type { Transport } from './transport.js';
import type {
  ResultMeta,
  TaskInput,
  TaskName,
  TaskOutput,
  TaskResult,
  TaskRunOptions,
} from './types.js';

/**
 * The tasks this client knows, as the OpenAPI document lists them. The check below fails the
 * build when the document (after `npm run client:types`) has a task missing here.
 */
export const TASK_NAMES = [
  'summarize',
  'classify-ticket',
  'extract-invoice',
  'answer',
  'suggest-discount',
] as const satisfies readonly TaskName[];
type Missing = Exclude<TaskName, (typeof TASK_NAMES)[number]>;
const _everyTaskListed: [Missing] extends [never] ? true : Missing = true;

/**
 * One run's options: Keel's (`maxSyncMs`, `route`, `review`, `cacheTtlMs`, `allowDegraded`,
 * `singleFlight`, `debounce`, sent in the body) and the client's own (`signal`, `idempotencyKey`,
 * `cancelOnAbort`, `timeoutMs`, `maxRetries`, `pollIntervalMs`, `headers`).
 */
export type TaskCallOptions<N extends TaskName> = TaskRunOptions<N> &
  WaitOptions & {
    /**
     * Makes a retry of this call return the same job instead of starting another.
     * @default a new `crypto.randomUUID()` per call
     */
    idempotencyKey?: string;
  };

/** What `POST /v1/tasks/{task}` answers: 200 with the answer, or 202 `{ jobId, status }`. */
interface Answer {
  jobId: string;
  status: string;
  output?: unknown;
  meta?: ResultMeta;
}

const CLIENT_OPTIONS = new Set([
  'signal',
  'idempotencyKey',
  'cancelOnAbort',
  'timeoutMs',
  'maxRetries',
  'pollIntervalMs',
  'headers',
]);

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<Camel<Tail>>}`
  : S;

/** `keel.tasks.classifyTicket(input, options)`, one method per task. */
export type TaskMethods = {
  [N in TaskName as Camel<N>]: (
    input: TaskInput<N>,
    options?: TaskCallOptions<N>,
  ) => Promise<TaskResult<N>>;
};

export interface Tasks extends TaskMethods {
  /** Runs a task by its name (`classify-ticket`), as the methods do. */
  run<N extends TaskName>(
    task: N,
    input: TaskInput<N>,
    options?: TaskCallOptions<N>,
  ): Promise<TaskResult<N>>;
}

/**
 * `POST /v1/tasks/{task}` with an Idempotency-Key (so retries are safe); a 202 becomes a wait on
 * the job's events. Resolves with the validated output; throws the problem's error class.
 */
export function createTasks(http: Transport, jobs: Jobs): Tasks {
  async function run<N extends TaskName>(
    task: N,
    input: TaskInput<N>,
    options: TaskCallOptions<N> = {} as TaskCallOptions<N>,
  ): Promise<TaskResult<N>> {
    const call: WaitOptions & { idempotencyKey?: string } = {};
    const keel: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(options)) {
      if (CLIENT_OPTIONS.has(name)) (call as Record<string, unknown>)[name] = value;
      else if (value !== undefined) keel[name] = value;
    }
    const { status, body } = await http.json<Answer>(
      {
        method: 'POST',
        path: `/v1/tasks/${task}`,
        json: Object.keys(keel).length > 0 ? { input, options: keel } : { input },
        idempotencyKey: call.idempotencyKey ?? globalThis.crypto.randomUUID(),
      },
      call,
    );
    // 200: the answer; 202: still running or awaiting review, so wait for its end.
    const done = status === 200 ? body : await jobs.wait(body.jobId, call);
    return {
      jobId: done.jobId,
      output: done.output as TaskOutput<N>,
      meta: done.meta as ResultMeta,
    };
  }

  const tasks: Record<string, unknown> = { run };
  for (const name of TASK_NAMES) {
    const method = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    tasks[method] = (input: never, options?: never) => run(name, input, options);
  }
  return tasks as unknown as Tasks;
}

void _everyTaskListed;
