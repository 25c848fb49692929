import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * The cookie that carries an operator's (or tenant admin's) key to the codec server from the
 * Web UI, which cannot send a Keel key itself: set by `POST /codec/session` (the page at
 * `GET /codec`), HttpOnly, SameSite=Strict, sent only to `/codec`.
 */
export const CODEC_COOKIE = 'keel_codec';
const SESSION_SECONDS = 8 * 3600;

export function sessionCookie(key: string | undefined): string {
  return key
    ? `${CODEC_COOKIE}=${encodeURIComponent(key)}; Path=/codec; HttpOnly; SameSite=Strict; Max-Age=${SESSION_SECONDS}`
    : `${CODEC_COOKIE}=; Path=/codec; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/**
 * On `/codec/decode` and `/codec/encode` without an Authorization header, the key from the codec
 * cookie, so the auth guard checks it like any key (a revoked key stops working at once).
 */
export function codecCookieAuth(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (
      (req.path === '/codec/decode' || req.path === '/codec/encode') &&
      !req.headers.authorization
    ) {
      const cookie = (req.headers.cookie ?? '')
        .split(';')
        .map((c) => c.trim())
        .find((c) => c.startsWith(`${CODEC_COOKIE}=`));
      const key = cookie ? decodeURIComponent(cookie.slice(CODEC_COOKIE.length + 1)) : '';
      if (key) req.headers.authorization = `Bearer ${key}`;
    }
    next();
  };
}

/** What the Web UI sends to a codec server (and Keel's own workflow-id header). */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization, X-Keel-Workflow-Id';

/**
 * CORS for `/codec/*`: the Temporal Web UI calls the codec server from the browser, from its own
 * origin. An origin in KEEL_CODEC_CORS_ORIGINS gets `Access-Control-Allow-Origin` (that origin,
 * never `*`) with credentials allowed; a preflight is answered here (204) before any auth, as
 * browsers send it without credentials. Any other origin gets no CORS headers, so the browser
 * does not let its page read the answer.
 */
export function codecCors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/codec/')) return next();
    const origin = req.header('origin');
    if (origin && allowed.has(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.append('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
        res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
        res.setHeader('access-control-max-age', '600');
      }
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}
