import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RunTaskRequest, TaskOptions } from '../../shared/contracts/job';
import { canonicalHash } from '../../shared/platform/canonical-hash';
import type { AnyTaskDefinition } from '../../shared/tasks';
import { CallMarkers } from './call-markers';

/** A marker outlives its flight's hard timeout by this much at most (a process died mid-flight). */
const FLIGHT_GRACE_MS = 30_000;

/** Header telling a caller whether it started the shared job or joined one already running. */
export const SINGLE_FLIGHT_HEADER = 'x-keel-single-flight';

/** One caller's place in a flight: the shared job's id, and whether another caller started it. */
export interface Flight {
  key: string;
  jobId: string;
  joined: boolean;
}

/**
 * What makes two requests the same work: the tenant, the task, its prompt version, the input as
 * canonical JSON (key order does not matter; string contents do, the model reads them), and what
 * changes the answer: the caller's route, the plan's route, `allowDegraded`. Options that only
 * change how the caller waits (`maxSyncMs`, `cacheTtlMs`, `debounce`) are left out. A SHA-256
 * digest: the input never appears in a key, an id, a log or Redis.
 */
export function flightKey(parts: {
  tenantId: string;
  task: string;
  promptVersion: string;
  input: unknown;
  route?: readonly string[];
  planRoute?: readonly string[];
  allowDegraded?: boolean;
}): string {
  return canonicalHash([
    'single-flight-v1',
    parts.tenantId,
    parts.task,
    parts.promptVersion,
    parts.route ?? null,
    parts.planRoute ?? null,
    parts.allowDegraded ?? null,
    parts.input,
  ]);
}

/**
 * Whether a request may share its model call: the caller asked (`options.singleFlight`), sent no
 * Idempotency-Key (that names its own job) and wants no person to review the answer.
 */
export function sharesCalls(request: RunTaskRequest, idempotencyKey: string | undefined): boolean {
  return (
    request.options.singleFlight === true &&
    idempotencyKey === undefined &&
    request.options.review === undefined
  );
}

/**
 * The options the workflow sees: `singleFlight` and `debounce` are this API's alone (decided
 * before the start), and a worker of the previous release refuses options it does not know.
 */
export function workflowOptions(options: TaskOptions): TaskOptions {
  const { singleFlight: _sf, debounce: _db, ...rest } = options;
  return rest;
}

/** The flight's job ended before this caller reached it (its marker was stale): claim again. */
export class FlightLanded extends Error {
  readonly marker = 'FlightLanded';
  constructor(readonly jobId: string) {
    super(`job ${jobId} of this flight has ended`);
    this.name = 'FlightLanded';
  }
}

export const isFlightLanded = (err: unknown): err is FlightLanded =>
  (err as { marker?: unknown } | null)?.marker === 'FlightLanded';

/**
 * Single-flight: identical requests in flight at the same moment share one job, hence one model
 * call. The first caller's claim puts a fresh job id under the request's key (Redis with
 * KEEL_REDIS_URL, so every replica sees it); callers arriving while it is there take that id, and
 * all of them start it with `USE_EXISTING`: whoever reaches Temporal first starts the job, the
 * others attach to it and wait on the same result. The marker is dropped when a caller sees the
 * result; a finished job is never reused (`REJECT_DUPLICATE`; a caller that finds it finished
 * claims again). Not a cache. docs/single-flight.md.
 */
@Injectable()
export class SingleFlight {
  constructor(@Inject(CallMarkers) private readonly markers: CallMarkers) {}

  /** This request's flight; undefined when the store failed (the request runs on its own). */
  async claim(args: {
    task: AnyTaskDefinition;
    request: RunTaskRequest;
    planRoute?: readonly string[];
    /** The prompt version the job runs with. @default the task's built-in one */
    promptVersion?: string;
  }): Promise<Flight | undefined> {
    const { task, request } = args;
    const key = flightKey({
      tenantId: request.tenantId,
      task: task.name,
      promptVersion: args.promptVersion ?? task.prompt.version,
      input: request.input,
      route: request.options.route,
      planRoute: args.planRoute,
      allowDegraded: request.options.allowDegraded,
    });
    const candidate = `${task.name}-${randomUUID()}`;
    try {
      const jobId = await this.markers.store.claim(
        `flight:${key}`,
        candidate,
        task.envelope.hardTimeoutMs + FLIGHT_GRACE_MS,
      );
      return { key, jobId, joined: jobId !== candidate };
    } catch (err) {
      this.markers.failed(err, 'single-flight claim');
      return undefined;
    }
  }

  /** The flight's job ended (or never started): the next identical request starts a new one. */
  async land(flight: Flight): Promise<void> {
    try {
      await this.markers.store.drop(`flight:${flight.key}`, flight.jobId);
    } catch (err) {
      // The marker expires by itself; a caller finding its job ended claims again.
      this.markers.failed(err, 'single-flight land');
    }
  }
}
