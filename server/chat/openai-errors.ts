import type { Problem } from '../../shared/contracts/problems';

/** Paths that answer errors in OpenAI's shape: its clients parse that, not problem+json. */
export function speaksOpenAI(path: string): boolean {
  return path === '/v1/chat/completions' || path === '/v1/models' || path.startsWith('/v1/models/');
}

/** OpenAI's error `type` for a status (its clients map status to an error class themselves). */
function openAIType(status: number, slug: string): string {
  if (slug === 'budget-exceeded') return 'insufficient_quota';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * A problem in OpenAI's error shape, carrying Keel's problem whole: `code` is the problem's slug,
 * `param` its first offending field, and `problem` the RFC 9457 document (type, errors[], …).
 */
export function openAIErrorBody(problem: Problem): {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string;
    problem: Problem;
  };
} {
  const slug = problem.type.slice(problem.type.lastIndexOf('/') + 1);
  const first = problem.errors?.[0];
  const message = [problem.detail ?? problem.title, first ? `${first.field}: ${first.message}` : '']
    .filter(Boolean)
    .join(' ');
  return {
    error: {
      message,
      type: openAIType(problem.status, slug),
      param: first?.field ?? null,
      code: slug,
      problem,
    },
  };
}
