import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/platform/config';
import {
  EncryptionCodec,
  generatePayloadKey,
  parsePayloadKeys,
  PayloadDecryptionError,
  type PayloadKey,
} from '../../shared/platform/payload-codec';
import { configuredHooks } from '../../shared/platform/temporal-connection';

const key = (id: string): PayloadKey => ({ id, key: randomBytes(32) });
const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
const meta = (p: Payload, k: string): string | undefined =>
  p.metadata?.[k] ? Buffer.from(p.metadata[k]).toString() : undefined;

const INPUT = {
  subject: 'Refund',
  body: 'I was charged twice for my subscription; card ending 4242. '.repeat(170),
};

describe('EncryptionCodec', () => {
  it('round-trips a payload: compressed, encrypted, tagged with its key id', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const plain = toPayload(INPUT);
    const [encoded] = await codec.encode([plain]);
    expect(meta(encoded!, 'encoding')).toBe('binary/encrypted');
    expect(meta(encoded!, 'encryption-key-id')).toBe('k1');
    expect(meta(encoded!, 'encryption-compression')).toBe('br');
    const data = Buffer.from(encoded!.data!);
    expect(data.toString('latin1')).not.toContain('charged twice');
    // ~10 KB of repetitive text: compression before encryption shrinks it.
    expect(data.length).toBeLessThan(plain.data!.length / 5);
    const [decoded] = await codec.decode([encoded!]);
    expect(fromPayload(decoded!)).toEqual(INPUT);
    expect(meta(decoded!, 'encoding')).toBe('json/plain');
  });

  it('a small payload is encrypted without compression, and decodes', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const [encoded] = await codec.encode([toPayload('short')]);
    expect(meta(encoded!, 'encryption-compression')).toBeUndefined();
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('short');
    const [decoded] = await codec.decode([encoded!]);
    expect(fromPayload(decoded!)).toBe('short');
  });

  it('encrypts the same input differently every time (a fresh IV)', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const [a, b] = await codec.encode([toPayload('same'), toPayload('same')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('rotation: a history written with key 1 decodes after key 2 becomes primary', async () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const [old] = await new EncryptionCodec([k1]).encode([toPayload(INPUT)]);
    const rotated = new EncryptionCodec([k2, k1]);
    const [fresh] = await rotated.encode([toPayload('new')]);
    expect(meta(fresh!, 'encryption-key-id')).toBe('k2');
    const [a, b] = await rotated.decode([old!, fresh!]);
    expect(fromPayload(a!)).toEqual(INPUT);
    expect(fromPayload(b!)).toBe('new');
  });

  it('a key no longer configured: a clear error naming the key id, not garbage', async () => {
    const [old] = await new EncryptionCodec([key('k1')]).encode([toPayload(INPUT)]);
    const without = new EncryptionCodec([key('k2')]);
    const err = await without.decode([old!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect((err as PayloadDecryptionError).keyId).toBe('k1');
    expect((err as Error).message).toMatch(/key "k1", which is not configured \(configured: k2\)/);
  });

  it('another key under the same id, or altered data: a clear error, not garbage', async () => {
    const [old] = await new EncryptionCodec([key('k1')]).encode([toPayload(INPUT)]);
    await expect(new EncryptionCodec([key('k1')]).decode([old!])).rejects.toThrow(
      /key "k1" does not decrypt with the configured key of that id/,
    );
    const k = key('k1');
    const codec = new EncryptionCodec([k]);
    const [good] = await codec.encode([toPayload(INPUT)]);
    const data = Buffer.from(good!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...good!, data }])).rejects.toThrow(PayloadDecryptionError);
    // Relabelled with another configured id: the id is authenticated, so it fails too.
    const both = new EncryptionCodec([k, key('k2')]);
    const relabelled = {
      ...good!,
      metadata: { ...good!.metadata, 'encryption-key-id': Buffer.from('k2') },
    };
    await expect(both.decode([relabelled])).rejects.toThrow(/key "k2" does not decrypt/);
  });

  it('payloads written without the codec pass through unchanged (plain histories, fixtures)', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const plain = [toPayload(INPUT), toPayload(null), { metadata: {}, data: new Uint8Array() }];
    const decoded = await codec.decode(plain);
    expect(decoded).toEqual(plain);
    expect(fromPayload(decoded[0]!)).toEqual(INPUT);
  });
});

describe('payload keys', () => {
  it('parses `id:base64`, primary first; a bad key names its position and id, not the key', () => {
    const a = generatePayloadKey();
    const b = `old-1:${randomBytes(32).toString('base64')}`;
    const keys = parsePayloadKeys(`${a}, ${b}`);
    expect(keys.map((k) => k.id)).toEqual([a.split(':')[0], 'old-1']);
    expect(keys[0]!.key).toHaveLength(32);
    const short = randomBytes(16).toString('base64');
    expect(() => parsePayloadKeys(`${a},bad:${short}`)).toThrow(/key 2 \(bad\): must be 32 bytes/);
    let message = '';
    try {
      parsePayloadKeys(`bad:${short}`);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toContain(short);
    expect(() => parsePayloadKeys(`${b},${b}`)).toThrow(/share an id/);
  });

  it('come from KEEL_PAYLOAD_KEYS or a key file, never both; no keys means no codec', () => {
    expect(loadConfig({}).payloadKeys).toBeUndefined();
    expect(configuredHooks(loadConfig({ KEEL_CLAIM_CHECK_BYTES: '0' }))).toEqual({});
    const spec = generatePayloadKey();
    expect(loadConfig({ KEEL_PAYLOAD_KEYS: spec }).payloadKeys?.[0]?.id).toBe(spec.split(':')[0]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-keys-'));
    const file = path.join(dir, 'payload-keys');
    writeFileSync(
      file,
      `# id:base64key, primary first, then older keys\n${spec}\n${generatePayloadKey()}\n`,
    );
    const config = loadConfig({ KEEL_PAYLOAD_KEY_FILE: file });
    expect(config.payloadKeys).toHaveLength(2);
    const hooks = configuredHooks(config);
    // After the tenant bindings' learning codec (the claim check is on by default).
    expect(hooks.dataConverter?.payloadCodecs?.[1]).toBeInstanceOf(EncryptionCodec);
    expect(hooks.dataConverter?.failureConverterPath).toMatch(/encoded-failure-converter/);
    expect(() => loadConfig({ KEEL_PAYLOAD_KEYS: spec, KEEL_PAYLOAD_KEY_FILE: file })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ KEEL_PAYLOAD_KEYS: 'k1:c2hvcnQ=' })).toThrow(
      /KEEL_PAYLOAD_KEYS: key 1 \(k1\): must be 32 bytes/,
    );
  });
});
