import { createHash } from 'node:crypto';
import {
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadCodec,
  type SerializationContext,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  BLOB_KEY,
  blobScope,
  ClaimCheckError,
  isBlobScope,
  type BlobOwner,
  type BlobStore,
} from './blob-store';

export { ClaimCheckError, FileBlobStore, type BlobStore } from './blob-store';

/**
 * The claim check: a payload larger than the threshold (a 1 MB document set, a long summary) is
 * written to a blob store and the history keeps a reference of about 150 bytes in its place;
 * whoever decodes it (a worker, the API, the codec server for the Web UI) reads it back. It runs
 * after encryption in the codec chain, so a blob holds the encrypted payload, never clear text.
 * Blobs are content-addressed (SHA-256 of the bytes): writing the same payload twice stores it
 * once, and a blob that changed on disk is refused when read. Each blob is filed under the tenant
 * and workflow it belongs to (`owner`), so erasure and retention delete it with them.
 * docs/claim-check.md.
 */
export const CLAIM_CHECK_ENCODING = 'keel/claim-check';
const encoder = new TextEncoder();
const CLAIM_BYTES = encoder.encode(CLAIM_CHECK_ENCODING);
const JSON_BYTES = encoder.encode('json/plain');

interface ClaimReference {
  blob: string;
  bytes: number;
  /** `<tenant tag>/<workflow tag>` (blob-store.ts); absent: a blob of no workflow, or an older one. */
  scope?: string;
}

export class ClaimCheckCodec implements PayloadCodec {
  /**
   * @param thresholdBytes payloads whose encoded size is above this go to the store.
   */
  constructor(
    private readonly store: BlobStore,
    private readonly thresholdBytes: number,
    /**
     * Whose payloads these are, from the SDK's serialization context (the workflow; its tenant
     * as the process's tenant bindings know it). @default the workflow alone, of no known tenant
     */
    private readonly owner: (context?: SerializationContext) => BlobOwner | Promise<BlobOwner> = (
      context,
    ) => ({
      workflowId: context?.workflowId,
    }),
  ) {}

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    if (!payloads.some((p) => (p.data?.byteLength ?? 0) > this.thresholdBytes)) return payloads;
    const scope = blobScope(await this.owner(context));
    return Promise.all(payloads.map((p) => this.encodeOne(p, scope)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.decodeOne(p)));
  }

  private async encodeOne(payload: Payload, scope: string | undefined): Promise<Payload> {
    if ((payload.data?.byteLength ?? 0) <= this.thresholdBytes) return payload;
    const bytes = temporal.api.common.v1.Payload.encode(payload).finish();
    const blob = createHash('sha256').update(bytes).digest('hex');
    await this.store.put(blob, bytes, scope);
    const reference: ClaimReference = {
      blob,
      bytes: bytes.byteLength,
      ...(scope ? { scope } : {}),
    };
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
    const bytes = await this.store.get(ref.blob, ref.scope);
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
    const scoped = ref.scope === undefined || isBlobScope(ref.scope);
    if (typeof ref.blob === 'string' && BLOB_KEY.test(ref.blob) && typeof ref.bytes === 'number')
      if (scoped)
        return { blob: ref.blob, bytes: ref.bytes, ...(ref.scope ? { scope: ref.scope } : {}) };
  } catch {
    // reported below
  }
  throw new ClaimCheckError('a claim-check reference is malformed');
}
