import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { esc, fmt, renderBenchChart, writeBenchChart } from '../../bench/chart';
import { SYSTEMS } from '../../bench/results-schema';
import type {
  BenchResults,
  FaultMixSystem,
  LatencyStats,
  LoadSystem,
  OverheadSystem,
  SystemName,
} from '../../bench/results-schema';

const EVIL_SCENARIO = '<script>alert("x")</script>';

/** 101 quantiles of a right-skewed distribution starting at `base` ms. */
function quantiles(base: number, spread: number): number[] {
  return Array.from({ length: 101 }, (_, i) => {
    const q = i / 100;
    return base + spread * (q / (1.02 - q)) * 0.2;
  });
}

function stats(q: number[]): LatencyStats {
  return { n: 600, p50: q[50]!, p90: q[90]!, p99: q[99]!, max: q[100]! };
}

const ADDED: Record<SystemName, number> = { direct: 0, keel: 1.8, portkey: 3.5, litellm: 9 };

function overheadSystem(name: SystemName, upstream: number): OverheadSystem {
  const q = quantiles(upstream + ADDED[name], 2 + ADDED[name]);
  const direct = quantiles(upstream, 2);
  return {
    latency: stats(q),
    quantiles: q,
    addedMs:
      name === 'direct'
        ? null
        : { p50: q[50]! - direct[50]!, p90: q[90]! - direct[90]!, p99: q[99]! - direct[99]! },
    errors: name === 'litellm' ? 2 : 0,
    ...(name === 'keel' ? { keelHeaderMs: { n: 600, p50: 1.2, p90: 1.9, p99: 3.1, max: 7 } } : {}),
  };
}

function loadSystem(name: SystemName, rate: number): LoadSystem {
  const capacity: Record<SystemName, number> = {
    direct: 5000,
    keel: 900,
    portkey: 700,
    litellm: 250,
  };
  const achieved = Math.min(rate, capacity[name]);
  const saturated = rate > capacity[name];
  const q = quantiles(52 + ADDED[name], saturated ? 400 : 4);
  return {
    offeredPerSec: rate,
    achievedPerSec: achieved,
    sent: rate * 30,
    ok: achieved * 30,
    errors: (rate - achieved) * 30,
    errorRate: (rate - achieved) / rate,
    latency: stats(q),
    quantiles: q,
  };
}

const SCENARIOS = ['http-500', 'timeout', 'malformed-json', EVIL_SCENARIO];

function faultSystem(name: SystemName): FaultMixSystem {
  const validShare: Record<SystemName, number> = {
    direct: 0.62,
    keel: 0.97,
    portkey: 0.81,
    litellm: 0.78,
  };
  const requests = 400;
  const valid = Math.round(requests * validShare[name]);
  const invalid = Math.round((requests - valid) * 0.6);
  const perScenario: FaultMixSystem['perScenario'] = {};
  SCENARIOS.forEach((s, i) => {
    const v = Math.min(100, Math.round(100 * validShare[name] - i * 7 + 10));
    perScenario[s] = { requests: 100, valid: v, invalid: 100 - v, errors: 0 };
  });
  return {
    requests,
    valid,
    invalid,
    errors: requests - valid - invalid,
    validShare: valid / requests,
    latency: { n: requests, p50: 80, p90: 400, p99: 2100, max: 4000 },
    attemptsPerResult: name === 'keel' ? 1.4 : 1,
    tokensPerValid: 310,
    faultFreeTokensPerValid: 250,
    tokensRatio: 1.24,
    // One NaN on purpose: it must render as "—".
    ...(name === 'litellm' ? { tokensRatio: NaN } : {}),
    perScenario,
  };
}

function rss(process: string, base: number, n: number) {
  const samples = Array.from({ length: n }, (_, i) => ({
    tS: i * 2,
    rssMb: base + 10 * Math.log1p(i),
  }));
  return { process, samples, peakMb: Math.max(...samples.map((s) => s.rssMb)) };
}

function build<T>(names: readonly SystemName[], f: (n: SystemName) => T) {
  return Object.fromEntries(names.map((n) => [n, f(n)])) as Partial<Record<SystemName, T>>;
}

