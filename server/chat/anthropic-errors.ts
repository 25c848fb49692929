import type { Problem } from '../../shared/contracts/problems';

/** Paths that answer errors in Anthropic's shape: its clients parse that, not problem+json. */
export function speaksAnthropic(path: string): boolean {
  return path === '/v1/messages';
}

/** Anthropic's error `type` for a status (its clients map status to an error class themselves). */
function anthropicType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'billing_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503) return 'overloaded_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/**
 * A problem in Anthropic's error shape, carrying Keel's problem whole: `error.problem` is the
 * RFC 9457 document (type, errors[], …); the message names the first offending field.
 */
export function anthropicErrorBody(problem: Problem): {
  type: 'error';
  error: { type: string; message: string; problem: Problem };
} {
  const first = problem.errors?.[0];
  const message = [problem.detail ?? problem.title, first ? `${first.field}: ${first.message}` : '']
    .filter(Boolean)
    .join(' ');
  return { type: 'error', error: { type: anthropicType(problem.status), message, problem } };
}
