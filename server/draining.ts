import type { NextFunction, Request, Response } from 'express';
import { ProblemError, sendProblem } from './problem';

/**
 * The API's side of a graceful shutdown (`shared/platform/shutdown.ts`): counts the requests in
 * flight and, once draining, closes each connection after its response (keep-alive clients
 * reconnect to another instance) and answers `/readyz` with 503 `not-ready`.
 */
export class Draining {
  private active = 0;
  private draining = false;

  /** Requests being answered now. */
  get inFlight(): number {
    return this.active;
  }

  begin(): void {
    this.draining = true;
  }

  /** Installed before the routes (`app.use` before `listen`). */
  middleware(): (req: Request, res: Response, next: NextFunction) => void {
    return (req, res, next) => {
      if (this.draining) {
        res.setHeader('connection', 'close');
        if (req.path === '/readyz') {
          sendProblem(
            res,
            req,
            ProblemError.of('not-ready', 'This process is shutting down.', {
              checks: { process: 'shutting down' },
            }),
          );
          return;
        }
      }
      this.active += 1;
      res.once('close', () => (this.active -= 1));
      next();
    };
  }
}