function fullResults(): BenchResults {
  return {
    date: '2025-01-15T10:00:00Z',
    quick: false,
    machine: { cpus: 2, memoryGiB: 7.7, node: 'v20.18.0', loadAvg: [0.5, 0.4, NaN] },
    versions: { keel: '0.1.0', portkey: '1.9.5', litellm: '1.55.0', openai: '4.77.0' },
    overhead: [50, 500].map((upstream) => ({
      upstreamLatencyMs: upstream,
      rounds: 5,
      perRound: 120,
      systems: build(SYSTEMS, (n) => overheadSystem(n, upstream)),
    })),
    cacheHit: { n: 200, p50: 1.1, p90: 1.6, p99: 2.9, max: 5 },
    load: [50, 200, 500, 1000].map((rate) => ({
      ratePerSec: rate,
      durationS: 30,
      systems: build(SYSTEMS, (n) => loadSystem(n, rate)),
    })),
    faultMix: {
      seed: 42,
      requests: 400,
      scenarios: SCENARIOS,
      systems: build(SYSTEMS, faultSystem),
    },
    memory: {
      processes: [
        rss('keel-api', 110, 60),
        rss('keel-worker', 160, 60),
        rss('temporal dev server', 90, 60),
        rss('portkey-gateway', 70, 60),
        rss('litellm-proxy', 240, 60),
        rss('mock <upstream>', 60, 60),
      ],
      longRun: {
        tasks: 20000,
        durationS: 600,
        tasksPerSec: 33.3,
        worker: {
          startMb: 160,
          endMb: 171,
          peakMb: 175,
          growthPct: 6.9,
          samples: rss('w', 160, 120).samples,
        },
      },
    },
    targets: [
      { name: 'keel added p50', target: '< 5 ms', value: '1.8 ms', met: true },
      { name: 'keel added p99', target: '< 15 ms', value: '22 ms', met: false },
      { name: 'valid share under faults', target: '≥ 95%', value: '97%', met: true },
    ],
  };
}

function partialResults(): BenchResults {
  const two = ['direct', 'keel'] as const;
  return {
    date: '2025-01-16',
    quick: true,
    machine: { cpus: 2, memoryGiB: 4, node: 'v20.18.0', loadAvg: [] },
    versions: {},
    overhead: [
      {
        upstreamLatencyMs: 0,
        rounds: 1,
        perRound: 1,
        systems: {
          direct: {
            latency: { n: 1, p50: 0, p90: 0, p99: 0, max: 0 },
            quantiles: [0],
            addedMs: null,
            errors: 0,
          },
          keel: {
            latency: { n: 1, p50: NaN, p90: NaN, p99: NaN, max: NaN },
            quantiles: [],
            addedMs: { p50: NaN, p90: NaN, p99: NaN },
            errors: 0,
          },
        },
      },
    ],
    load: [{ ratePerSec: 10, durationS: 5, systems: build(two, (n) => loadSystem(n, 10)) }],
    memory: {
      processes: [rss('keel-api', 100, 1), { process: 'empty', samples: [], peakMb: NaN }],
    },
    targets: [],
  };
}

const svgCount = (html: string): number => (html.match(/<svg\b/g) ?? []).length;

