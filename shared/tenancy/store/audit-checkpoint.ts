import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { PayloadKey } from '../../platform/payload-codec';
import type { AuditCheckpointsTable } from './schema';

/**
 * A tenant's audit checkpoint (docs/audit.md#checkpoints): what retention pruned from the front
 * of its chain. Records 1…first_seq−1 are gone; the first kept record must be `first_seq` and link
 * to `prev_hash`, the hash of the last pruned one. The row is MACed (HMAC-SHA256) under a key
 * derived from a payload key, its id stored with it: whoever can write to the database but holds
 * no key cannot move the checkpoint forward to hide deleted records, nor write one at all.
 */
export interface AuditCheckpoint {
  tenantId: string;
  /** The first seq kept. */
  firstSeq: number;
  /** The hash of record firstSeq − 1. */
  prevHash: string;
  /** Records pruned over every run so far: always firstSeq − 1. */
  prunedCount: number;
  /** Epoch ms: the last prune's cut-off (records before it could go). */
  prunedBefore: number;
  /** Epoch ms: when the last prune ran. */
  at: number;
  /** The payload key the MAC is keyed with. */
  keyId: string;
  /** Hex HMAC-SHA256 over every field above. */
  mac: string;
}

/** The checkpoint MAC key of a payload key: its own purpose, never the payload or chain key. */
const checkpointKey = (key: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'keel-audit-checkpoint-v1', 32));

/** Signs and checks checkpoints with the payload keys (the first one signs). */
export class CheckpointSigner {
  private readonly keys: ReadonlyMap<string, Buffer>;
  /** '' without payload keys: then nothing is signed and the trail is never pruned. */
  readonly primaryKeyId: string;

  constructor(keys: readonly PayloadKey[]) {
    this.keys = new Map(keys.map((k) => [k.id, checkpointKey(k.key)]));
    this.primaryKeyId = keys[0]?.id ?? '';
  }

  sign(cp: Omit<AuditCheckpoint, 'keyId' | 'mac'>): AuditCheckpoint {
    const key = this.keys.get(this.primaryKeyId);
    if (!key) throw new Error('audit: a checkpoint needs a payload key');
    const signed = { ...cp, keyId: this.primaryKeyId };
    return { ...signed, mac: macOf(key, signed) };
  }

  /** Why the checkpoint cannot be trusted, or undefined when its MAC checks. */
  problemWith(cp: AuditCheckpoint): string | undefined {
    if (!cp.keyId) return 'its checkpoint is not signed';
    const key = this.keys.get(cp.keyId);
    if (!key)
      return `its checkpoint is signed with payload key "${cp.keyId}", which is not configured`;
    const want = Buffer.from(macOf(key, cp), 'hex');
    const got = Buffer.from(cp.mac, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want))
      return 'its checkpoint does not match its MAC';
    if (cp.prunedCount !== cp.firstSeq - 1)
      return `its checkpoint counts ${cp.prunedCount} records pruned before seq ${cp.firstSeq}`;
    return undefined;
  }
}

function macOf(key: Buffer, cp: Omit<AuditCheckpoint, 'mac'>): string {
  const canonical = JSON.stringify([
    'keel-audit-checkpoint',
    cp.tenantId,
    cp.firstSeq,
    cp.prevHash,
    cp.prunedCount,
    cp.prunedBefore,
    cp.at,
    cp.keyId,
  ]);
  return createHmac('sha256', key).update(canonical).digest('hex');
}

export function checkpointFromRow(row: Selectable<AuditCheckpointsTable>): AuditCheckpoint {
  return {
    tenantId: row.tenant_id,
    firstSeq: Number(row.first_seq),
    prevHash: row.prev_hash,
    prunedCount: Number(row.pruned_count),
    prunedBefore: Number(row.pruned_before),
    at: Number(row.at),
    keyId: row.key_id,
    mac: row.mac,
  };
}

export function checkpointRow(cp: AuditCheckpoint): Selectable<AuditCheckpointsTable> {
  return {
    tenant_id: cp.tenantId,
    first_seq: cp.firstSeq,
    prev_hash: cp.prevHash,
    pruned_count: cp.prunedCount,
    pruned_before: cp.prunedBefore,
    at: cp.at,
    key_id: cp.keyId,
    mac: cp.mac,
  };
}
