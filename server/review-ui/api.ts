/**
 * The reviewer page's view of the JSON API (`/v1/reviews`): the shapes it reads and one `fetch`
 * wrapper that sends the reviewer's key, sends nothing else (no cookies, no cache, no redirects)
 * and turns every failure into an {@link ApiError}.
 */

/** A pending review as listed by `GET /v1/reviews`. */
export interface ReviewSummary {
  jobId: string;
  task: string;
  group: string;
  reasons?: string[];
  ageMs?: number;
  requestedAt: string;
  deadlineAt: string;
}

/** One review as returned by `GET /v1/reviews/:jobId` (the input arrives masked). */
export interface ReviewDetail extends ReviewSummary {
  input?: unknown;
  validation?: unknown;
  proposed?: unknown;
  issues?: { field: string; message: string; rule?: string }[];
  decided?: boolean;
}

/** The audit record `POST /v1/reviews/:jobId` answers with. */
export interface ReviewAudit {
  decision: string;
  reviewer: string;
  decidedAt: string;
  group: string;
  changes?: { path: string; before: unknown; after: unknown }[];
  comment?: string;
}

/** One entry of a problem's `errors` (or of the page's own form check). */
export interface FieldError {
  field?: string;
  message?: string;
}

/** The problem+json body of a refused call (only what the page reads). */
export interface Problem {
  title?: string;
  detail?: string;
  errors?: FieldError[];
}

export type Decision = 'approve' | 'reject' | 'edit';

export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly problem: Problem | null,
    message: string,
    /** True when the page already reacted (signed out), so the caller shows nothing. */
    readonly handled: boolean,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Any rejection as an {@link ApiError} (an unexpected one keeps its message). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(0, null, e instanceof Error ? e.message : String(e), false);
}

export interface ApiOptions {
  /** The reviewer's key, sent as a bearer token. */
  key: () => string | null;
  /** Called before the call rejects when the key is refused (401) or lacks the role (403). */
  signOut: (message: string) => void;
}

export type Api = <T>(path: string, init?: { method?: string; body?: string }) => Promise<T | null>;

/** A same-origin JSON client; the body it resolves with is null when the answer had none. */
export function createApi(options: ApiOptions): Api {
  return async <T>(path: string, init?: { method?: string; body?: string }): Promise<T | null> => {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${options.key() ?? ''}`,
    };
    if (init?.body) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, {
        method: init?.method ?? 'GET',
        headers,
        body: init?.body,
        cache: 'no-store',
        credentials: 'omit',
        redirect: 'error',
      });
    } catch {
      throw new ApiError(
        0,
        null,
        'The server could not be reached. Check your connection and retry.',
        false,
      );
    }
    const text = await res.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (res.status === 401 || res.status === 403) {
      options.signOut(
        res.status === 401
          ? 'The API key was refused. Enter a valid reviewer key.'
          : 'This API key does not have the reviewer role.',
      );
      throw new ApiError(res.status, body as Problem | null, 'Signed out', true);
    }
    if (!res.ok) {
      const problem = body as Problem | null;
      const message =
        problem?.detail || problem?.title || `The request failed (HTTP ${res.status}).`;
      throw new ApiError(res.status, problem, message, false);
    }
    return body as T | null;
  };
}
