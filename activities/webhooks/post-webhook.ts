import http from 'node:http';
import https from 'node:https';
import { DestinationRefusedError, guardedLookup } from '../../shared/webhooks/destination';

/** How one attempt went: a status, or why there was none. */
export type PostOutcome =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'error'; error: 'timeout' | 'connection' | 'dns' | 'url-refused' };

/**
 * One POST of a webhook body. Redirects are not followed (a 3xx counts as a failed attempt: a
 * redirect could point anywhere, the checks would not see it). The receiver's body is never read
 * or kept, only its status. Unless private destinations are allowed, the connection is made only
 * to an address `guardedLookup` found public, and an IP literal is checked before connecting.
 */
export function postWebhook(args: {
  url: URL;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Checks an IP literal host (a name is checked by the lookup). */
  refuseLiteral?: (host: string) => boolean;
}): Promise<PostOutcome> {
  const host = args.url.hostname.replace(/^\[|\]$/g, '');
  if (!args.allowPrivate && args.refuseLiteral?.(host))
    return Promise.resolve({ kind: 'error', error: 'url-refused' });
  const client = args.url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = client.request(
      args.url,
      {
        method: 'POST',
        headers: { ...args.headers, 'content-length': Buffer.byteLength(args.body) },
        signal: AbortSignal.timeout(args.timeoutMs),
        agent: false,
        ...(args.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        res.resume(); // the receiver's answer body is not Keel's business
        const retryAfter = res.headers['retry-after'];
        resolve({
          kind: 'status',
          status: res.statusCode ?? 0,
          ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ kind: 'error', error: classify(err) });
    });
    req.end(args.body);
  });
}

function classify(err: NodeJS.ErrnoException): 'timeout' | 'connection' | 'dns' | 'url-refused' {
  if (err instanceof DestinationRefusedError || err.name === 'DestinationRefusedError')
    return 'url-refused';
  if (err.name === 'AbortError' || err.name === 'TimeoutError' || err.code === 'ABORT_ERR')
    return 'timeout';
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return 'dns';
  return 'connection';
}
