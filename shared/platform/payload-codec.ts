import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import {
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadCodec,
  type SerializationContext,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TenantBindings } from './tenant-bindings';
import { parseTenantKeyRef, type LoadedTenantKey, type TenantKeyring } from './tenant-keys';

/**
 * Keel's payload codec: every payload Temporal stores (workflow and activity inputs and results,
 * signals, updates, queries, memos, failure details) is compressed (brotli, from 1 KiB), then encrypted
 * with AES-256-GCM under the primary key, and its key id is kept in the payload's metadata so any
 * configured key decrypts it after a rotation. With per-tenant data keys (`TenantScope`), a
 * tenant's payloads are encrypted under the tenant's own key instead (`tenant:<id>:<version>` in
 * the metadata), so shredding that key makes every copy unreadable. A payload without this codec's
 * encoding (a history written before encryption, a plain test fixture) passes through unchanged.
 * docs/encryption.md.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata entry naming the key a payload was encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Metadata entry naming the compression applied before encryption. */
export const COMPRESSION_METADATA = 'encryption-compression';
const COMPRESSION = 'br';
/** Brotli's fastest quality: a 10 KB input in ~0.1 ms (deflate's default: ~0.3 ms), ~50 % smaller. */
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } };
/**
 * Smaller payloads are encrypted without compression: most of a task's payloads are a few hundred
 * bytes, where compression saves little and its per-call set-up would be most of the codec's
 * cost (bench/codec.ts, docs/encryption.md).
 */
const COMPRESSION_MIN_BYTES = 1024;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PayloadKey {
  /** Written into each payload it encrypts (`encryption-key-id`); never the key itself. */
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

/** Why a payload does not decrypt; names the key id, never the key or the data. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
  constructor(
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();
const utf8 = (s: string): Uint8Array => encoder.encode(s);
/** Shared by every payload's metadata (read-only: the SDK serialises them). */
const ENCRYPTED_BYTES = utf8(ENCRYPTED_ENCODING);
const COMPRESSION_BYTES = utf8(COMPRESSION);
const text = (b: Uint8Array | null | undefined): string | undefined =>
  b ? Buffer.from(b).toString('utf8') : undefined;

/**
 * `id1:base64key,id2:base64key` (commas or new lines, `#` comment lines; the first is the primary, which encrypts;
 * all decrypt). Throws an Error naming the bad entry by position and id, never echoing a key.
 */
export function parsePayloadKeys(spec: string): PayloadKey[] {
  const entries = spec
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('no key: expected `id:base64key[,id:base64key…]`');
  const keys = entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id))
      throw new Error(`key ${i + 1}: expected \`id:base64key\`, the id of [A-Za-z0-9._-]{1,64}`);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES)
      throw new Error(
        `key ${i + 1} (${id}): must be ${KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`), got ${key.length}`,
      );
    return { id, key };
  });
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) throw new Error('two keys share an id');
  return keys;
}

/** A fresh primary key with an id naming its creation day, as `id:base64key`. */
export function generatePayloadKey(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  return `k${day}-${randomBytes(3).toString('hex')}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/** The codec's work is synchronous (node:crypto, zlib); a throw becomes a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * `npm start`'s key file, `<dataDir>/payload-keys` (mode 0600): created with one generated key on
 * first use, kept across restarts (the histories it wrote must stay readable). To rotate, put a
 * new key on the first line and keep the old ones below it.
 */
export function ensurePayloadKeyFile(dataDir: string): { file: string; generated: boolean } {
  const file = path.join(dataDir, 'payload-keys');
  if (existsSync(file)) return { file, generated: false };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    file,
    `# Keel payload keys (docs/encryption.md): id:base64key, the first encrypts, all decrypt.\n${generatePayloadKey()}\n`,
    { mode: 0o600, flag: 'wx' },
  );
  return { file, generated: true };
}

/** Per-tenant data keys (docs/encryption.md#per-tenant-data-keys). */
export interface TenantScope {
  keyring: TenantKeyring;
  bindings: TenantBindings;
  /**
   * Encrypt a tenant's payloads under its data key. Off, this process still decrypts what others
   * encrypted so, and learns whose workflows are whose. @default false
   */
  encode: boolean;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly primary: PayloadKey;
  /** The primary key's id as bytes: metadata and additional authenticated data. */
  private readonly primaryId: Uint8Array;
  /** Imported once: a KeyObject spares OpenSSL the key set-up of a raw Buffer on every payload. */
  private readonly primaryKey: KeyObject;
  private readonly byId: ReadonlyMap<string, KeyObject>;
  /** Random bytes drawn 4 KiB at a time, 12 per IV: one CSPRNG call per ~340 payloads. */
  private ivPool = Buffer.alloc(0);
  private ivOffset = 0;

  /** `keys[0]` encrypts; every key decrypts what it encrypted. */
  constructor(
    keys: readonly PayloadKey[],
    private readonly tenants?: TenantScope,
  ) {
    const [primary] = keys;
    if (!primary) throw new Error('EncryptionCodec needs at least one key');
    this.primary = primary;
    this.primaryId = utf8(primary.id);
    this.byId = new Map(keys.map((k) => [k.id, createSecretKey(k.key)]));
    this.primaryKey = this.byId.get(primary.id)!;
  }

  /** The primary key's id (what new payloads carry). */
  get primaryKeyId(): string {
    return this.primary.id;
  }

