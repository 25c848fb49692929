import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { activityTrace } from '../../../shared/platform/trace-fast';
import type { ModelProvider, ModelRequest, ModelResponse, ModelUsage } from './model-provider';

/**
 * A provider whose every call is a CLIENT span named `chat <model>` with the OpenTelemetry GenAI
 * attributes (docs/traces.md): operation, system/provider, requested and answering model, token
 * usage, finish reason. Never the messages, the answer or an error's message: those may quote the
 * caller's input. Wrapped around each provider only when tracing is on (create-providers.ts);
 * the span is a child of the activity's (the Temporal activity interceptor's context). With a
 * sampler that follows its parent (`followsParent`, Keel's default), a call inside an unsampled
 * context makes no span at all: it could only be an unrecorded one.
 */
export function tracedProvider(provider: ModelProvider, followsParent = false): ModelProvider {
  const tracer = trace.getTracer('keel');
  const unsampled = (): boolean => {
    if (!followsParent) return false;
    const parent = trace.getSpanContext(context.active()) ?? activityTrace();
    return parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) === 0;
  };
  const start = (request: ModelRequest): Span => {
    const model = request.model.id ?? request.model.name;
    return tracer.startSpan(`chat ${model}`, {
      kind: SpanKind.CLIENT,
      attributes: requestAttributes(provider, request, model),
    });
  };
  return {
    slug: provider.slug,
    type: provider.type,
    async generate(request) {
      if (unsampled()) return provider.generate(request);
      const span = start(request);
      try {
        const response = await provider.generate(request);
        span.setAttributes(responseAttributes(response));
        return response;
      } catch (err) {
        failed(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
    async *stream(request) {
      if (unsampled()) {
        yield* provider.stream(request);
        return;
      }
      const span = start(request);
      try {
        for await (const part of provider.stream(request)) {
          if (part.type === 'finish') span.setAttributes(responseAttributes(part));
          yield part;
        }
      } catch (err) {
        failed(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  };
}

/** `gen_ai.system` (and its successor `gen_ai.provider.name`): the vendor, else Keel's slug. */
function system(provider: ModelProvider): string {
  if (provider.type === 'openai' || provider.type === 'anthropic') return provider.type;
  return provider.type === 'local' ? 'keel.local' : provider.slug;
}

function requestAttributes(
  provider: ModelProvider,
  request: ModelRequest,
  model: string,
): Attributes {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.system': system(provider),
    'gen_ai.provider.name': system(provider),
    'gen_ai.request.model': model,
    'gen_ai.request.max_tokens': request.maxOutputTokens,
    'gen_ai.output.type': request.responseFormat.type === 'json' ? 'json' : 'text',
    ...(request.temperature !== undefined
      ? { 'gen_ai.request.temperature': request.temperature }
      : {}),
    'keel.provider': provider.slug,
  };
}

function responseAttributes(response: {
  model: string;
  usage: ModelUsage;
  finishReason: ModelResponse['finishReason'];
}): Attributes {
  return {
    'gen_ai.response.model': response.model,
    'gen_ai.response.finish_reasons': [response.finishReason],
    'gen_ai.usage.input_tokens': response.usage.inputTokens,
    'gen_ai.usage.output_tokens': response.usage.outputTokens,
    'gen_ai.usage.cache_read.input_tokens': response.usage.cachedInputTokens,
  };
}

/** The error's class only (`error.type`): its message may quote the request. */
function failed(span: Span, err: unknown): void {
  const type = err instanceof Error ? err.name || err.constructor.name : typeof err;
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}
