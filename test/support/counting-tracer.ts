import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * The SDK's tracer provider as tracing on registers it, with Keel's default sampler (nothing
 * sampled at the root, a parent followed) counted: `asked()` is how many spans were asked for,
 * recorded or not (the sampler is asked once per span started), `exporter` holds the recorded
 * ones. For tests that show a path makes no span at all. `register()` it in the test's setup.
 */
export function countingTracer(): {
  provider: NodeTracerProvider;
  exporter: InMemorySpanExporter;
  asked(): number;
  reset(): void;
} {
  const exporter = new InMemorySpanExporter();
  const inner = new ParentBasedSampler({ root: new AlwaysOffSampler() });
  let count = 0;
  const provider = new NodeTracerProvider({
    sampler: {
      shouldSample: (...args) => {
        count++;
        return inner.shouldSample(...args);
      },
      toString: () => 'counting',
    },
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return {
    provider,
    exporter,
    asked: () => count,
    reset: () => {
      count = 0;
      exporter.reset();
    },
  };
}
