/** Injection tokens. Explicit tokens, because tsx/vitest (esbuild) emit no decorator metadata. */
export const CONFIG = Symbol('KeelConfig');
export const TEMPORAL_CLIENT = Symbol('TemporalClient');
export const TENANTS = Symbol('TenantDirectory');
export const LOGGER = Symbol('Logger');
export const PROVIDER_HEALTH = Symbol('ProviderHealth');
export const TENANCY = Symbol('Tenancy');
