import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from '../../activities/webhooks/post-webhook';
import {
  checkDestination,
  DestinationRefusedError,
  isPrivateAddress,
} from '../../shared/webhooks/destination';
import { activeSecrets, newWebhookSecret, signatureHeader } from '../../shared/webhooks/signature';

/** Where webhooks may go, and their signatures as the Standard Webhooks reference library reads them. */

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.1.2',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'fc12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    '2002:7f00:1::1',
    '[::1]',
    'not-an-address',
  ])('%s is not a public destination', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (ip) => {
      expect(isPrivateAddress(ip)).toBe(false);
    },
  );
});

describe('checkDestination', () => {
  const refused = async (url: string, resolve?: (h: string) => Promise<string[]>) => {
    const err = await checkDestination(url, { allowPrivate: false, resolve }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DestinationRefusedError);
    return (err as DestinationRefusedError).reason;
  };

  it('refuses other schemes, credentials, private literals and names resolving inside', async () => {
    expect(await refused('ftp://hooks.example.com/x')).toMatch(/http or https/);
    expect(await refused('https://user:pw@hooks.example.com/x')).toMatch(/user name or password/);
    expect(await refused('http://127.0.0.1:8080/hook')).toMatch(/loopback, private/);
    expect(await refused('http://[::1]/hook')).toMatch(/loopback, private/);
    expect(await refused('http://0x7f.1/hook')).toMatch(/loopback, private/); // 127.0.0.1 in hex
    expect(await refused('http://localhost:3000/hook')).toMatch(/loopback name/);
    // A public-looking name pointing inside (one of its addresses is enough).
    expect(
      await refused('https://hooks.example.com/x', () => Promise.resolve(['8.8.8.8', '10.0.0.7'])),
    ).toMatch(/resolves to a loopback, private/);
    expect(
      await refused('https://nowhere.invalid/x', () => Promise.reject(new Error('ENOTFOUND'))),
    ).toMatch(/does not resolve/);
  });

  it('accepts a public destination, and anything http(s) when private ones are allowed', async () => {
    const ok = await checkDestination('https://hooks.example.com/x?a=1', {
      allowPrivate: false,
      resolve: () => Promise.resolve(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']),
    });
    expect(ok.href).toBe('https://hooks.example.com/x?a=1');
    expect((await checkDestination('http://127.0.0.1:9/x', { allowPrivate: true })).hostname).toBe(
      '127.0.0.1',
    );
    await expect(
      checkDestination('file:///etc/passwd', { allowPrivate: true }),
    ).rejects.toBeInstanceOf(DestinationRefusedError);
  });
});

describe('delivery-time checks against a real receiver on 127.0.0.1', () => {
  let server: http.Server;
  let hits = 0;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits += 1;
      req.resume();
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const post = (url: string, allowPrivate: boolean) =>
    postWebhook({
      url: new URL(url),
      headers: { 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 5000,
      allowPrivate,
      refuseLiteral: isPrivateAddress,
    });

  it('a name resolving to loopback is refused when connecting, before any request', async () => {
    // `localhost` stands for a public name re-pointed at a private address after it was saved.
    expect(await post(`http://localhost:${port}/hook`, false)).toEqual({
      kind: 'error',
      error: 'url-refused',
    });
    expect(await post(`http://127.0.0.1:${port}/hook`, false)).toEqual({
      kind: 'error',
      error: 'url-refused',
    });
    expect(hits).toBe(0);
    expect(await post(`http://localhost:${port}/hook`, true)).toEqual({
      kind: 'status',
      status: 204,
    });
    expect(hits).toBe(1);
  });
});

describe('signatures', () => {
  it('verify with the Standard Webhooks library, under each secret that signs during an overlap', () => {
    const current = newWebhookSecret();
    const previous = newWebhookSecret();
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const now = Date.now();
    const endpoint = { secret: current, previousSecret: previous, previousExpiresAt: now + 60_000 };
    const body = JSON.stringify({ type: 'job.completed', timestamp: 'x', data: { jobId: 'j' } });
    const msg = { id: 'evt_42', timestampS: Math.floor(now / 1000), body };
    const headers = {
      'webhook-id': msg.id,
      'webhook-timestamp': String(msg.timestampS),
      'webhook-signature': signatureHeader(activeSecrets(endpoint, now), msg),
    };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    // After the overlap, only the current secret signs.
    const later = signatureHeader(activeSecrets(endpoint, now + 60_000), msg);
    expect(() =>
      new Webhook(previous).verify(body, { ...headers, 'webhook-signature': later }),
    ).toThrow(/No matching signature/);
    // A changed body does not verify.
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow();
  });
});
