/**
 * Renders a side-by-side benchmark (direct upstream vs Keel vs Portkey vs LiteLLM) as one
 * self-contained HTML page: inline SVG charts and inline CSS, no scripts, no external resources.
 *
 * Pure and dependency-free: `renderBenchChart(results)` returns the page as a string. Every string
 * that comes from the data is escaped; every number goes through `fmt` (non-finite → "—") or is a
 * coordinate computed only from finite values.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SYSTEMS } from './results-schema';
import type {
  BenchResults,
  CapacityPass,
  FaultMixPass,
  FloorPass,
  LatencyStats,
  LoadPass,
  MemoryPass,
  OverheadPass,
  Quantiles,
  SystemName,
  TargetCheck,
} from './results-schema';

/** Okabe–Ito colours (colour-blind safe), plus a dash pattern so lines differ without colour. */
export const SYSTEM_STYLE: Record<SystemName, { color: string; dash: string; label: string }> = {
  direct: { color: '#3d3d3d', dash: '7 4', label: 'direct' },
  keel: { color: '#0072B2', dash: '', label: 'keel' },
  portkey: { color: '#D55E00', dash: '12 3 3 3', label: 'portkey' },
  litellm: { color: '#009E73', dash: '3 3', label: 'litellm' },
};

const OUTCOME_STYLE = {
  valid: { color: '#1a7a3c', label: 'valid' },
  invalid: { color: '#e8b13a', label: 'invalid' },
  error: { color: '#b2182b', label: 'error' },
} as const;

const DASH = '—';

// ---------------------------------------------------------------------------------------------
// Formatting and escaping
// ---------------------------------------------------------------------------------------------

/** Escapes text for HTML element content and attribute values (SVG included). */
export function esc(value: string | number | null | undefined): string {
  const s = typeof value === 'string' ? value : value == null ? '' : String(value);
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A number for display: "—" when missing or not finite; decimals chosen by magnitude. */
export function fmt(v: unknown, digits?: number): string {
  if (!isNum(v)) return DASH;
  const abs = Math.abs(v);
  const d = digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
  const s = v.toFixed(d);
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

const fmtMs = (v: unknown): string => (isNum(v) ? `${fmt(v)} ms` : DASH);
const fmtPct = (share: unknown, digits = 1): string =>
  isNum(share) ? `${fmt(share * 100, digits)}%` : DASH;
const fmtSigned = (v: unknown): string => (isNum(v) ? `${v > 0 ? '+' : ''}${fmt(v)}` : DASH);
const fmtInt = (v: unknown): string => (isNum(v) ? String(Math.round(v)) : DASH);

/** Tick labels: compact, no trailing zeros. */
function tickLabel(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 10_000) return `${+(v / 1000).toFixed(1)}k`;
  if (abs >= 100) return String(Math.round(v));
  if (abs >= 1) return String(+v.toFixed(1));
  return String(+v.toPrecision(2));
}

/** SVG coordinate: always finite. */
const c = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '0');

// ---------------------------------------------------------------------------------------------
// Scales
// ---------------------------------------------------------------------------------------------

interface Scale {
  map(v: number): number;
  ticks: number[];
  /** Appended to the axis label when the scale is not linear. */
  note: string;
  log: boolean;
}

function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

/** `tail`: percentiles on -log10(1 - p), so p90→p99 gets as much room as p0→p90. */
type ScaleKind = 'linear' | 'log' | 'auto' | 'tail';

interface AxisOpts {
  kind?: ScaleKind;
  includeZero?: boolean;
  min?: number;
  max?: number;
  ticks?: number[];
  tickFormat?: (v: number) => string;
}

