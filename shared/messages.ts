import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  BreakerSettings,
  BreakerState,
  BreakerStateName,
  CallOutcome,
  Transition,
  WindowStats,
} from './breaker';
import type { JobState } from './contracts/job';

/** Default task queue; override with KEEL_TASK_QUEUE. */
export const DEFAULT_TASK_QUEUE = 'keel-tasks';

/** Current status, steps so far, and the result once there is one. */
export const getJobStateQuery = defineQuery<JobState>('getJobState');

/**
 * Search attributes Keel registers on the namespace. Values are ids and enums only: search
 * attributes are not encrypted, so nothing from a request's input may go here.
 */
export const SearchAttr = {
  tenant: defineSearchAttributeKey('KeelTenant', 'KEYWORD'),
  task: defineSearchAttributeKey('KeelTask', 'KEYWORD'),
  status: defineSearchAttributeKey('KeelStatus', 'KEYWORD'),
  /** Which path produced a completed result (primary, fallback, degraded). */
  path: defineSearchAttributeKey('KeelPath', 'KEYWORD'),
  /**
   * An HMAC of task, prompt version and normalised input: finds the last good answer for the same
   * request without putting the input anywhere (keyed, so short inputs cannot be guessed back).
   */
  inputKey: defineSearchAttributeKey('KeelInputKey', 'KEYWORD'),
} as const;

export const SEARCH_ATTRIBUTE_NAMES = Object.values(SearchAttr).map((k) => k.name);

/** What `GET /v1/providers` shows for one provider/model. */
export interface ProviderHealthView {
  provider: string;
  model: string;
  state: BreakerStateName;
  openedAt?: number;
  stats: WindowStats;
  transitions: Transition[];
}

/**
 * Entity workflow `providerHealth`: one per provider/model, shared by every worker. Call outcomes
 * arrive batched, one signal per flush of a worker's reports.
 */
export interface ProviderHealthArgs {
  provider: string;
  model: string;
  settings: BreakerSettings;
  /** Carried over continue-as-new. */
  state?: BreakerState;
}
/** The workflow's type, for clients that start it by name without importing workflow code. */
export type ProviderHealthWorkflow = (args: ProviderHealthArgs) => Promise<void>;

export const reportOutcomesSignal = defineSignal<[CallOutcome[]]>('reportOutcomes');
/** Half-open probing needs a decision that changes state: an update, answered once. */
export const acquirePermitUpdate = defineUpdate<
  { allow: boolean; probe: boolean; state: BreakerStateName },
  [{ now: number }]
>('acquirePermit');
/** What the entity publishes in its memo after every change (ids and numbers only). */
export interface PublishedHealth {
  state: BreakerStateName;
  openedAt?: number;
  /** The clock reading the stats were computed at. */
  asOf: number;
  stats: WindowStats;
  transitions: Transition[];
}

/**
 * One entity per deployment (task queue) and provider/model: deployments sharing a namespace
 * keep separate breakers, each served by its own workers.
 */
export const providerHealthWorkflowId = (
  taskQueue: string,
  provider: string,
  model: string,
): string => `keel-health-${taskQueue}-${provider}-${model}`.replace(/[^A-Za-z0-9._:-]/g, '_');
