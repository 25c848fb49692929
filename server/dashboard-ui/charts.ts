/**
 * The two time charts (uPlot, bundled into the page): throughput and the latency percentiles of
 * sync answers, one point per 2-second sample the server keeps (the last 5 minutes).
 */
import uPlot from 'uplot';
import type { DashboardBody } from './api';
import { localTime } from './dom';

type Series = DashboardBody['series'];

const HEIGHT = 220;
const css = (name: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

function axes(unit: string): uPlot.Axis[] {
  const stroke = css('--muted');
  const grid = { stroke: css('--border'), width: 1 };
  return [
    {
      stroke,
      grid,
      ticks: grid,
      values: (_u, splits) => splits.map((s) => localTime(s * 1000)),
    },
    { stroke, grid, ticks: grid, label: unit, size: 56 },
  ];
}

export interface Chart {
  update(series: Series): void;
}

function chart(
  host: HTMLElement,
  unit: string,
  lines: { label: string; color: string; pick: (p: Series[number]) => number | null }[],
): Chart {
  const width = (): number => Math.max(280, host.clientWidth);
  const plot = new uPlot(
    {
      width: width(),
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: axes(unit),
      series: [
        {},
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 2,
          spanGaps: false,
          points: { show: false },
        })),
      ],
    },
    [[], ...lines.map(() => [])],
    host,
  );
  new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT })).observe(host);
  return {
    update(series) {
      plot.setData([series.map((p) => p.at / 1000), ...lines.map((l) => series.map(l.pick))]);
    },
  };
}

export function throughputChart(host: HTMLElement): Chart {
  return chart(host, 'req/s', [
    { label: 'requests/s', color: css('--accent'), pick: (p) => p.requestsPerSecond },
  ]);
}

export function latencyChart(host: HTMLElement): Chart {
  return chart(host, 'ms', [
    { label: 'p50', color: css('--ok'), pick: (p) => p.p50Ms },
    { label: 'p95', color: css('--warn'), pick: (p) => p.p95Ms },
    { label: 'p99', color: css('--danger'), pick: (p) => p.p99Ms },
  ]);
}