  /**
   * Under the tenant's data key when `context` names a tenant's workflow (the key in memory: no
   * await; a workflow this process no longer knows is looked up once), else under the primary
   * deployment key.
   */
  encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const tenant = this.tenants?.encode
      ? this.tenants.bindings.resolve(context, payloads)
      : undefined;
    if (tenant instanceof Promise) return tenant.then((t) => this.encodeFor(t, payloads));
    return this.encodeFor(tenant, payloads);
  }

  private encodeFor(tenant: string | undefined, payloads: Payload[]): Promise<Payload[]> {
    if (!tenant) return settle(() => payloads.map((p) => this.encodeOne(p)));
    const keyring = this.tenants!.keyring;
    const cached = keyring.cachedCurrent(tenant);
    if (cached) return settle(() => payloads.map((p) => this.seal(p, cached.key, cached.refBytes)));
    return keyring
      .current(tenant)
      .then((k) => payloads.map((p) => this.seal(p, k.key, k.refBytes)));
  }

  /**
   * Rejects with a PayloadDecryptionError when a payload does not decrypt. A payload under a
   * tenant's key tells which tenant `context`'s workflow belongs to.
   */
  decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const tenants = this.tenants;
    const refs = tenants ? payloads.map(tenantRefOf) : [];
    if (!tenants || !refs.some((r) => r !== undefined))
      return settle(() => payloads.map((p) => this.decodeOne(p)));
    // Each reference's key: held in memory, else read from the store (undefined: shredded).
    const keys = new Map<string, LoadedTenantKey | undefined>();
    const missing: string[] = [];
    for (const ref of refs) {
      if (ref === undefined || keys.has(ref)) continue;
      const held = tenants.keyring.cachedRef(ref);
      if (held === undefined) missing.push(ref);
      keys.set(ref, held ?? undefined);
    }
    const finish = (): Payload[] =>
      payloads.map((p, i) => {
        const ref = refs[i];
        if (ref === undefined) return this.decodeOne(p);
        const out = this.decodeOne(p, keys.get(ref), ref);
        const tenant = parseTenantKeyRef(ref)?.tenantId;
        if (context?.workflowId && tenant) tenants.bindings.bind(context.workflowId, tenant);
        return out;
      });
    if (missing.length === 0) return settle(finish);
    return Promise.all(
      missing.map(async (ref) => keys.set(ref, await tenants.keyring.byReference(ref))),
    ).then(finish);
  }

  encodeOne(payload: Payload): Payload {
    return this.seal(payload, this.primaryKey, this.primaryId);
  }

  /** Compressed (from 1 KiB), then encrypted under `key`; `keyId` labels it and is authenticated. */
  private seal(payload: Payload, key: KeyObject, keyId: Uint8Array): Payload {
    const bytes = temporal.api.common.v1.Payload.encode(payload).finish();
    const compress = bytes.length >= COMPRESSION_MIN_BYTES;
    const plain = compress ? brotliCompressSync(bytes, BROTLI) : bytes;
    const iv = this.nextIv();
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The key id is authenticated too: a payload relabelled with another id does not decrypt.
    cipher.setAAD(keyId);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: ENCRYPTED_BYTES,
        [KEY_ID_METADATA]: keyId,
        ...(compress ? { [COMPRESSION_METADATA]: COMPRESSION_BYTES } : {}),
      },
      data: Buffer.concat([iv, body, cipher.getAuthTag()]),
    };
  }

  /** A fresh random 96-bit IV (a copy: the pool is reused). */
  private nextIv(): Buffer {
    if (this.ivOffset + IV_BYTES > this.ivPool.length) {
      this.ivPool = randomBytes(IV_BYTES * 341);
      this.ivOffset = 0;
    }
    const iv = Buffer.from(this.ivPool.subarray(this.ivOffset, this.ivOffset + IV_BYTES));
    this.ivOffset += IV_BYTES;
    return iv;
  }

  /**
   * `tenantKey`: the data key a `tenant:` reference names, loaded by `decode` (undefined: the
   * store no longer has it — shredded).
   */
  decodeOne(payload: Payload, tenantKey?: LoadedTenantKey, tenantRef?: string): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const keyId = tenantRef ?? text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId)
      throw new PayloadDecryptionError(
        `encrypted payload carries no ${KEY_ID_METADATA}; it was not written by Keel's codec`,
        undefined,
      );
    const key = parseTenantKeyRef(keyId) ? tenantKey?.key : this.byId.get(keyId);
    if (!key && parseTenantKeyRef(keyId))
      throw new PayloadDecryptionError(
        this.tenants
          ? `payload encrypted with tenant data key "${keyId}", which the tenant store no longer holds: the tenant was erased and its keys shredded (or this is not the deployment that wrote it)`
          : `payload encrypted with tenant data key "${keyId}", and this codec has no tenant keyring`,
        keyId,
      );
    if (!key)
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId}", which is not configured (configured: ${[...this.byId.keys()].join(', ')}); add it to KEEL_PAYLOAD_KEYS to read this history`,
        keyId,
      );
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptionError(`payload encrypted with key "${keyId}" is truncated`, keyId);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId}" does not decrypt with the configured key of that id (a different key under the same id, or altered data)`,
        keyId,
      );
    }
    const compression = text(payload.metadata?.[COMPRESSION_METADATA]);
    if (compression !== undefined && compression !== COMPRESSION)
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId}" names an unknown compression "${compression}"`,
        keyId,
      );
    const raw = compression === COMPRESSION ? brotliDecompressSync(plain) : plain;
    return temporal.api.common.v1.Payload.decode(raw);
  }
}

/** The `tenant:` key reference of an encrypted payload, if it names one. */
function tenantRefOf(payload: Payload): string | undefined {
  const id = payload.metadata?.[KEY_ID_METADATA];
  if (!id || id[0] !== TENANT_REF_FIRST_BYTE) return undefined;
  const ref = text(id);
  return ref && parseTenantKeyRef(ref) ? ref : undefined;
}
const TENANT_REF_FIRST_BYTE = 't'.charCodeAt(0);
