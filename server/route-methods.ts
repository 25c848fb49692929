import type { NestExpressApplication } from '@nestjs/platform-express';

/** What Express's router keeps of a route: its path matcher and the methods it has handlers for. */
interface RouteLayer {
  match(path: string): unknown;
  route?: { _methods(): string[] };
}

/**
 * The methods the app's routes answer on a path (HEAD wherever GET is), empty when no route
 * serves it: a request Nest found no route for is a 405 when this is not empty, else a 404.
 * Read from Express's own router, so it is the routes as registered, declared in the OpenAPI
 * document or not. The table is read once, on the first lookup (routes are registered when the
 * app starts, after `createApp`).
 */
export function routeMethods(app: NestExpressApplication): (path: string) => string[] {
  let routes: RouteLayer[] | undefined;
  return (path) => {
    // Express's typings leave out `match`, which every layer of its router has.
    const express = app.getHttpAdapter().getInstance() as unknown as {
      router: { stack: RouteLayer[] };
    };
    routes ??= express.router.stack.filter((layer) => layer.route !== undefined);
    const methods = new Set<string>();
    for (const layer of routes) {
      if (layer.match(path)) for (const m of layer.route!._methods()) methods.add(m);
    }
    return [...methods].sort();
  };
}