/** Builds a scale over finite values into [r0, r1]. Degenerate domains are padded. */
function makeScale(values: number[], r0: number, r1: number, opts: AxisOpts): Scale {
  if (opts.kind === 'tail') {
    const top = opts.max ?? 99;
    const t = (p: number): number => -Math.log10(1 - Math.min(Math.max(p, 0), top) / 100);
    return {
      map: (v) => r0 + (t(v) / t(top)) * (r1 - r0),
      ticks: opts.ticks ?? [0, 50, 75, 90, 95, 99],
      note: ' (tail-stretched)',
      log: false,
    };
  }
  const finite = values.filter(isNum);
  let lo = opts.min ?? (finite.length ? Math.min(...finite) : 0);
  let hi = opts.max ?? (finite.length ? Math.max(...finite) : 1);
  const positive = finite.filter((v) => v > 0);
  const pMin = positive.length ? Math.min(...positive) : 0;
  const useLog =
    opts.kind === 'log' ||
    (opts.kind === 'auto' && positive.length === finite.length && pMin > 0 && hi / pMin >= 20);

  if (useLog && pMin > 0) {
    let lmin = Math.log10(opts.min ?? pMin);
    let lmax = Math.log10(hi);
    if (lmax - lmin < 1e-9) {
      lmin -= 0.5;
      lmax += 0.5;
    }
    // Extend to the 1-2-5 steps around the data.
    const steps = [1, 2, 5, 10];
    const floorStep = (v: number): number => {
      const mag = 10 ** Math.floor(v);
      const n = 10 ** v / mag;
      return Math.log10(mag * ([...steps].reverse().find((s) => s <= n + 1e-9) ?? 1));
    };
    const ceilStep = (v: number): number => {
      const mag = 10 ** Math.floor(v);
      const n = 10 ** v / mag;
      return Math.log10(mag * (steps.find((s) => s >= n - 1e-9) ?? 10));
    };
    lmin = floorStep(lmin);
    lmax = ceilStep(lmax);
    const ticks: number[] = [];
    for (let e = Math.floor(lmin); e <= Math.ceil(lmax); e++) {
      for (const s of [1, 2, 5]) {
        const t = s * 10 ** e;
        const lt = Math.log10(t);
        if (lt >= lmin - 1e-9 && lt <= lmax + 1e-9) ticks.push(t);
      }
    }
    const isDecade = (t: number): boolean =>
      Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9;
    const decadesOnly = ticks.length > 10 ? ticks.filter(isDecade) : ticks;
    const span = lmax - lmin;
    return {
      map: (v) => r0 + ((Math.log10(Math.max(v, 10 ** lmin)) - lmin) / span) * (r1 - r0),
      ticks: decadesOnly.length >= 2 ? decadesOnly : ticks,
      note: ' (log scale)',
      log: true,
    };
  }

  if (opts.includeZero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (hi - lo < 1e-9) {
    if (hi === 0) {
      hi = 1;
    } else {
      const pad = Math.abs(hi) * 0.1;
      lo = opts.includeZero && lo >= 0 ? 0 : lo - pad;
      hi += pad;
    }
  }
  let ticks: number[];
  if (opts.ticks) {
    ticks = opts.ticks;
  } else {
    const step = niceStep(hi - lo, 5);
    if (opts.min === undefined) lo = Math.floor(lo / step + 1e-9) * step;
    if (opts.max === undefined) hi = Math.ceil(hi / step - 1e-9) * step;
    ticks = [];
    for (let t = lo; t <= hi + step * 1e-6; t += step) ticks.push(+t.toPrecision(12));
  }
  const span = hi - lo;
  return { map: (v) => r0 + ((v - lo) / span) * (r1 - r0), ticks, note: '', log: false };
}

// ---------------------------------------------------------------------------------------------
// Line chart
// ---------------------------------------------------------------------------------------------

interface Series {
  name: string;
  color: string;
  dash?: string;
  width?: number;
  /** false: never draw point markers for this series (reference lines). */
  markers?: boolean;
  points: Array<[number, number]>;
}

interface LineChartOpts {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  x?: AxisOpts;
  y?: AxisOpts;
  width?: number;
  height?: number;
  /** Draw point markers (defaults to: when every series has few points). */
  markers?: boolean;
}

const LEGEND_W = 180;
const MAX_LABEL = 26;

function truncate(s: string, n = MAX_LABEL): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function legendItems(
  items: Array<{ name: string; color: string; dash?: string; width?: number }>,
  x: number,
  y: number,
): string {
  return items
    .map((it, i) => {
      const yy = y + i * 20;
      const dash = it.dash ? ` stroke-dasharray="${esc(it.dash)}"` : '';
      return (
        `<g class="legend-item"><title>${esc(it.name)}</title>` +
        `<line x1="${c(x)}" y1="${c(yy)}" x2="${c(x + 26)}" y2="${c(yy)}" stroke="${esc(it.color)}" stroke-width="${it.width ?? 2.5}"${dash}/>` +
        `<text x="${c(x + 32)}" y="${c(yy + 4)}" class="legend">${esc(truncate(it.name))}</text></g>`
      );
    })
    .join('');
}

/** A line chart as an SVG string; returns a "No data" paragraph when there is nothing to plot. */
function lineChart(o: LineChartOpts): string {
  const series = o.series
    .map((s) => ({
      ...s,
      points: s.points
        .filter(([x, y]) => isNum(x) && isNum(y))
        .filter(([x]) => !(o.x?.kind === 'log' && x <= 0))
        .sort((a, b) => a[0] - b[0]),
    }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return `<p class="empty">${esc(o.title)}: no data.</p>`;

  const W = o.width ?? 820;
  const mL = 68;
  const mR = LEGEND_W + 16;
  const mT = 34;
  const mB = 50;
  const legendH = o.series.length * 20 + 10;
  const H = Math.max(o.height ?? 340, mT + legendH + mB);
  const plotW = W - mL - mR;
  const plotH = H - mT - mB;

  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  // A log x axis only holds positive values; drop the rest before scaling.
  const xScale = makeScale(xs, mL, mL + plotW, o.x ?? {});
  const xsUsable = xScale.log ? series.map((s) => s.points.filter(([x]) => x > 0)) : null;
  const yScale = makeScale(ys, mT + plotH, mT, o.y ?? {});
  const ysUsable = yScale.log;
  const plotted = series
    .map((s, i) => ({
      ...s,
      points: (xsUsable ? (xsUsable[i] ?? []) : s.points).filter(([, y]) => !ysUsable || y > 0),
    }))
    .filter((s) => s.points.length > 0);

  const markers = o.markers ?? plotted.every((s) => s.points.length <= 24);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}">`,
  );
  parts.push(`<title>${esc(o.title)}</title>`);
  parts.push(`<text x="${c(mL)}" y="20" class="chart-title">${esc(o.title)}</text>`);
  parts.push(
    `<rect x="${c(mL)}" y="${c(mT)}" width="${c(plotW)}" height="${c(plotH)}" class="plot-bg"/>`,
  );

  // Grid and ticks.
  for (const t of yScale.ticks) {
    const y = yScale.map(t);
    if (y < mT - 0.5 || y > mT + plotH + 0.5) continue;
    parts.push(
      `<line x1="${c(mL)}" y1="${c(y)}" x2="${c(mL + plotW)}" y2="${c(y)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${c(mL - 6)}" y="${c(y + 4)}" class="tick" text-anchor="end">${esc((o.y?.tickFormat ?? tickLabel)(t))}</text>`,
    );
  }
  for (const t of xScale.ticks) {
    const x = xScale.map(t);
    if (x < mL - 0.5 || x > mL + plotW + 0.5) continue;
    parts.push(
      `<line x1="${c(x)}" y1="${c(mT)}" x2="${c(x)}" y2="${c(mT + plotH)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${c(x)}" y="${c(mT + plotH + 16)}" class="tick" text-anchor="middle">${esc((o.x?.tickFormat ?? tickLabel)(t))}</text>`,
    );
  }
  parts.push(
    `<rect x="${c(mL)}" y="${c(mT)}" width="${c(plotW)}" height="${c(plotH)}" class="plot-frame"/>`,
  );

  // Axis labels.
  const xAxisLabel = o.xLabel + xScale.note;
  const yAxisLabel = o.yLabel + yScale.note;
  parts.push(
    `<text x="${c(mL + plotW / 2)}" y="${c(H - 10)}" class="axis-label" text-anchor="middle">${esc(xAxisLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${c(mT + plotH / 2)}) rotate(-90)" class="axis-label" text-anchor="middle">${esc(yAxisLabel)}</text>`,
  );

  // Series.
  for (const s of plotted) {
    const dash = s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : '';
    const pts = s.points.map(([x, y]) => [xScale.map(x), yScale.map(y)] as const);
    if (pts.length > 1) {
      const d = pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${c(x)} ${c(y)}`).join(' ');
      parts.push(
        `<path d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="${s.width ?? 2.5}" stroke-linejoin="round"${dash}><title>${esc(s.name)}</title></path>`,
      );
    }
    if (s.markers !== false && (markers || pts.length === 1)) {
      for (const [i, [x, y]] of pts.entries()) {
        const p = s.points[i];
        const tip = p ? `${s.name}: ${fmt(p[0])}, ${fmt(p[1])}` : s.name;
        parts.push(
          `<circle cx="${c(x)}" cy="${c(y)}" r="3.5" fill="${esc(s.color)}" stroke="#fff" stroke-width="1"><title>${esc(tip)}</title></circle>`,
        );
      }
    }
  }

  // Series without a plottable point still get a legend entry, so a gap reads as "no data".
  const missing = o.series
    .filter((s) => !plotted.some((p) => p.name === s.name))
    .map((s) => ({ ...s, name: `${s.name} (no data)`, color: '#c8c8c8' }));
  parts.push(legendItems([...plotted, ...missing], W - LEGEND_W, mT + 10));
  parts.push('</svg>');
  return `<figure class="chart">${parts.join('')}</figure>`;
}

// ---------------------------------------------------------------------------------------------
// Shared bits
// ---------------------------------------------------------------------------------------------

function present<T>(systems: Partial<Record<SystemName, T>>): Array<[SystemName, T]> {
  const out: Array<[SystemName, T]> = [];
  for (const name of SYSTEMS) {
    const v = systems[name];
    if (v != null) out.push([name, v]);
  }
  return out;
}

function systemCell(name: SystemName): string {
  const st = SYSTEM_STYLE[name];
  return `<th scope="row" class="sys"><span class="swatch" style="background:${esc(st.color)}"></span>${esc(st.label)}</th>`;
}

/**
 * CDF points (latency ms, percentile) up to p99 from quantiles, falling back to the summary stats.
 * The max (q100) is left out: one outlier would squash the whole plot; the tables show it.
 */
function cdfPoints(
  quantiles: Quantiles | undefined,
  stats: LatencyStats | undefined,
): Array<[number, number]> {
  const q = (quantiles ?? []).filter(isNum);
  if (q.length >= 2) {
    const all = quantiles ?? [];
    const n = all.length;
    return all
      .map((v, i): [number, number] => [v, (i * 100) / (n - 1)])
      .filter(([v, p]) => isNum(v) && p <= 99 + 1e-9);
  }
  if (q.length === 1 && q[0] !== undefined) return [[q[0], 50]];
  if (!stats) return [];
  return (
    [
      [stats.p50, 50],
      [stats.p90, 90],
      [stats.p99, 99],
    ] as Array<[number, number]>
  ).filter(([v]) => isNum(v));
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

function header(r: BenchResults): string {
  const m = r.machine ?? { cpus: NaN, memoryGiB: NaN, node: '', loadAvg: [] };
  const load = (m.loadAvg ?? []).map((v) => fmt(v, 2)).join(' / ') || DASH;
  const versions = Object.entries(r.versions ?? {});
  const versionList = versions.length
    ? `<ul class="versions">${versions
        .map(([k, v]) => `<li><span class="k">${esc(k)}</span> ${esc(v)}</li>`)
        .join('')}</ul>`
    : '';
  const systems = SYSTEMS.map(
    (s) =>
      `<li><span class="swatch" style="background:${esc(SYSTEM_STYLE[s].color)}"></span>${esc(s)}</li>`,
  ).join('');
  return `<header>
<h1>Gateway benchmark: direct vs Keel vs Portkey vs LiteLLM</h1>
<p class="meta"><strong>${esc(r.date || DASH)}</strong>${r.quick ? ' <span class="badge">quick run — small samples</span>' : ''}</p>
<p class="meta">Machine: ${fmtInt(m.cpus)} CPUs · ${fmt(m.memoryGiB, 1)} GiB · Node ${esc(m.node || DASH)} · load avg ${esc(load)}</p>
${versionList}
<ul class="systems" aria-label="System colours">${systems}</ul>
</header>`;
}

function targetsSection(targets: TargetCheck[]): string {
  if (!targets?.length)
    return `<section><h2>Targets</h2><p class="empty">No targets checked.</p></section>`;
  const met = targets.filter((t) => t.met).length;
  const rows = targets
    .map(
      (t) =>
        `<tr><th scope="row">${esc(t.name)}</th><td>${esc(t.target)}</td><td>${esc(t.value)}</td>` +
        `<td class="${t.met ? 'met' : 'unmet'}">${t.met ? '✓ met' : '✗ not met'}</td></tr>`,
    )
    .join('');
  return `<section><h2>Targets</h2>
<p>${met} of ${targets.length} targets met.</p>
<table class="targets"><thead><tr><th>Check</th><th>Target</th><th>Measured</th><th>Status</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function overheadSection(passes: OverheadPass[], cacheHit: LatencyStats | undefined): string {
  const parts: string[] = ['<section><h2>Added latency (overhead)</h2>'];
  parts.push(
    '<p class="note">Sequential requests through each system to the same upstream. Curves are latency distributions (CDF) up to p99, the vertical axis stretched towards the tail: further left is faster; the horizontal gap between a system and <em>direct</em> at a percentile is what it adds there. Max latencies are in the tables.</p>',
  );
  if (!passes?.length) parts.push('<p class="empty">No overhead passes.</p>');
  for (const pass of passes ?? []) {
    const systems = present(pass.systems ?? {});
    const title = `Latency distribution — upstream ${fmtMs(pass.upstreamLatencyMs)}`;
    parts.push(`<h3>Upstream latency ${esc(fmtMs(pass.upstreamLatencyMs))}</h3>`);
    parts.push(
      `<p class="note">${fmtInt(pass.rounds)} rounds × ${fmtInt(pass.perRound)} requests per system.</p>`,
    );
    if (!systems.length) {
      parts.push('<p class="empty">No systems measured in this pass.</p>');
      continue;
    }
    parts.push(
      lineChart({
        title,
        xLabel: 'latency (ms)',
        yLabel: 'percentile',
        x: { kind: 'auto' },
        y: { kind: 'tail', max: 99, tickFormat: (v) => `p${v}` },
        markers: false,
        series: systems.map(([name, s]) => ({
          name,
          color: SYSTEM_STYLE[name].color,
          dash: SYSTEM_STYLE[name].dash,
          points: cdfPoints(s.quantiles, s.latency),
        })),
      }),
    );
    const rows = systems
      .map(([name, s]) => {
        const l = s.latency;
        const a = s.addedMs;
        return (
          `<tr>${systemCell(name)}<td>${fmtInt(l?.n)}</td><td>${fmt(l?.p50)}</td><td>${fmt(l?.p90)}</td><td>${fmt(l?.p99)}</td><td>${fmt(l?.max)}</td>` +
          `<td>${a ? fmtSigned(a.p50) : DASH}</td><td>${a ? fmtSigned(a.p90) : DASH}</td><td>${a ? fmtSigned(a.p99) : DASH}</td><td>${fmtInt(s.errors)}</td></tr>`
        );
      })
      .join('');
    parts.push(
      `<table class="num"><thead><tr><th>System</th><th>n</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th><th>added p50</th><th>added p90</th><th>added p99</th><th>errors</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
    const keelHeader = pass.systems?.keel?.keelHeaderMs;
    if (keelHeader) {
      parts.push(
        `<p class="note">Keel self-reported overhead (<code>x-keel-overhead-ms</code>): p50 ${fmtMs(keelHeader.p50)}, p90 ${fmtMs(keelHeader.p90)}, p99 ${fmtMs(keelHeader.p99)}, max ${fmtMs(keelHeader.max)} (n=${fmtInt(keelHeader.n)}).</p>`,
      );
    }
  }
  if (cacheHit) {
    parts.push(
      `<p class="note">Keel cache hit: p50 ${fmtMs(cacheHit.p50)}, p90 ${fmtMs(cacheHit.p90)}, p99 ${fmtMs(cacheHit.p99)} (n=${fmtInt(cacheHit.n)}).</p>`,
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

const fmtX = (v: unknown): string => (isNum(v) ? `${fmt(v, 2)}×` : DASH);

function floorSection(fl: FloorPass | undefined): string {
  if (!fl) return '';
  const row = (label: string, p50: unknown, p99: unknown, tput: unknown, x = false): string => {
    const f = x ? fmtX : (v: unknown) => fmt(v);
    return `<tr><th scope="row">${esc(label)}</th><td>${f(p50)}</td><td>${f(p99)}</td><td>${f(tput)}</td></tr>`;
  };
  const rows = [
    row(
      'Temporal floor of that shape',
      fl.floor.latency.p50,
      fl.floor.latency.p99,
      fl.floor.throughputPerSec,
    ),
    row(
      'Keel, added over direct',
      fl.keel.addedMs.p50,
      fl.keel.addedMs.p99,
      fl.keel.throughputPerSec,
    ),
    ...(fl.portkey
      ? [
          row(
            'Portkey, added over direct',
            fl.portkey.addedMs.p50,
            fl.portkey.addedMs.p99,
            undefined,
          ),
        ]
      : []),
    row(
      'Keel ÷ floor',
      fl.ratios.addedP50VsFloor,
      fl.ratios.addedP99VsFloor,
      fl.ratios.throughputVsFloor,
      true,
    ),
    ...(fl.portkey
      ? [
          row(
            'Keel ÷ Portkey',
            fl.ratios.addedP50VsPortkey,
            fl.ratios.addedP99VsPortkey,
            undefined,
            true,
          ),
        ]
      : []),
  ].join('');
  return [
    "<section><h2>Temporal's floor</h2>",
    `<p class="note">On Keel's own Temporal server, the floor workflow of the shape Keel runs (${esc(fl.keelShape.description)}), one request at a time interleaved with Keel (${esc(fl.deployment)}), direct and Portkey, upstream ${fmtMs(fl.upstreamLatencyMs)}; ${fmtInt(fl.settings.rounds)} rounds × ${fmtInt(fl.settings.perRound)}. Throughput: ${fmtInt(fl.settings.concurrency)} closed-loop callers. Targets: added p50 ≤ 1.3× the floor, p99 ≤ 1.5×, throughput ≥ 0.8×.</p>`,
    `<table class="num"><thead><tr><th></th><th>p50 ms</th><th>p99 ms</th><th>tasks/s</th></tr></thead><tbody>${rows}</tbody></table>`,
    '</section>',
  ].join('\n');
}

/** Keel's open loop against its closed-loop capacity, and how it refused the excess. */
function keelGoodputTable(sorted: LoadPass[], capacity: CapacityPass | undefined): string {
  const rows = sorted
    .map((p) => ({ p, k: p.systems?.keel }))
    .filter((r): r is { p: LoadPass; k: NonNullable<LoadPass['systems']['keel']> } => !!r.k)
    .map(({ p, k }) => {
      const ref = k.refusals;
      const low = isNum(k.goodput?.vsExpected) && k.goodput.vsExpected < 0.8;
      return (
        `<tr><th scope="row">${fmt(p.ratePerSec)}/s</th><td>${fmt(k.achievedPerSec)}</td>` +
        `<td class="${low ? 'warn' : ''}">${fmtX(k.goodput?.vsExpected)}</td><td>${fmtInt(ref?.errors)}</td>` +
        `<td>${ref?.errors ? fmtPct(ref.share, 0) : DASH}</td><td>${ref?.errors ? fmtMs(ref.latency.p50) : DASH}</td>` +
        `<td>${fmt(k.latency?.p99)}</td></tr>`
      );
    })
    .join('');
  if (!rows) return '';
  const cap = capacity?.systems?.keel;
  return (
    `<p class="note">Keel: closed-loop capacity ${cap ? `${fmt(cap.perSec)}/s (${fmtInt(capacity?.concurrency)} callers)` : DASH}, measured in the same run. Goodput ÷ min(offered, capacity) should stay ≥ 0.8×; the excess should be refused at once with 503 and <code>Retry-After</code>.</p>` +
    `<table class="num"><thead><tr><th>Offered</th><th>answered/s</th><th>goodput ÷ possible</th><th>errors</th><th>503 + Retry-After</th><th>p50 to refuse</th><th>accepted p99 ms</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function loadSection(passes: LoadPass[], capacity?: CapacityPass): string {
  const parts: string[] = ['<section><h2>Throughput under load</h2>'];
  const sorted = [...(passes ?? [])].sort((a, b) => (a.ratePerSec ?? 0) - (b.ratePerSec ?? 0));
  const names = SYSTEMS.filter((n) => sorted.some((p) => p.systems?.[n] != null));
  if (!sorted.length || !names.length) {
    parts.push('<p class="empty">No load passes.</p></section>');
    return parts.join('\n');
  }
  parts.push(
    '<p class="note">Open-loop load at a fixed offered rate. A system keeping up stays on the dotted diagonal.</p>',
  );
  const rates = sorted.map((p) => p.ratePerSec).filter(isNum);
  const offered = (p: LoadPass, s: { offeredPerSec: number }): number =>
    isNum(p.ratePerSec) ? p.ratePerSec : s.offeredPerSec;
  const perSystem = (pick: (p: LoadPass, name: SystemName) => [number, number] | null) =>
    names.map((name) => ({
      name,
      color: SYSTEM_STYLE[name].color,
      dash: SYSTEM_STYLE[name].dash,
      points: sorted.flatMap((p) => {
        const pt = pick(p, name);
        return pt ? [pt] : [];
      }),
    }));
  const ideal: Series[] =
    rates.length >= 1
      ? [
          {
            name: 'offered (ideal)',
            color: '#9a9a9a',
            dash: '2 4',
            width: 1.5,
            markers: false,
            points: [
              [0, 0],
              [Math.max(...rates), Math.max(...rates)],
            ],
          },
        ]
      : [];
  parts.push('<div class="pair">');
  parts.push(
    lineChart({
      title: 'Achieved vs offered throughput',
      xLabel: 'offered rate (req/s)',
      yLabel: 'achieved (req/s)',
      x: { includeZero: true },
      y: { includeZero: true },
      width: 620,
      series: [
        ...ideal,
        ...perSystem((p, name) => {
          const s = p.systems?.[name];
          return s ? [offered(p, s), s.achievedPerSec] : null;
        }),
      ],
    }),
  );
  parts.push(
    lineChart({
      title: 'p99 latency vs offered rate',
      xLabel: 'offered rate (req/s)',
      yLabel: 'p99 latency (ms)',
      x: { includeZero: true },
      y: { kind: 'auto', includeZero: true },
      width: 620,
      series: perSystem((p, name) => {
        const s = p.systems?.[name];
        return s ? [offered(p, s), s.latency?.p99] : null;
      }),
    }),
  );
  parts.push('</div>');

  const head = names
    .map(
      (n) =>
        `<th colspan="3" class="grp"><span class="swatch" style="background:${esc(SYSTEM_STYLE[n].color)}"></span>${esc(n)}</th>`,
    )
    .join('');
  const sub = names.map(() => '<th>req/s</th><th>p99 ms</th><th>errors</th>').join('');
  const rows = sorted
    .map((p) => {
      const cells = names
        .map((n) => {
          const s = p.systems?.[n];
          if (!s) return `<td>${DASH}</td><td>${DASH}</td><td>${DASH}</td>`;
          return `<td>${fmt(s.achievedPerSec)}</td><td>${fmt(s.latency?.p99)}</td><td class="${isNum(s.errorRate) && s.errorRate > 0 ? 'warn' : ''}">${fmtPct(s.errorRate)}</td>`;
        })
        .join('');
      return `<tr><th scope="row">${fmt(p.ratePerSec)}/s <span class="dim">${fmt(p.durationS)} s</span></th>${cells}</tr>`;
    })
    .join('');
  parts.push(
    `<table class="num"><thead><tr><th rowspan="2">Offered</th>${head}</tr><tr>${sub}</tr></thead><tbody>${rows}</tbody></table>`,
  );
  parts.push(keelGoodputTable(sorted, capacity));
  parts.push('</section>');
  return parts.join('\n');
}

function faultMixSection(fm: FaultMixPass | undefined): string {
  if (!fm) return '';
  const parts: string[] = ['<section><h2>Fault mix: useful results</h2>'];
  parts.push(
    `<p class="note">${fmtInt(fm.requests)} requests per system against an upstream injecting faults (seed ${fmtInt(fm.seed)}). <em>Valid</em> = a schema-valid result came back; <em>invalid</em> = a response that fails validation; <em>error</em> = no result.</p>`,
  );
  const systems = present(fm.systems ?? {});
  if (!systems.length) {
    parts.push('<p class="empty">No systems measured.</p></section>');
    return parts.join('\n');
  }

  // Stacked horizontal bars.
  const W = 820;
  const mL = 90;
  const mR = 110;
  const rowH = 36;
  const mT = 54;
  const H = mT + systems.length * rowH + 30;
  const barW = W - mL - mR;
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Outcome share per system">`,
    '<title>Outcome share per system</title>',
    '<defs><pattern id="hatch-error" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="' +
      OUTCOME_STYLE.error.color +
      '"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2" stroke-opacity="0.45"/></pattern></defs>',
    `<text x="${mL}" y="20" class="chart-title">Outcome share per system</text>`,
  ];
  const legend = [
    { label: 'valid', fill: OUTCOME_STYLE.valid.color },
    { label: 'invalid', fill: OUTCOME_STYLE.invalid.color },
    { label: 'error', fill: 'url(#hatch-error)' },
  ];
  legend.forEach((l, i) => {
    const x = mL + i * 100;
    svg.push(
      `<rect x="${x}" y="30" width="14" height="14" fill="${l.fill}"/><text x="${x + 20}" y="41" class="legend">${esc(l.label)}</text>`,
    );
  });
  systems.forEach(([name, s], i) => {
    const y = mT + i * rowH;
    const counts = [
      { key: 'valid', n: s.valid, fill: OUTCOME_STYLE.valid.color, text: '#fff' },
      { key: 'invalid', n: s.invalid, fill: OUTCOME_STYLE.invalid.color, text: '#222' },
      { key: 'error', n: s.errors, fill: 'url(#hatch-error)', text: '#fff' },
    ];
    const sum = counts.reduce((acc, k) => acc + (isNum(k.n) && k.n > 0 ? k.n : 0), 0);
    const total = Math.max(isNum(s.requests) ? s.requests : 0, sum);
    svg.push(
      `<text x="${mL - 8}" y="${c(y + 16)}" class="bar-label" text-anchor="end">${esc(name)}</text>`,
      `<rect x="${mL - 4}" y="${c(y + 2)}" width="3" height="22" fill="${esc(SYSTEM_STYLE[name].color)}"/>`,
      `<rect x="${mL}" y="${c(y + 2)}" width="${barW}" height="22" class="bar-bg"/>`,
    );
    if (total > 0) {
      let x = mL;
      for (const k of counts) {
        const n = isNum(k.n) && k.n > 0 ? k.n : 0;
        const w = (n / total) * barW;
        if (w <= 0) continue;
        svg.push(
          `<rect x="${c(x)}" y="${c(y + 2)}" width="${c(w)}" height="22" fill="${k.fill}"><title>${esc(`${name} ${k.key}: ${n} of ${total} (${fmtPct(n / total)})`)}</title></rect>`,
        );
        if (w >= 46) {
          svg.push(
            `<text x="${c(x + w / 2)}" y="${c(y + 17)}" class="seg-label" style="fill:${k.text}" text-anchor="middle">${esc(fmtPct(n / total, 0))}</text>`,
          );
        }
        x += w;
      }
    }
    const validShare = total > 0 && isNum(s.valid) ? s.valid / total : s.validShare;
    svg.push(
      `<text x="${c(mL + barW + 8)}" y="${c(y + 17)}" class="bar-value">${esc(fmtPct(validShare))} valid</text>`,
    );
  });
  // x axis: 0 / 50 / 100 %
  for (const t of [0, 25, 50, 75, 100]) {
    const x = mL + (t / 100) * barW;
    svg.push(`<text x="${c(x)}" y="${c(H - 10)}" class="tick" text-anchor="middle">${t}%</text>`);
  }
  svg.push('</svg>');
  parts.push(`<figure class="chart">${svg.join('')}</figure>`);

  // Summary table.
  const rows = systems
    .map(
      ([name, s]) =>
        `<tr>${systemCell(name)}<td>${fmtInt(s.requests)}</td><td>${fmtInt(s.valid)}</td><td>${fmtInt(s.invalid)}</td><td>${fmtInt(s.errors)}</td><td>${fmtPct(s.validShare)}</td>` +
        `<td>${fmt(s.attemptsPerResult, 2)}</td><td>${fmt(s.tokensPerValid)}</td><td>${fmt(s.faultFreeTokensPerValid)}</td><td>${isNum(s.tokensRatio) ? `${fmt(s.tokensRatio, 2)}×` : DASH}</td>` +
        `<td>${fmt(s.latency?.p50)}</td><td>${fmt(s.latency?.p99)}</td></tr>`,
    )
    .join('');
  parts.push(
    `<table class="num"><thead><tr><th>System</th><th>requests</th><th>valid</th><th>invalid</th><th>errors</th><th>valid share</th><th>attempts / result</th><th>tokens / valid</th><th>fault-free tokens / valid</th><th>token ratio</th><th>p50 ms</th><th>p99 ms</th></tr></thead><tbody>${rows}</tbody></table>`,
  );

  // Per-scenario heat table.
  const scenarios = [...(fm.scenarios ?? [])];
  for (const [, s] of systems) {
    for (const k of Object.keys(s.perScenario ?? {})) if (!scenarios.includes(k)) scenarios.push(k);
  }
  if (scenarios.length) {
    const head = systems
      .map(
        ([n]) =>
          `<th><span class="swatch" style="background:${esc(SYSTEM_STYLE[n].color)}"></span>${esc(n)}</th>`,
      )
      .join('');
    const rows2 = scenarios
      .map((sc) => {
        const cells = systems
          .map(([, s]) => {
            const cell = s.perScenario?.[sc];
            const share =
              cell && isNum(cell.requests) && cell.requests > 0 ? cell.valid / cell.requests : NaN;
            if (!isNum(share)) return `<td class="heat none">${DASH}</td>`;
            const clamped = Math.min(1, Math.max(0, share));
            const bg = `hsl(${Math.round(clamped * 120)} 60% ${Math.round(84 - clamped * 6)}%)`;
            return `<td class="heat" style="background:${bg}">${fmtPct(share, 0)} <span class="dim">${fmtInt(cell?.valid)}/${fmtInt(cell?.requests)}</span></td>`;
          })
          .join('');
        return `<tr><th scope="row" class="scenario">${esc(sc)}</th>${cells}</tr>`;
      })
      .join('');
    parts.push('<h3>Valid share per fault scenario</h3>');
    parts.push(
      `<table class="num heatmap"><thead><tr><th>Scenario</th>${head}</tr></thead><tbody>${rows2}</tbody></table>`,
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** Colour for a process: its system's colour when the name mentions one, else a neutral palette. */
function processStyles(names: string[]): Array<{ color: string; dash: string }> {
  const extra = ['#56B4E9', '#CC79A7', '#E69F00', '#8c6d31', '#7f7f7f', '#6a3d9a'];
  const dashes = ['', '6 3', '2 3', '10 3 2 3'];
  const perSystem = new Map<string, number>();
  let extraI = 0;
  return names.map((n) => {
    const lower = n.toLowerCase();
    const sys = SYSTEMS.find((s) => lower.includes(s));
    if (sys) {
      const k = perSystem.get(sys) ?? 0;
      perSystem.set(sys, k + 1);
      return { color: SYSTEM_STYLE[sys].color, dash: dashes[k % dashes.length] ?? '' };
    }
    const color = extra[extraI % extra.length] ?? '#7f7f7f';
    const dash = dashes[Math.floor(extraI / extra.length) % dashes.length] ?? '';
    extraI++;
    return { color, dash };
  });
}

function memorySection(mem: MemoryPass | undefined): string {
  const parts: string[] = ['<section><h2>Memory (RSS)</h2>'];
  const procs = (mem?.processes ?? []).filter((p) => p != null);
  if (!procs.length) {
    parts.push('<p class="empty">No RSS samples.</p>');
  } else {
    const styles = processStyles(procs.map((p) => String(p.process ?? '')));
    parts.push(
      lineChart({
        title: 'Resident memory per process over the run',
        xLabel: 'time (s)',
        yLabel: 'RSS (MB)',
        x: { includeZero: true },
        y: { includeZero: true },
        markers: procs.every((p) => (p.samples?.length ?? 0) <= 12),
        series: procs.map((p, i) => ({
          name: String(p.process ?? ''),
          color: styles[i]?.color ?? '#7f7f7f',
          dash: styles[i]?.dash ?? '',
          width: 2,
          points: (p.samples ?? []).map((s): [number, number] => [s.tS, s.rssMb]),
        })),
      }),
    );
    const rows = procs
      .map((p, i) => {
        const samples = (p.samples ?? []).filter((s) => isNum(s.rssMb));
        const last = samples[samples.length - 1];
        return `<tr><th scope="row"><span class="swatch" style="background:${esc(styles[i]?.color ?? '#7f7f7f')}"></span>${esc(p.process)}</th><td>${fmt(p.peakMb)}</td><td>${fmt(last?.rssMb)}</td><td>${fmtInt(p.samples?.length ?? 0)}</td></tr>`;
      })
      .join('');
    parts.push(
      `<table class="num"><thead><tr><th>Process</th><th>peak MB</th><th>last MB</th><th>samples</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
  }
  const lr = mem?.longRun;
  if (lr) {
    const w = lr.worker;
    parts.push('<h3>Long run: Keel worker</h3>');
    parts.push(
      `<p class="note">${fmtInt(lr.tasks)} tasks over ${fmt(lr.durationS)} s (${fmt(lr.tasksPerSec)} tasks/s). Worker RSS ${fmt(w?.startMb)} → ${fmt(w?.endMb)} MB, peak ${fmt(w?.peakMb)} MB, growth ${isNum(w?.growthPct) ? `${fmtSigned(w.growthPct)}%` : DASH}.</p>`,
    );
    parts.push(
      lineChart({
        title: 'Keel worker RSS during the long run',
        xLabel: 'time (s)',
        yLabel: 'RSS (MB)',
        x: { includeZero: true },
        y: { includeZero: true },
        series: [
          {
            name: 'keel worker',
            color: SYSTEM_STYLE.keel.color,
            points: (w?.samples ?? []).map((s): [number, number] => [s.tS, s.rssMb]),
          },
        ],
      }),
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; background: #fafafa; margin: 0; }
main { max-width: 1300px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-top: 12px; border-top: 1px solid #ddd; }
h3 { font-size: 15px; margin: 20px 0 4px; }
.meta { margin: 2px 0; color: #444; }
.badge { background: #fff3cd; border: 1px solid #e0c060; border-radius: 4px; padding: 1px 6px; font-size: 12px; }
ul.versions, ul.systems { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; color: #444; }
ul.versions .k { font-weight: 600; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.note { color: #555; margin: 4px 0 8px; max-width: 900px; }
.empty { color: #777; font-style: italic; }
.dim { color: #777; font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0 16px; background: #fff; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 9px; text-align: left; }
thead th { background: #f0f0f2; font-weight: 600; }
table.num td { text-align: right; font-variant-numeric: tabular-nums; }
th.grp { text-align: center; }
td.met { background: #e3f4e8; color: #145c2c; font-weight: 600; }
td.unmet { background: #fbe4e4; color: #8f1d1d; font-weight: 600; }
td.warn { color: #8f1d1d; }
td.heat { min-width: 90px; }
td.heat.none { color: #999; }
th.scenario { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 500; }
figure.chart { margin: 8px 0; }
figure.chart svg { max-width: 100%; height: auto; background: #fff; border: 1px solid #e3e3e3; border-radius: 4px; }
.pair { display: flex; flex-wrap: wrap; gap: 12px; }
.pair figure.chart { flex: 1 1 560px; max-width: 640px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #222; }
svg .chart-title { font-size: 14px; font-weight: 600; }
svg .tick { font-size: 11px; fill: #555; }
svg .axis-label { font-size: 12px; fill: #333; }
svg .legend { font-size: 12px; }
svg .grid { stroke: #e6e6e6; stroke-width: 1; }
svg .ref { stroke: #b0b0b0; stroke-width: 1; stroke-dasharray: 4 3; }
svg .ref-label { font-size: 10px; fill: #777; }
svg .plot-bg { fill: #fff; }
svg .plot-frame { fill: none; stroke: #bbb; }
svg .bar-bg { fill: #f2f2f2; stroke: #ccc; }
svg .bar-label { font-size: 13px; font-weight: 600; }
svg .bar-value { font-size: 13px; font-weight: 600; }
svg .seg-label { font-size: 11px; font-weight: 600; }
`;

/** The benchmark results as one self-contained HTML page. */
export function renderBenchChart(results: BenchResults): string {
  const r = results;
  const body = [
    header(r),
    targetsSection(r.targets ?? []),
    overheadSection(r.overhead ?? [], r.cacheHit),
    floorSection(r.floor),
    loadSection(r.load ?? [], r.capacity),
    faultMixSection(r.faultMix),
    memorySection(r.memory),
  ]
    .filter(Boolean)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`Gateway benchmark — ${r.date || DASH}`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** Renders the results and writes the page to `filePath` (creating the directory). */
export function writeBenchChart(results: BenchResults, filePath: string): void {
  mkdirSync(path.dirname(filePath), { recursive: true });
  writeFileSync(filePath, renderBenchChart(results), 'utf8');
}
