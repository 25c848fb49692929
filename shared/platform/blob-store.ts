import { createHash, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/**
 * The claim check's blob store (docs/claim-check.md#whose-blob-is-it). Each blob is filed under
 * the tenant and the workflow whose payload it holds, so erasure and retention find a tenant's
 * blobs without reading them. Names are hashes (`ownerTag`) of those ids: fixed-length hex, never
 * anything a caller typed.
 */
export const BLOB_KEY = /^[0-9a-f]{64}$/;
const TAG = /^[0-9a-f]{32}$/;
/** The tenant part of a scope when the writing process did not know the workflow's tenant. */
export const NO_TENANT = 'none';
const SCOPE = /^(none|[0-9a-f]{32})\/[0-9a-f]{32}$/;

/** Who a payload belongs to, as the codec knows it when it writes the blob. */
export interface BlobOwner {
  tenantId?: string | undefined;
  workflowId?: string | undefined;
}

/** Why a claim-checked payload cannot be read back; names the blob, never its content. */
export class ClaimCheckError extends Error {
  override readonly name = 'ClaimCheckError';
}

/** A tenant's or workflow's name in the store: 128 bits of SHA-256 over the id. */
export const ownerTag = (kind: 'tenant' | 'workflow', id: string): string =>
  createHash('sha256').update(`keel-blob:${kind}:${id}`).digest('hex').slice(0, 32);

/**
 * `<tenant tag or none>/<workflow tag>`, kept in the claim-check reference so a reader finds the
 * blob; undefined for a payload of no workflow (the codec server's `/codec/encode`).
 */
export function blobScope(owner: BlobOwner | undefined): string | undefined {
  if (!owner?.workflowId) return undefined;
  const tenant = owner.tenantId ? ownerTag('tenant', owner.tenantId) : NO_TENANT;
  return `${tenant}/${ownerTag('workflow', owner.workflowId)}`;
}

/** Whether a reference's scope is well formed (it comes from a history: checked before use). */
export const isBlobScope = (scope: unknown): scope is string =>
  typeof scope === 'string' && SCOPE.test(scope);

/** Where blobs live. The filesystem store is the default; other stores implement the same calls. */
export interface BlobStore {
  put(key: string, bytes: Uint8Array, scope?: string): Promise<void>;
  get(key: string, scope?: string): Promise<Uint8Array>;
}

/** What erasure and retention need of a blob store; each call answers how many blobs it deleted. */
export interface BlobLifecycle {
  /** Every blob of the tenant, and those of `workflowIds` written before their tenant was known. */
  deleteTenant(tenantId: string, workflowIds: Iterable<string>): Promise<number>;
  /** The blobs of these workflows (deleted from Temporal). */
  deleteWorkflows(tenantId: string, workflowIds: Iterable<string>): Promise<number>;
  /** The tenant's blobs written before `before`, except those of the workflows in `keep`. */
  pruneTenant(tenantId: string, before: number, keep: Iterable<string>): Promise<number>;
  /**
   * Blobs of workflows of no tenant (`none/`) written before `before`, except those of the
   * workflows in `keep`.
   */
  pruneUnowned(before: number, keep: Iterable<string>): Promise<number>;
}

/**
 * Blobs as files under `dir` (`<dataDir>/blobs` by default):
 * `tenants/<tenant tag>/<workflow tag's first 2>/<workflow tag>/<sha256>`, or
 * `<sha256's first 2>/<sha256>` for a blob of no workflow (and those written before blobs had
 * owners). Written to a temporary name and renamed, so a reader never sees half a blob. Every
 * process that encodes or decodes must see the same directory (one machine, or a shared volume).
 */
export class FileBlobStore implements BlobStore, BlobLifecycle {
  constructor(private readonly dir: string) {}

  /** The directory holding the tenant's blobs (an auditor's `ls`). */
  tenantDir(tenantId: string): string {
    return path.join(this.dir, 'tenants', ownerTag('tenant', tenantId));
  }

  private file(key: string, scope?: string): string {
    if (!BLOB_KEY.test(key)) throw new ClaimCheckError(`not a blob key: ${JSON.stringify(key)}`);
    if (scope === undefined) return path.join(this.dir, key.slice(0, 2), key);
    if (!isBlobScope(scope))
      throw new ClaimCheckError(`not a blob scope: ${JSON.stringify(scope)}`);
    const [tenant, workflow] = scope.split('/') as [string, string];
    return path.join(this.workflowDir(tenant, workflow), key);
  }

  private workflowDir(tenantTag: string, workflowTag: string): string {
    return path.join(this.dir, 'tenants', tenantTag, workflowTag.slice(0, 2), workflowTag);
  }

  put(key: string, bytes: Uint8Array, scope?: string): Promise<void> {
    const file = this.file(key, scope);
    if (existsSync(file)) {
      // Written again now: retention counts its age from here.
      const now = new Date();
      utimesSync(file, now, now);
      return Promise.resolve();
    }
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, bytes, { mode: 0o600 });
    renameSync(tmp, file);
    return Promise.resolve();
  }

  get(key: string, scope?: string): Promise<Uint8Array> {
    try {
      return Promise.resolve(readFileSync(this.file(key, scope)));
    } catch (err) {
      if (err instanceof ClaimCheckError) return Promise.reject(err);
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      return Promise.reject(
        new ClaimCheckError(missing ? `blob ${key} is missing` : `blob ${key} cannot be read`, {
          cause: err,
        }),
      );
    }
  }

  deleteTenant(tenantId: string, workflowIds: Iterable<string>): Promise<number> {
    const unattributed = [...workflowIds].map((id) =>
      this.workflowDir(NO_TENANT, ownerTag('workflow', id)),
    );
    return Promise.resolve(
      [this.tenantDir(tenantId), ...unattributed].reduce((n, d) => n + removeTree(d), 0),
    );
  }

  deleteWorkflows(tenantId: string, workflowIds: Iterable<string>): Promise<number> {
    const tenant = ownerTag('tenant', tenantId);
    let n = 0;
    for (const id of workflowIds) {
      const workflow = ownerTag('workflow', id);
      n += removeTree(this.workflowDir(tenant, workflow));
      n += removeTree(this.workflowDir(NO_TENANT, workflow));
    }
    return Promise.resolve(n);
  }

  pruneTenant(tenantId: string, before: number, keep: Iterable<string>): Promise<number> {
    return Promise.resolve(this.pruneUnder(this.tenantDir(tenantId), before, keep));
  }

  pruneUnowned(before: number, keep: Iterable<string>): Promise<number> {
    return Promise.resolve(
      this.pruneUnder(path.join(this.dir, 'tenants', NO_TENANT), before, keep),
    );
  }

  /** Blobs under `root` (a tenant's, or `none`) written before `before`, except `keep`'s. */
  private pruneUnder(root: string, before: number, keep: Iterable<string>): number {
    const kept = new Set([...keep].map((id) => ownerTag('workflow', id)));
    let n = 0;
    for (const fan of entries(root)) {
      for (const workflow of entries(path.join(root, fan))) {
        if (!TAG.test(workflow) || kept.has(workflow)) continue;
        const dir = path.join(root, fan, workflow);
        for (const blob of entries(dir)) {
          const file = path.join(dir, blob);
          if ((statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < before) {
            rmSync(file, { force: true });
            if (BLOB_KEY.test(blob)) n++;
          }
        }
        removeIfEmpty(dir);
      }
      removeIfEmpty(path.join(root, fan));
    }
    return n;
  }
}

const entries = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** Deletes a directory tree; answers how many blobs it held. */
function removeTree(dir: string): number {
  if (!existsSync(dir)) return 0;
  const blobs = readdirSync(dir, { recursive: true, withFileTypes: true }).filter(
    (d) => d.isFile() && BLOB_KEY.test(d.name),
  ).length;
  rmSync(dir, { recursive: true, force: true });
  return blobs;
}

function removeIfEmpty(dir: string): void {
  if (entries(dir).length === 0) rmSync(dir, { recursive: true, force: true });
}
