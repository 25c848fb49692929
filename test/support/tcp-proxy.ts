import net from 'node:net';

export interface TcpProxy {
  /** `127.0.0.1:<port>`: point a client here instead of at the target. */
  address: string;
  /** Drops every open connection and refuses new ones: the target looks gone. */
  cut(): Promise<void>;
  /** Holds every byte in both directions, connections left open: the target looks hung. */
  stall(): void;
  /** Delivers what was held, in order, and relays again. */
  resume(): void;
}

/** A loopback TCP relay to `target` (`host:port`), so a test can take a dependency away. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host = '127.0.0.1', port = ''] = target.split(/:(?=\d+$)/);
  const sockets = new Set<net.Socket>();
  /** While stalled: the writes held back, in arrival order. */
  let held: Array<() => void> | undefined;
  const relay = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (held) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
  };
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    track(client);
    track(upstream);
    relay(client, upstream);
    relay(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port: listening } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${listening}`,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    stall: () => {
      held ??= [];
    },
    resume: () => {
      const writes = held ?? [];
      held = undefined;
      for (const write of writes) write();
    },
  };
}
