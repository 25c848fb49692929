/**
 * The dashboard's view of the JSON API: one `fetch` wrapper that sends the operator's key and
 * nothing else (no cookies, no cache, no redirects). A refused key (401) or a key without the
 * operator role (403) signs the page out with a message saying which.
 */
export type { DashboardBody } from '../../shared/contracts/dashboard';
export type { EvaluationsBody } from '../../shared/contracts/evaluations';

export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    message: string,
    /** True when the page already reacted (signed out), so the caller shows nothing. */
    readonly handled: boolean,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiOptions {
  key: () => string | null;
  signOut: (message: string) => void;
}

/** GET `path` as JSON. `optional`: a 404 resolves to null (a route this server lacks). */
export type Get = <T>(path: string, opts?: { optional?: boolean }) => Promise<T | null>;

function parse(text: string): { title?: string; detail?: string } | null {
  try {
    return text ? (JSON.parse(text) as { title?: string; detail?: string }) : null;
  } catch {
    return null;
  }
}

export function createGet(options: ApiOptions): Get {
  return async <T>(path: string, opts: { optional?: boolean } = {}): Promise<T | null> => {
    let res: Response;
    try {
      res = await fetch(path, {
        headers: { accept: 'application/json', authorization: `Bearer ${options.key() ?? ''}` },
        cache: 'no-store',
        credentials: 'omit',
        redirect: 'error',
      });
    } catch {
      throw new ApiError(0, 'The server could not be reached; retrying.', false);
    }
    if (opts.optional && res.status === 404) return null;
    const text = await res.text();
    const body = parse(text);
    if (res.status === 401 || res.status === 403) {
      const message =
        res.status === 401
          ? 'The API key was refused. Enter a valid operator key.'
          : 'This API key is not a platform operator\u2019s: the dashboard shows every tenant\u2019s traffic, so only an operator key may read it.';
      options.signOut(message);
      throw new ApiError(res.status, message, true);
    }
    if (!res.ok) {
      throw new ApiError(
        res.status,
        body?.detail || body?.title || `The request failed (HTTP ${res.status}).`,
        false,
      );
    }
    return body as T | null;
  };
}
