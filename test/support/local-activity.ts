import type { temporal } from '@temporalio/proto';

/** The marker the SDK's core records for every local activity, completed or failed. */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/**
 * What a local activity's marker says of it (its `data` payload, JSON written by the SDK's core):
 * the activity type and attempt. Undefined for any other marker.
 */
export function localActivityOf(
  marker: temporal.api.history.v1.IMarkerRecordedEventAttributes | null | undefined,
): { type: string; attempt: number } | undefined {
  if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    const info = JSON.parse(Buffer.from(data).toString('utf8')) as {
      activity_type?: string;
      attempt?: number;
    };
    return info.activity_type
      ? { type: info.activity_type, attempt: info.attempt ?? 1 }
      : undefined;
  } catch {
    return undefined;
  }
}
