import net from 'node:net';

/** A port the OS just handed out on loopback (free now; a later bind may still race for it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * A free loopback port below `max`. Temporal stores each service's membership port in a SMALLINT
 * column (`cluster_membership.rpc_port`), so those must be ≤ 32767, below Linux's ephemeral range
 * (32768–60999) that `freePort` draws from: random candidates from [min, max], first free one.
 */
export async function freePortBelow(
  max = 32_767,
  min = 20_000,
  taken = new Set<number>(),
): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (!taken.has(port) && (await canListen(port))) return port;
  }
  throw new Error(`no free port between ${min} and ${max}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
