// parse-prometheus-text-format ships no types: the shape below is its documented output.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (
  text: string,
) => MetricFamily[];

/** One sample as the parser gives it (values are strings in the text format). */
export interface Sample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

/** A scrape parsed by a real Prometheus text-format parser, with lookups for tests. */
export class Scrape {
  readonly families: ReadonlyMap<string, MetricFamily>;

  constructor(private readonly text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f] as const));
  }

  family(name: string): MetricFamily | undefined {
    return this.families.get(name);
  }

  /** The samples of `name` whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): Sample[] {
    return (this.families.get(name)?.metrics ?? []).filter((s) =>
      Object.entries(labels).every(([k, v]) => s.labels?.[k] === v),
    );
  }

  /** The sum of a counter's or gauge's samples matching `labels` (0 when none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, labels).reduce((n, s) => n + Number(s.value), 0);
  }

  /**
   * The sum of a histogram's `_count` series over those matching `labels`. The parser folds a
   * labelled histogram into one unlabelled sample (its `flattenMetrics`), so the `_count` lines
   * are handed to it again on their own, where it reads them as plain labelled samples.
   */
  count(name: string, labels: Record<string, string> = {}): number {
    const counts = this.text
      .split('\n')
      .filter((line) => line.startsWith(`${name}_count{`) || line.startsWith(`${name}_count `));
    // The parser keeps a family's last sample only when a line (here: an empty one) follows it.
    return new Scrape(`${counts.join('\n')}\n`).value(`${name}_count`, labels);
  }

  /** Label sets of `name`, as `k=v,k=v` strings → value, for readable failure diffs. */
  table(name: string): Record<string, number> {
    return Object.fromEntries(
      (this.families.get(name)?.metrics ?? []).map((s) => [
        Object.entries(s.labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        Number(s.value ?? s.count),
      ]),
    );
  }
}

/** GETs a `/metrics` endpoint and parses it; throws unless it answers 200. */
export async function scrapeMetrics(url: string, token?: string): Promise<Scrape> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return new Scrape(await res.text());
}
