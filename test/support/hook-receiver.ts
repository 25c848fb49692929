import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook receiver on loopback that answers 200 and keeps every delivery's JSON body, in
 * arrival order, for a test to read (`hooks`). `url(path)` is what to register as the endpoint.
 */
export async function startHookReceiver(): Promise<{
  // The events' data differ by type; tests read the fields they expect.
  hooks: Array<{ type: string; data: any }>;
  url(path: string): string;
  close(): Promise<void>;
}> {
  const hooks: Array<{ type: string; data: any }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    hooks,
    url: (path) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
