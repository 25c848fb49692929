import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * The claim check: a payload larger than the threshold (a 1 MB document set, a long summary) is
 * written to a blob store and the history keeps a reference of about 150 bytes in its place;
 * whoever decodes it (a worker, the API, the codec server for the Web UI) reads it back. It runs
 * after encryption in the codec chain, so a blob holds the encrypted payload, never clear text.
 * Blobs are content-addressed (SHA-256 of the bytes): writing the same payload twice stores it
 * once, and a blob that changed on disk is refused when read. docs/claim-check.md.
 */
export const CLAIM_CHECK_ENCODING = 'keel/claim-check';
const encoder = new TextEncoder();
const CLAIM_BYTES = encoder.encode(CLAIM_CHECK_ENCODING);
const JSON_BYTES = encoder.encode('json/plain');
const HASH = /^[0-9a-f]{64}$/;

/** Where blobs live. The filesystem store is the default; other stores implement the same two calls. */
export interface BlobStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
}

/** Why a claim-checked payload cannot be read back; names the blob, never its content. */
export class ClaimCheckError extends Error {
  override readonly name = 'ClaimCheckError';
}

/**
 * Blobs as files under `dir` (`<dataDir>/blobs` by default), two levels of fan-out by hash.
 * Written to a temporary name and renamed, so a reader never sees half a blob. Every process
 * that encodes or decodes must see the same directory (one machine, or a shared volume).
 */
export class FileBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    if (!HASH.test(key)) throw new ClaimCheckError(`not a blob key: ${JSON.stringify(key)}`);
    return path.join(this.dir, key.slice(0, 2), key);
  }

  put(key: string, bytes: Uint8Array): Promise<void> {
    const file = this.file(key);
    if (existsSync(file)) return Promise.resolve();
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, bytes, { mode: 0o600 });
    renameSync(tmp, file);
    return Promise.resolve();
  }

  get(key: string): Promise<Uint8Array> {
    try {
      return Promise.resolve(readFileSync(this.file(key)));
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      return Promise.reject(
        new ClaimCheckError(missing ? `blob ${key} is missing` : `blob ${key} cannot be read`, {
          cause: err,
        }),
      );
    }
  }
}

interface ClaimReference {
  blob: string;
  bytes: number;
}

export class ClaimCheckCodec implements PayloadCodec {
  /**
   * @param thresholdBytes payloads whose encoded size is above this go to the store.
   */
  constructor(
    private readonly store: BlobStore,
    private readonly thresholdBytes: number,
  ) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.encodeOne(p)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.decodeOne(p)));
  }

  private async encodeOne(payload: Payload): Promise<Payload> {
    if ((payload.data?.byteLength ?? 0) <= this.thresholdBytes) return payload;
    const bytes = temporal.api.common.v1.Payload.encode(payload).finish();
    const blob = createHash('sha256').update(bytes).digest('hex');
    await this.store.put(blob, bytes);
    const reference: ClaimReference = { blob, bytes: bytes.byteLength };
    return {
      metadata: { [METADATA_ENCODING_KEY]: CLAIM_BYTES, 'claim-check-format': JSON_BYTES },
      data: encoder.encode(JSON.stringify(reference)),
    };
  }

  async decodeOne(payload: Payload): Promise<Payload> {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || Buffer.from(encoding).toString('utf8') !== CLAIM_CHECK_ENCODING)
      return payload;
    const ref = parseReference(payload.data);
    const bytes = await this.store.get(ref.blob);
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash !== ref.blob) throw new ClaimCheckError(`blob ${ref.blob} does not match its hash`);
    return temporal.api.common.v1.Payload.decode(bytes);
  }
}

/** Whether a payload is a claim-check reference (its content lives in the blob store). */
export function isClaimCheck(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return !!encoding && Buffer.from(encoding).toString('utf8') === CLAIM_CHECK_ENCODING;
}

function parseReference(data: Uint8Array | null | undefined): ClaimReference {
  try {
    const ref = JSON.parse(Buffer.from(data ?? []).toString('utf8')) as Partial<ClaimReference>;
    if (typeof ref.blob === 'string' && HASH.test(ref.blob) && typeof ref.bytes === 'number')
      return { blob: ref.blob, bytes: ref.bytes };
  } catch {
    // reported below
  }
  throw new ClaimCheckError('a claim-check reference is malformed');
}
