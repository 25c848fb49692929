import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_BREAKER } from '../policy/breaker';
import { PoliciesConfig } from '../policy/resolve-policy';
import {
  BUILT_IN_PROVIDER,
  DEFAULT_MODELS,
  DEFAULT_PROVIDERS,
  ModelEntry,
  ProviderConfig,
  slug,
} from './model-registry';

/**
 * Keel's config file (KEEL_CONFIG, JSON): providers and the model registry with prices, the
 * circuit breaker, policies and tenants. Parsed with zod at boot; a bad value stops the boot
 * naming the key (`models[3].price.input`).
 */
export const KeelFileConfig = z
  .object({
    providers: z.array(ProviderConfig).default(DEFAULT_PROVIDERS),
    models: z.array(ModelEntry).default([]),
    /** Longest Retry-After Keel waits on before moving on. @default 30000 */
    maxRetryAfterMs: z.number().int().min(0).max(600_000).default(30_000),
    /** Circuit breakers, per provider/model, shared by every worker (shared/policy/breaker.ts). */
    breaker: z
      .object({
        windowMs: z.number().int().min(1_000).max(3_600_000),
        minRequests: z.number().int().min(1).max(10_000),
        failureRate: z.number().gt(0).max(1),
        slowCallMs: z.number().int().min(1),
        slowRate: z.number().gt(0).max(1),
        openMs: z.number().int().min(100).max(3_600_000),
      })
      .strict()
      .partial()
      .default({})
      .transform((b) => ({ ...DEFAULT_BREAKER, ...b })),
    /** Moderation policies and rule limits, a default and per tenant (policy/resolve-policy.ts). */
    policies: PoliciesConfig.default({}),
    /**
     * Tenants beyond the demo one, each with API keys kept as SHA-256 hex digests
     * (`printf %s "$KEY" | sha256sum`) and their roles. A key's name is the reviewer identity.
     */
    tenants: z
      .array(
        z
          .object({
            id: slug,
            /** The tenant's plan when it is first seeded into the tenant store. @default unlimited */
            plan: slug.optional(),
            keys: z
              .array(
                z
                  .object({
                    name: z.string().min(1).max(100),
                    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
                    roles: z.array(z.enum(['caller', 'reviewer', 'admin', 'operator'])).min(1),
                  })
                  .strict(),
              )
              .min(1),
          })
          .strict(),
      )
      .default([]),
    /** Payload encryption beyond the deployment's keys (docs/encryption.md). */
    encryption: z
      .object({
        /**
         * Each tenant's payloads under a data key of its own, so erasing the tenant shreds them
         * everywhere (docs/encryption.md#per-tenant-data-keys). Needs payload keys (`npm start`
         * makes them). Processes with it off still decrypt such payloads. @default true
         */
        tenantDataKeys: z.boolean().default(true),
      })
      .strict()
      .default({ tenantDataKeys: true }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // The built-in in-process model owns the name and the type: an external endpoint under
    // either would be treated as in-process and sent unredacted input.
    cfg.providers.forEach((p, i) => {
      if (p.name === BUILT_IN_PROVIDER) {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', i, 'name'],
          message: `"${BUILT_IN_PROVIDER}" is the built-in in-process provider; give this provider another name`,
        });
      } else if (p.type === 'local') {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', i, 'type'],
          message: `type "local" is only the built-in provider (always present, needs no entry)`,
        });
      }
    });
    const names = new Set([BUILT_IN_PROVIDER, ...cfg.providers.map((p) => p.name)]);
    cfg.models.forEach((m, i) => {
      if (!names.has(m.provider)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'provider'],
          message: `unknown provider "${m.provider}"`,
        });
      }
    });
  });
export type KeelFileConfig = z.infer<typeof KeelFileConfig>;

/** The config when no file is given: the built-in providers and models. */
export const DEFAULT_FILE_CONFIG: z.input<typeof KeelFileConfig> = {
  providers: DEFAULT_PROVIDERS,
  models: DEFAULT_MODELS,
};

export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
}

/** Parses a config object (the default, or a KEEL_CONFIG file's contents). */
export function parseFileConfig(raw: unknown, source: string): KeelFileConfig {
  const parsed = KeelFileConfig.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) =>
        `${
          i.path
            .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
            .join('')
            .replace(/^\./, '') || '(root)'
        }: ${i.message}`,
    );
    throw new ModelConfigError(`Invalid config ${source}:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}

export function loadFileConfig(file: string | undefined): KeelFileConfig {
  if (!file) return parseFileConfig(DEFAULT_FILE_CONFIG, '(built-in default)');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new ModelConfigError(`KEEL_CONFIG ${file}: ${(err as Error).message}`);
  }
  return parseFileConfig(raw, file);
}
