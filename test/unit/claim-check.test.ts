import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  ClaimCheckCodec,
  ClaimCheckError,
  FileBlobStore,
  isClaimCheck,
} from '../../shared/platform/claim-check';
import { loadConfig } from '../../shared/platform/config';
import { EncryptionCodec } from '../../shared/platform/payload-codec';
import { configuredHooks } from '../../shared/platform/temporal-connection';

const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
const blobsIn = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));

const BIG = {
  documents: [{ id: 'd1', text: 'The warranty covers parts for two years. '.repeat(3_000) }],
};

function codecIn(threshold = 1024) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-blobs-'));
  return { dir, codec: new ClaimCheckCodec(new FileBlobStore(dir), threshold) };
}

describe('ClaimCheckCodec', () => {
  it('keeps a large payload in the blob store and a small reference in its place, and reads it back', async () => {
    const { dir, codec } = codecIn();
    const plain = toPayload(BIG);
    const [ref] = await codec.encode([plain]);
    expect(isClaimCheck(ref!)).toBe(true);
    expect(ref!.data!.byteLength).toBeLessThan(200);
    expect(plain.data!.byteLength).toBeGreaterThan(100_000);
    expect(blobsIn(dir)).toHaveLength(1);
    const [back] = await codec.decode([ref!]);
    expect(fromPayload(back!)).toEqual(BIG);
  });

  it('leaves payloads at or under the threshold as they are', async () => {
    const { dir, codec } = codecIn(1024);
    const small = toPayload({ subject: 'Refund', body: 'charged twice' });
    const [same] = await codec.encode([small]);
    expect(same).toBe(small);
    expect(blobsIn(dir)).toHaveLength(0);
  });

  it('stores the same payload once (content-addressed)', async () => {
    const { dir, codec } = codecIn();
    await codec.encode([toPayload(BIG), toPayload(BIG)]);
    await codec.encode([toPayload(BIG)]);
    expect(blobsIn(dir)).toHaveLength(1);
  });

  it('refuses a blob changed on disk, a missing blob and a malformed reference, naming the blob only', async () => {
    const { dir, codec } = codecIn();
    const [ref] = await codec.encode([toPayload(BIG)]);
    const [file] = blobsIn(dir);
    writeFileSync(file!, Buffer.concat([readFileSync(file!), Buffer.from('x')]));
    await expect(codec.decode([ref!])).rejects.toThrow(/does not match its hash/);

    const empty = codecIn();
    await expect(empty.codec.decode([ref!])).rejects.toThrow(ClaimCheckError);
    await expect(empty.codec.decode([ref!])).rejects.toThrow(/is missing/);

    const bad: Payload = { ...ref!, data: Buffer.from('{"blob":"../../etc/passwd","bytes":1}') };
    await expect(codec.decode([bad])).rejects.toThrow(/malformed/);
  });

  it('after encryption in the chain: the blob holds ciphertext, never the text', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-blobs-'));
    const config = loadConfig({
      KEEL_PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      KEEL_CLAIM_CHECK_BYTES: '1024',
      KEEL_BLOB_DIR: dir,
    });
    const codecs = configuredHooks(config).dataConverter!.payloadCodecs!;
    // First the tenant bindings' learning codec (it changes nothing), then these two.
    expect(codecs[1]).toBeInstanceOf(EncryptionCodec);
    expect(codecs[2]).toBeInstanceOf(ClaimCheckCodec);
    // Not compressible to under the threshold: random words.
    const text = Array.from({ length: 4_000 }, () => randomBytes(4).toString('hex')).join(' ');
    let payloads = [toPayload({ text })];
    for (const c of codecs) payloads = await c.encode(payloads);
    expect(isClaimCheck(payloads[0]!)).toBe(true);
    const [blob] = blobsIn(dir);
    expect(readFileSync(blob!).toString('latin1')).not.toContain(text.slice(0, 40));
    for (const c of [...codecs].reverse()) payloads = await c.decode(payloads);
    expect(fromPayload(payloads[0]!)).toEqual({ text });
  });

  it('is on by default at 16 KiB under <dataDir>/blobs, and off with 0', () => {
    expect(loadConfig({ KEEL_DATA_DIR: '/tmp/k' }).claimCheck).toEqual({
      thresholdBytes: 16_384,
      dir: '/tmp/k/blobs',
    });
    expect(loadConfig({ KEEL_CLAIM_CHECK_BYTES: '0' }).claimCheck).toBeUndefined();
    expect(() => loadConfig({ KEEL_CLAIM_CHECK_BYTES: '-1' })).toThrow(/KEEL_CLAIM_CHECK_BYTES/);
  });
});
