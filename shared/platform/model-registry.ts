import { z } from 'zod';
import { ModelGovernance } from '../policy/data-policy';

/**
 * The model registry: which providers exist (by route prefix and type) and which models each
 * serves, with capabilities and prices, plus the lookups the pipeline needs. The config file
 * (`config-file.ts`) carries it; the built-in defaults live here.
 */
export const ProviderType = z.enum(['openai', 'anthropic', 'openai-compatible', 'local']);
export type ProviderType = z.infer<typeof ProviderType>;

/** The built-in offline provider's route prefix (`local:keel-local-1`); no config entry may reuse it. */
export const BUILT_IN_PROVIDER = 'local';

/** A provider or tenant name: lower-case letters, digits and dashes. */
export const slug = z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes');

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
    /**
     * A key pool: several variables, each holding one key of this provider. Calls spread over
     * the keys set, and a key its vendor says is out is skipped until its limit resets
     * (docs/routing.md). Replaces `apiKeyEnv` when given.
     */
    apiKeyEnvs: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/))
      .min(1)
      .max(32)
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
    /** Regions and promises (`hipaa`, `pci`, `zero-data-retention`) the data policy routes by. */
    governance: ModelGovernance.optional(),
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
export const DEFAULT_PROVIDERS: ProviderConfig[] = [
  { name: 'openai', type: 'openai' },
  { name: 'anthropic', type: 'anthropic' },
  { name: 'ollama', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' },
];

/** List prices when this was written; override them in your KEEL_CONFIG file. */
export const DEFAULT_MODELS: z.input<typeof ModelEntry>[] = [
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
];

/** What the lookups need of a config: its providers and models. */
export interface ModelRegistry {
  providers: readonly ProviderConfig[];
  models: readonly ModelEntry[];
}

/**
 * A route prefix's provider type: `local` for the built-in in-process model, else the config
 * entry's type. Whether input leaves the process is decided from this, never from a name.
 */
export function providerTypeOf(config: ModelRegistry, provider: string): ProviderType | undefined {
  // A configured entry's own type first: even a config that slipped past the reserved-name
  // check could not make an external endpoint look in-process.
  const entry = config.providers.find((p) => p.name === provider);
  if (entry) return entry.type === 'local' ? undefined : entry.type;
  return provider === BUILT_IN_PROVIDER ? 'local' : undefined;
}

/** True only for the built-in in-process model: no redaction, no breaker, a local activity. */
export function isInProcess(config: ModelRegistry, provider: string): boolean {
  return providerTypeOf(config, provider) === 'local';
}

/** Finds `provider:name` in the registry. */
export function findModel(
  config: ModelRegistry,
  provider: string,
  name: string,
): ModelEntry | undefined {
  return config.models.find((m) => m.provider === provider && m.name === name);
}
