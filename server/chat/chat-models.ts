import { CHAT_TASK_NAME } from '../../shared/contracts/chat';
import type { KeelConfig } from '../../shared/platform/config';
import { findModel } from '../../shared/platform/model-registry';
import { enabledProviderNames } from '../../shared/platform/provider-settings';
import { resolveRoute } from '../../shared/policy/routing';
import { findTask } from '../../shared/tasks';
import { ProblemError } from '../problem';
import type { Tenant } from '../../shared/tenancy/directory';

/**
 * What `model` means on `/v1/chat/completions`: a Keel alias (`keel/fast`), defined by Keel or by
 * the tenant's plan, or one `provider:model` of the registry. An alias is a route: its candidates
 * this deployment cannot call (no key for the vendor) are left out, as a task's route is.
 */
export const BUILT_IN_ALIASES: Readonly<Record<string, readonly string[]>> = {
  /** The chat task's own route (its plan's, when the plan names one). */
  'keel/default': findTask(CHAT_TASK_NAME)!.route,
  'keel/fast': ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:keel-local-1'],
  'keel/smart': ['anthropic:claude-sonnet-4-5', 'openai:gpt-4.1-mini', 'local:keel-local-1'],
};

/** Every alias the tenant's key may name, the plan's over the built-in ones. */
export function aliasesOf(tenant: Tenant): Record<string, readonly string[]> {
  const planDefault = tenant.terms?.routes[CHAT_TASK_NAME];
  return {
    ...BUILT_IN_ALIASES,
    ...(planDefault ? { 'keel/default': planDefault } : {}),
    ...tenant.terms?.aliases,
  };
}

/** The route `model` names, filtered to what this deployment can call; 404 when nothing. */
export function resolveChatModel(model: string, tenant: Tenant, config: KeelConfig): string[] {
  const alias = aliasesOf(tenant)[model];
  const route = resolveRoute({
    refs: alias ?? [model],
    explicit: false,
    enabledProviders: enabledProviderNames(config),
    hasModel: (provider, name) => findModel(config.models, provider, name) !== undefined,
  });
  if (route.candidates.length === 0) {
    throw ProblemError.of(
      'model-not-found',
      alias
        ? `No candidate of "${model}" can be called on this deployment.`
        : `"${model}" is neither an alias nor a configured provider:model; GET /v1/models lists them.`,
      { errors: [{ field: 'model', message: 'unknown model' }] },
    );
  }
  return route.candidates.map((c) => `${c.provider}:${c.model}`);
}

/** `GET /v1/models`: the aliases, then every configured model this deployment can call. */
export function listChatModels(tenant: Tenant, config: KeelConfig): string[] {
  const enabled = enabledProviderNames(config);
  const aliases = Object.keys(aliasesOf(tenant)).filter((alias) => {
    try {
      return resolveChatModel(alias, tenant, config).length > 0;
    } catch {
      return false;
    }
  });
  const models = config.models.models
    .filter((m) => enabled.has(m.provider))
    .map((m) => `${m.provider}:${m.name}`);
  return [...aliases.sort(), ...models];
}
