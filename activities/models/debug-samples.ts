import { Context } from '@temporalio/activity';
import { sampled } from '../../shared/observability/experiment-stats';
import { maskForLog, type Logger } from '../../shared/platform/logger';
import {
  debugSamplesOf,
  MAX_SAMPLE_MESSAGES,
  MAX_SAMPLE_TEXT_CHARS,
  type DebugSamplesSetting,
} from '../../shared/tenancy/debug-samples';
import type { NewDebugSample, TenantStore } from '../../shared/tenancy/store';
import { findInternalTask } from '../../shared/tasks/injection-check';
import { requireTask } from '../pipeline/pipeline-activities';
import type { CallModelArgs, CallModelResult } from './call-model';
import { renderTaskRequest } from './render-request';

const DAY_MS = 24 * 3600 * 1000;
/** How long a tenant's setting is reused before the store is asked again (as keys are). */
const SETTING_CACHE_MS = 1_000;
/** The sampling's salt: another sampler on the same job ids (experiments) decides apart. */
const SAMPLER = 'debug-samples';

type CallModel = (args: CallModelArgs) => Promise<CallModelResult>;

/**
 * Debug samples (docs/debug-samples.md): `callModel` that, for a tenant that opted in, keeps each
 * call of a sampled job — a hash of the job id against the tenant's rate, so every call of the
 * job, every attempt and every replica decide alike — with its prompt messages and raw answer
 * masked by the log masker (`[EMAIL]`, `[PHONE]`, …), cut to MAX_SAMPLE_TEXT_CHARS each. The
 * call's result and failure pass through unchanged; a sample that cannot be written is logged,
 * never the call's failure.
 */
export function withDebugSamples(
  callModel: CallModel,
  deps: { store: TenantStore; logger: Logger; now: () => number },
): CallModel {
  const settings = new Map<string, { at: number; setting?: DebugSamplesSetting }>();
  const settingOf = async (tenantId: string): Promise<DebugSamplesSetting | undefined> => {
    const now = deps.now();
    const hit = settings.get(tenantId);
    if (hit && now - hit.at < SETTING_CACHE_MS) return hit.setting;
    const tenant = await deps.store.getTenant(tenantId);
    const setting = tenant ? debugSamplesOf(tenant.overrides) : undefined;
    if (settings.size >= 10_000) settings.clear();
    settings.set(tenantId, { at: now, ...(setting ? { setting } : {}) });
    return setting;
  };

  return async (args) => {
    const tenantId = args.billing?.tenantId;
    const jobId = jobIdOfActivity();
    if (!tenantId || !jobId) return callModel(args);
    const setting = await settingOf(tenantId).catch((err: unknown) => {
      deps.logger.warn({ err, tenant: tenantId }, 'debug sample setting not read');
      return undefined;
    });
    if (!setting || !sampled(SAMPLER, jobId, setting.rate)) return callModel(args);
    const at = deps.now();
    const keep = async (outcome: string, result?: CallModelResult): Promise<void> => {
      try {
        await deps.store.debugSamples.record({
          ...(await sampleText(deps.store, args, result)),
          tenantId,
          jobId,
          task: args.task,
          provider: args.provider,
          model: result?.model ?? args.model,
          promptVersion: args.billing?.promptVersion ?? 'unknown',
          outcome,
          latencyMs: Math.max(0, deps.now() - at),
          inputTokens: result?.usage.inputTokens ?? null,
          outputTokens: result?.usage.outputTokens ?? null,
          at,
          expiresAt: at + setting.retentionDays * DAY_MS,
        });
      } catch (err) {
        deps.logger.warn({ err, jobId, tenant: tenantId }, 'debug sample not written');
      }
    };
    let result: CallModelResult;
    try {
      result = await callModel(args);
    } catch (err) {
      await keep(outcomeOf(err));
      throw err;
    }
    await keep('ok', result);
    return result;
  };
}

/** The workflow that scheduled this activity; none outside an activity (a direct call). */
function jobIdOfActivity(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined;
  }
}

/** The call's failure type (`RateLimited`, `Timeout`, …), `cancelled`, or `error`. */
function outcomeOf(err: unknown): string {
  if (Context.current().cancellationSignal.aborted) return 'cancelled';
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type ? type : 'error';
}

/** What the call sent (rendered again, as the call did) and answered, masked and cut. */
async function sampleText(
  store: TenantStore,
  args: CallModelArgs,
  result: CallModelResult | undefined,
): Promise<Pick<NewDebugSample, 'messages' | 'droppedMessages' | 'output'>> {
  const task = findInternalTask(args.task) ?? requireTask(args.task);
  const prompt = args.promptId ? await store.prompts.version(args.promptId) : undefined;
  const { messages } = renderTaskRequest({
    task,
    input: args.input,
    ...(args.reask ? { reask: args.reask } : {}),
    ...(prompt ? { prompt } : {}),
  });
  const mask = (text: string): string => maskForLog(text, MAX_SAMPLE_TEXT_CHARS);
  const kept = messages.slice(0, MAX_SAMPLE_MESSAGES);
  let output: string | null = null;
  if (result) {
    const answer = result.text ?? JSON.stringify(result.output ?? null);
    output = mask(
      result.toolCalls ? `${answer}\n${JSON.stringify({ toolCalls: result.toolCalls })}` : answer,
    );
  }
  return {
    messages: kept.map((m) => ({
      role: m.role,
      content: mask(m.toolCalls ? `${m.content}\n${JSON.stringify(m.toolCalls)}` : m.content),
    })),
    droppedMessages: messages.length - kept.length,
    output,
  };
}
