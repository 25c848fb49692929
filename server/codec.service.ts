import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { SearchAttr } from '../shared/contracts/messages';
import type { KeelConfig } from '../shared/platform/config';
import type { Logger } from '../shared/platform/logger';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../shared/platform/payload-codec';
import {
  ClaimCheckError,
  isClaimCheck,
  type ClaimCheckCodec,
} from '../shared/platform/claim-check';
import { claimCheckCodec, payloadCodec } from '../shared/platform/temporal-connection';
import { AuditService } from './audit.service';
import { isOperator } from './tenant-scope';
import { invalidRequest, ProblemError } from './problem';
import { type Tenant } from '../shared/tenancy/directory';
import { PLATFORM_AUDIT_TENANT } from '../shared/tenancy/store';
import { CONFIG, LOGGER, TEMPORAL_CLIENT } from './tokens';

/** Temporal's codec server body: protobuf JSON of `Payloads` (metadata values and data base64). */
export const CodecBody = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), z.string()).optional(),
        data: z.string().optional(),
      }),
    )
    .max(10_000),
});
export type CodecBody = z.infer<typeof CodecBody>;

const fromJson = (p: CodecBody['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): CodecBody['payloads'][number] => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const isEncrypted = (p: Payload): boolean =>
  Buffer.from(p.metadata?.encoding ?? []).toString() === ENCRYPTED_ENCODING;
const digest = (data: Uint8Array | null | undefined): string =>
  createHash('sha256')
    .update(data ?? new Uint8Array())
    .digest('base64');

/**
 * The codec server (`POST /codec/decode`, `/codec/encode`) for the Temporal Web UI and CLI: the
 * deployment's own payload codec behind Keel's keys. The platform operator decodes any payload.
 * A tenant admin decodes only payloads of one of its tenant's jobs, named by `workflowId` (the
 * query parameter or `X-Keel-Workflow-Id`): the job must be its tenant's, and every encrypted
 * payload sent must be one stored in that job's history, so a payload copied from another
 * tenant's history does not decode. Every decode is logged with who asked and for which job.
 */
@Injectable()
export class CodecService {
  private readonly codec: EncryptionCodec | undefined;
  private readonly claimCheck: ClaimCheckCodec | undefined;

  constructor(
    @Inject(CONFIG) config: KeelConfig,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(AuditService) private readonly trail: AuditService,
  ) {
    // Tenant data keys are read from the store on every request (no cache): a shredded tenant's
    // payloads stop decoding here at once.
    this.codec = config.payloadKeys ? payloadCodec(config, { cacheMs: 0 }) : undefined;
    this.claimCheck = config.claimCheck ? claimCheckCodec(config.claimCheck) : undefined;
  }

  /** Encodes as a worker would (no encryption configured: unchanged). */
  async encode(body: CodecBody): Promise<CodecBody> {
    const payloads = body.payloads.map(fromJson);
    return { payloads: (this.codec ? await this.codec.encode(payloads) : payloads).map(toJson) };
  }

  async decode(args: {
    tenant: Tenant;
    body: CodecBody;
    workflowId?: string;
    namespace?: string;
  }): Promise<CodecBody> {
    const { tenant, workflowId } = args;
    const payloads = args.body.payloads.map(fromJson);
    const encrypted = payloads.filter(isEncrypted);
    // A claim-check reference stands for a payload of the history: guarded the same way.
    const guarded = payloads.filter((p) => isEncrypted(p) || isClaimCheck(p));
    if (!isOperator(tenant) && guarded.length > 0) {
      if (!workflowId)
        throw ProblemError.of(
          'forbidden',
          'A tenant admin decodes payloads of one of its own jobs only: name it with `?workflowId=` or `X-Keel-Workflow-Id`.',
        );
      await this.assertStoredIn(tenant, workflowId, guarded);
    }
    const decoded: Payload[] = [];
    for (const [i, payload] of payloads.entries()) {
      try {
        // The reverse of the workers' chain: out of the blob store, then decrypted.
        const fetched =
          this.claimCheck && isClaimCheck(payload)
            ? await this.claimCheck.decodeOne(payload)
            : payload;
        decoded.push(this.codec ? (await this.codec.decode([fetched]))[0]! : fetched);
      } catch (err) {
        if (!(err instanceof PayloadDecryptionError) && !(err instanceof ClaimCheckError))
          throw err;
        throw invalidRequest(err.message, [{ field: `payloads.${i}`, message: err.message }]);
      }
    }
    if (encrypted.length === 0) return { payloads: decoded.map(toJson) };
    const operator = isOperator(tenant);
    // Who read which job's payloads: in the tenant's own chain (an operator's: the platform's).
    await this.trail.record(
      tenant,
      operator ? PLATFORM_AUDIT_TENANT : tenant.id,
      'payloads.decoded',
      { payloads: encrypted.length, operator, namespace: args.namespace ?? null },
      Date.now(),
      workflowId,
    );
    this.logger.info(
      {
        event: 'codec.decode',
        tenant: tenant.id,
        key: tenant.keyId,
        actor: tenant.keyName,
        operator,
        workflowId: workflowId ?? null,
        namespace: args.namespace ?? null,
        payloads: encrypted.length,
        keyIds: [
          ...new Set(
            encrypted.map((p) => Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? []).toString()),
          ),
        ],
      },
      'payloads decoded',
    );
    return { payloads: decoded.map(toJson) };
  }

  /** The job is the tenant's, and each payload is one its history stores. */
  private async assertStoredIn(
    tenant: Tenant,
    workflowId: string,
    payloads: Payload[],
  ): Promise<void> {
    const notFound = ProblemError.of('job-not-found', `There is no job "${workflowId}".`);
    const handle = this.client.workflow.getHandle(workflowId);
    try {
      const desc = await handle.describe();
      if (desc.typedSearchAttributes.get(SearchAttr.tenant) !== tenant.id) throw notFound;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound;
      throw err;
    }
    // The raw history (fetchHistory does not decode): the encrypted payloads as stored.
    const stored = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
        const v = value as { metadata?: unknown; data?: unknown };
        if (v.metadata && v.data instanceof Uint8Array) stored.add(digest(v.data));
        Object.values(value).forEach(walk);
      }
    };
    walk((await handle.fetchHistory()).events);
    if (payloads.some((p) => !stored.has(digest(p.data))))
      throw ProblemError.of(
        'forbidden',
        `A payload sent is not stored in the history of job "${workflowId}".`,
      );
  }
}
