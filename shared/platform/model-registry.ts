import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_BREAKER } from '../policy/breaker';
import { PoliciesConfig } from '../policy/resolve-policy';

/**
 * Keel's config file (KEEL_CONFIG, JSON): providers and the model registry with prices. Parsed
 * with zod at boot; a bad value stops the boot naming the key (`models[3].price.input`).
 */
export const ProviderType = z.enum(['openai', 'anthropic', 'openai-compatible', 'local']);
export type ProviderType = z.infer<typeof ProviderType>;

/** The built-in offline provider's route prefix (`local:keel-local-1`); no config entry may reuse it. */
export const BUILT_IN_PROVIDER = 'local';

const slug = z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes');

export const ProviderConfig = z
  .object({
    /** Route prefix: `openai` in `openai:gpt-4o-mini`. */
    name: slug,
    type: ProviderType,
    /** Base URL. Defaults: OPENAI_BASE_URL / ANTHROPIC_BASE_URL, else the vendor's. */
    baseUrl: z.url().optional(),
    /** Environment variable holding the key. @default OPENAI_API_KEY / ANTHROPIC_API_KEY */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/)
      .optional(),
  })
  .strict();
export type ProviderConfig = z.infer<typeof ProviderConfig>;

export const ModelEntry = z
  .object({
    provider: slug,
    /** Logical name used in routes (`openai:<name>`). */
    name: z.string().regex(/^[A-Za-z0-9._/-]+$/),
    /** Vendor model id sent on the wire. @default name */
    id: z.string().min(1).optional(),
    capabilities: z
      .object({
        /** Native JSON-schema structured output (OpenAI json_schema, Anthropic forced tool). */
        structuredOutput: z.boolean().default(true),
        contextTokens: z.number().int().positive().default(128_000),
        maxOutputTokens: z.number().int().positive().default(4_096),
      })
      .strict()
      .default({ structuredOutput: true, contextTokens: 128_000, maxOutputTokens: 4_096 }),
    /** USD per million tokens. */
    price: z
      .object({
        input: z.number().min(0),
        output: z.number().min(0),
        cachedInput: z.number().min(0).optional(),
      })
      .strict(),
  })
  .strict();
export type ModelEntry = z.infer<typeof ModelEntry>;

/** OpenAI, Anthropic and a local Ollama: the providers when a config file names none. */
const DEFAULT_PROVIDERS: ProviderConfig[] = [
  { name: 'openai', type: 'openai' },
  { name: 'anthropic', type: 'anthropic' },
  { name: 'ollama', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' },
];

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
    /** Moderation policies and rule limits: a default and per tenant (and task). See guards/policy.ts. */
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
            keys: z
              .array(
                z
                  .object({
                    name: z.string().min(1).max(100),
                    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
                    roles: z.array(z.enum(['caller', 'reviewer', 'admin'])).min(1),
                  })
                  .strict(),
              )
              .min(1),
          })
          .strict(),
      )
      .default([]),
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

/** List prices when this was written; override them in your KEEL_CONFIG file. */
export const DEFAULT_FILE_CONFIG: z.input<typeof KeelFileConfig> = {
  providers: DEFAULT_PROVIDERS,
  models: [
    { provider: BUILT_IN_PROVIDER, name: 'keel-local-1', price: { input: 0, output: 0 } },
    {
      provider: 'openai',
      name: 'gpt-4o-mini',
      price: { input: 0.15, output: 0.6, cachedInput: 0.075 },
    },
    {
      provider: 'openai',
      name: 'gpt-4.1-mini',
      price: { input: 0.4, output: 1.6, cachedInput: 0.1 },
    },
    {
      provider: 'anthropic',
      name: 'claude-haiku-4-5',
      price: { input: 1, output: 5, cachedInput: 0.1 },
    },
    {
      provider: 'anthropic',
      name: 'claude-sonnet-4-5',
      price: { input: 3, output: 15, cachedInput: 0.3 },
    },
    {
      provider: 'ollama',
      name: 'llama3.2',
      capabilities: { structuredOutput: false },
      price: { input: 0, output: 0 },
    },
  ],
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

/**
 * A route prefix's provider type: `local` for the built-in in-process model, else the config
 * entry's type. Whether input leaves the process is decided from this, never from a name.
 */
export function providerTypeOf(config: KeelFileConfig, provider: string): ProviderType | undefined {
  // A configured entry's own type first: even a config that slipped past the reserved-name
  // check could not make an external endpoint look in-process.
  const entry = config.providers.find((p) => p.name === provider);
  if (entry) return entry.type === 'local' ? undefined : entry.type;
  return provider === BUILT_IN_PROVIDER ? 'local' : undefined;
}

/** True only for the built-in in-process model: no redaction, no breaker, a local activity. */
export function isInProcess(config: KeelFileConfig, provider: string): boolean {
  return providerTypeOf(config, provider) === 'local';
}

/** Finds `provider:name` in the registry. */
export function findModel(
  config: KeelFileConfig,
  provider: string,
  name: string,
): ModelEntry | undefined {
  return config.models.find((m) => m.provider === provider && m.name === name);
}
