import type { NextFunction, Request, RequestHandler, Response } from 'express';

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
