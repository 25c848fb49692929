import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';
import type { JobState } from './job';

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
} as const;

export const SEARCH_ATTRIBUTE_NAMES = Object.values(SearchAttr).map((k) => k.name);