/** Text of every legend entry in the page. */
const legends = (html: string): string[] =>
  [...html.matchAll(/<text [^>]*class="legend"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

function expectClean(html: string): void {
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expect(html.trimEnd().endsWith('</html>')).toBe(true);
  expect(html).not.toMatch(/NaN|undefined|Infinity|\[object /);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/\b(src|href)=/);
  expect((html.match(/<svg\b/g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length);
}

describe('renderBenchChart', () => {
  it('renders every chart for a full run with all four systems', () => {
    const html = renderBenchChart(fullResults());
    expectClean(html);
    // 2 overhead CDFs + 2 load charts + fault-mix bars + memory + long-run worker.
    expect(svgCount(html)).toBe(7);
    const legend = legends(html);
    for (const s of SYSTEMS) expect(legend).toContain(s);
    expect(legend).toContain('keel-worker');
    expect(legend).toContain('mock &lt;upstream&gt;');
    expect(html).toContain('keel worker');
    // Targets: text, not colour alone.
    expect(html).toContain('✓ met');
    expect(html).toContain('✗ not met');
    expect(html).toContain('2 of 3 targets met');
    // Data strings are escaped.
    expect(html).toContain(esc(EVIL_SCENARIO));
    expect(html).not.toContain(EVIL_SCENARIO);
    // The NaN token ratio and load average render as a dash.
    expect(html).toMatch(/<td>—<\/td>/);
    expect(html).toContain('0.50 / 0.40 / —');
    // Valid share written next to the bars.
    expect(html).toContain('97.0% valid');
  });

  it("shows Keel next to Temporal's floor, and its open-loop goodput and refusals", () => {
    const r = fullResults();
    r.floor = {
      upstreamLatencyMs: 0,
      settings: { rounds: 3, perRound: 6, concurrency: 16, seconds: 2, throughputRounds: 1 },
      deployment: 'embedded worker',
      keelShape: {
        jobId: 'classify-ticket-1',
        description: 'eager start, 1 WFT: 4 LA; 1 WFT, 4 LA, 0 act · 12 events',
        workflowTasks: 1,
        localActivities: 4,
        activities: 0,
        events: 12,
        historyBytes: 6900,
        payloadBytes: 5600,
        payloads: 19,
      },
      direct: { latency: stats(quantiles(2, 1)) },
      floor: { latency: { n: 18, p50: 20, p90: 30, p99: 40, max: 45 }, throughputPerSec: 50 },
      keel: {
        latency: { n: 18, p50: 32, p90: 50, p99: 70, max: 80 },
        addedMs: { p50: 30, p99: 68 },
        throughputPerSec: 35,
      },
      portkey: { latency: stats(quantiles(3, 1)), addedMs: { p50: 1.5, p99: 3 } },
      ratios: {
        addedP50VsFloor: 1.5,
        addedP99VsFloor: 1.7,
        throughputVsFloor: 0.7,
        addedP50VsPortkey: 20,
        addedP99VsPortkey: 22.67,
      },
      errors: { direct: 0, keel: 0, portkey: 0, floor: 0 },
    };
    r.capacity = {
      concurrency: 16,
      seconds: 3,
      systems: { keel: { perSec: 40, errors: 0, latency: stats(quantiles(300, 50)) } },
    };
    r.load[1]!.systems.keel = {
      ...loadSystem('keel', 200),
      achievedPerSec: 36,
      errors: 500,
      goodput: { capacityPerSec: 40, vsCapacity: 0.9, vsExpected: 0.9 },
      refusals: {
        errors: 500,
        refused503WithRetryAfter: 495,
        share: 0.99,
        latency: { n: 495, p50: 4.2, p90: 6, p99: 9, max: 12 },
        byKind: { '503 + Retry-After': 495, TimeoutError: 5 },
      },
    };
    const html = renderBenchChart(r);
    expectClean(html);
    expect(html).toContain("Temporal's floor");
    expect(html).toContain(esc('eager start, 1 WFT: 4 LA'));
    expect(html).toMatch(/Keel ÷ floor<\/th><td>1\.50×<\/td><td>1\.70×<\/td><td>0\.70×<\/td>/);
    expect(html).toContain('Keel ÷ Portkey');
    expect(html).toContain('closed-loop capacity 40.0/s (16 callers)');
    expect(html).toMatch(/<th scope="row">200\/s<\/th><td>36\.0<\/td><td class="">0\.90×<\/td>/);
    expect(html).toContain('<td>99%</td><td>4.20 ms</td>');
  });

  it('handles two systems, no fault mix, no long run, single samples and NaN', () => {
    const html = renderBenchChart(partialResults());
    expectClean(html);
    // 1 overhead CDF + 2 load charts + memory.
    expect(svgCount(html)).toBe(4);
    const legend = legends(html);
    expect(legend).toContain('direct');
    expect(legend).toContain('keel');
    expect(legend).not.toContain('portkey');
    expect(legend).not.toContain('litellm');
    expect(html).not.toContain('Fault mix');
    expect(html).not.toContain('Long run');
    expect(html).toContain('No targets checked');
    expect(html).toContain('quick run');
  });

  it('renders empty results without charts', () => {
    const html = renderBenchChart({
      date: '',
      quick: false,
      machine: { cpus: NaN, memoryGiB: NaN, node: '', loadAvg: [] },
      versions: {},
      overhead: [],
      load: [],
      memory: { processes: [] },
      targets: [],
    });
    expectClean(html);
    expect(svgCount(html)).toBe(0);
    expect(html).toContain('No overhead passes');
  });

  it('writes the page to disk', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-chart-'));
    try {
      const file = path.join(dir, 'nested', 'bench.html');
      writeBenchChart(fullResults(), file);
      expect(readFileSync(file, 'utf8')).toBe(renderBenchChart(fullResults()));
      // BENCH_CHART_EXAMPLE=/tmp/x.html keeps a copy of the synthetic page to look at.
      const example = process.env.BENCH_CHART_EXAMPLE;
      if (example) writeBenchChart(fullResults(), example);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fmt / esc', () => {
  it('renders non-finite numbers as a dash', () => {
    expect(fmt(NaN)).toBe('—');
    expect(fmt(Infinity)).toBe('—');
    expect(fmt(undefined)).toBe('—');
    expect(fmt(1.234)).toBe('1.23');
    expect(fmt(-0.001)).toBe('0.00');
  });
  it('escapes markup and quotes', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});
