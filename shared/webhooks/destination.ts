import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where a webhook may be sent. Keel posts to URLs its tenants choose, from inside the operator's
 * network: without a check, an endpoint at `http://169.254.169.254/` or `http://10.0.0.5/admin`
 * would let a tenant reach what only Keel can. So a destination is http(s) and resolves to public
 * addresses only, unless the operator allows private ones (KEEL_WEBHOOK_ALLOW_PRIVATE=true, e.g.
 * receivers on the same network). The API checks when an endpoint is saved; every delivery checks
 * again, on the address it then connects to (`guardedLookup`), so a name re-pointed at a private
 * address afterwards (DNS rebinding) is refused too.
 */

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['2001::', 32], // Teredo (an IPv4 address hidden inside)
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address. */
function groups(ip: string): number[] {
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const part = (s: string): number[] =>
    s
      ? s.split(':').flatMap((g) => {
          if (!g.includes('.')) return [parseInt(g, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        })
      : [];
  const h = part(head);
  const t = part(tail);
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** An IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedV4(ip: string): string | undefined {
  const g = groups(ip);
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0xffff || g[5] === 0)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!);
  return undefined;
}

/** True for loopback, private, link-local, unique-local and other non-public addresses. */
export function isPrivateAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(ip);
  if (family === 4) return PRIVATE.check(ip, 'ipv4');
  if (family !== 6) return true; // not an address at all: never a safe destination
  const inner = embeddedV4(ip);
  if (inner !== undefined && PRIVATE.check(inner, 'ipv4')) return true;
  return PRIVATE.check(ip, 'ipv6');
}

/** A destination Keel will not send to; `reason` is safe to show the tenant. */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
  constructor(readonly reason: string) {
    super(`webhook destination refused: ${reason}`);
  }
}

export interface DestinationPolicy {
  /** KEEL_WEBHOOK_ALLOW_PRIVATE: loopback and private ranges are allowed. */
  allowPrivate: boolean;
  /** Resolves a host name to its addresses. @default dns.lookup, every address */
  resolve?: (host: string) => Promise<string[]>;
}

const resolveAll = async (host: string): Promise<string[]> =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Checks a URL as the API saves it: http(s), no credentials, and (unless allowed) public. */
export async function checkDestination(raw: string, policy: DestinationPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DestinationRefusedError('not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new DestinationRefusedError('must be an http or https URL');
  if (url.username || url.password)
    throw new DestinationRefusedError('must not carry a user name or password');
  if (policy.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    if (isPrivateAddress(host))
      throw new DestinationRefusedError(`${host} is a loopback, private or link-local address`);
    return url;
  }
  if (host === 'localhost' || host.endsWith('.localhost'))
    throw new DestinationRefusedError(`${host} is a loopback name`);
  let addresses: string[];
  try {
    addresses = await (policy.resolve ?? resolveAll)(host);
  } catch {
    throw new DestinationRefusedError(`${host} does not resolve`);
  }
  const inside = addresses.find(isPrivateAddress);
  if (inside !== undefined || addresses.length === 0)
    throw new DestinationRefusedError(
      `${host} resolves to a loopback, private or link-local address`,
    );
  return url;
}

/**
 * A `lookup` for `http.request` that refuses a name resolving to any non-public address: the
 * connection goes to an address checked here, so a name re-pointed between the API's check and
 * the delivery is caught at the moment that counts.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(
    hostname,
    { ...options, all: true },
    (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const inside = addresses.find((a) => isPrivateAddress(a.address));
      if (inside || addresses.length === 0) {
        return callback(
          new DestinationRefusedError(
            `${hostname} resolves to a loopback, private or link-local address`,
          ),
          '',
          0,
        );
      }
      if (options.all) return callback(null, addresses, 0);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    },
  );
};
