/** The dashboard's tables and headline figures, drawn from one `GET /v1/admin/dashboard` answer. */
import type { DashboardBody, EvaluationsBody } from './api';
import { count, el, localTime, ms, pct, show, table, usd, type Child } from './dom';

type Body = DashboardBody;
const $ = (id: string): HTMLElement => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`The page has no #${id}.`);
  return node;
};

export function renderFigures(d: Body): void {
  $('stat-requests').textContent = count(d.requests.total);
  $('stat-throughput').textContent =
    d.requests.perSecond === null ? '–' : `${d.requests.perSecond.toFixed(2)} req/s`;
  const l = d.latencyAll;
  $('stat-latency').textContent =
    l.requests === 0 ? '–' : `${ms(l.p50Ms)} / ${ms(l.p95Ms)} / ${ms(l.p99Ms)}`;
  $('stat-cost').textContent = d.cost
    ? `${usd(d.cost.costPerSuccessUsd)} (${count(d.cost.validAnswers)} valid)`
    : 'ledger unavailable';
  $('stat-inflight').textContent = count(d.inFlight);
  $('scope').textContent =
    `Requests, latency, validation and model calls: ${processes(d)}, each since it started. Cost and breakers: every replica (usage ledger, breaker entities). Rates and percentiles: the last ${Math.round(d.windowSeconds)} s.`;
}

/** "3 processes (2 API, 1 worker)", or what this one process is. */
function processes(d: Body): string {
  const n = d.processes.length;
  if (n <= 1)
    return d.process.embeddedWorker
      ? 'this API process and the worker inside it (no other process shares its metrics)'
      : 'this API process only (no worker process shares its metrics: KEEL_METRICS_SHARE_MS)';
  const apis = d.processes.filter((p) => p.role !== 'worker').length;
  const workers = d.processes.filter((p) => p.role !== 'api').length;
  return `${n} processes summed (${apis} API, ${workers} with a worker)`;
}

/** Validation and model calls are counted where a worker runs: none shares its metrics here. */
const noWorker = (d: Body): boolean => !d.processes.some((p) => p.role !== 'api');

export function renderTables(d: Body): void {
  show(
    $('table-latency'),
    table(
      d.latency,
      [
        { title: 'Task', cell: (r) => r.task },
        { title: '200s', cell: (r) => count(r.requests), num: true },
        { title: 'p50', cell: (r) => ms(r.p50Ms), num: true },
        { title: 'p95', cell: (r) => ms(r.p95Ms), num: true },
        { title: 'p99', cell: (r) => ms(r.p99Ms), num: true },
      ],
      'No sync answers yet.',
      (r) => ({ 'data-task': r.task }),
    ),
  );
  show(
    $('table-validation'),
    table(
      d.validationFailures,
      [
        { title: 'Task', cell: (r) => r.task },
        { title: 'Layer', cell: (r) => r.layer },
        { title: 'Since start', cell: (r) => count(r.total), num: true },
        { title: 'Last minute', cell: (r) => count(r.inWindow), num: true },
      ],
      noWorker(d)
        ? 'None counted: no worker process shares its metrics (KEEL_METRICS_SHARE_MS).'
        : 'No validation failures.',
      (r) => ({ 'data-task': r.task, 'data-layer': r.layer }),
    ),
  );
  show(
    $('table-breakers'),
    table(
      d.breakers,
      [
        { title: 'Provider:model', cell: (r) => `${r.provider}:${r.model}` },
        {
          title: 'State',
          cell: (r) => r.state.replace('_', '-'),
          className: (r) => `state-${r.state}`,
        },
        { title: 'Calls (window)', cell: (r) => count(r.requests), num: true },
        { title: 'Errors', cell: (r) => pct(r.errorRate), num: true },
        { title: 'p95', cell: (r) => ms(r.p95Ms), num: true },
        { title: 'Opened', cell: (r) => (r.openedAt ? localTime(r.openedAt) : '') },
      ],
      'No provider has reported a call yet.',
      (r) => ({ 'data-model': `${r.provider}:${r.model}`, 'data-state': r.state }),
    ),
  );
  show(
    $('table-calls'),
    table(
      d.modelCalls,
      [
        { title: 'Provider:model', cell: (r) => `${r.provider}:${r.model}` },
        { title: 'Calls', cell: (r) => count(r.calls), num: true },
        { title: 'Failed', cell: (r) => count(r.failures), num: true },
        { title: 'Last minute', cell: (r) => count(r.inWindow), num: true },
      ],
      noWorker(d)
        ? 'None counted: no worker process shares its metrics (KEEL_METRICS_SHARE_MS).'
        : 'No model calls yet.',
      (r) => ({ 'data-model': `${r.provider}:${r.model}` }),
    ),
  );
}

/** A value of an unknown answer as short text (nested objects as compact JSON). */
function brief(v: unknown): Child {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 79)}…` : s;
  }
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/**
 * A panel fed by a route another part of Keel serves (drift, experiments): `absent` when this
 * server has no such route (404), else the answer's `items` (or `alerts`) as a table of their
 * fields, so the panel works whatever columns that route grows.
 */
export function renderOptional(
  host: HTMLElement,
  answer: unknown,
  absent: string,
  none: string,
): void {
  if (answer === null) {
    show(host, el('p', { className: 'empty', 'data-state': 'absent' }, [absent]));
    return;
  }
  const a = answer as { items?: unknown; alerts?: unknown };
  const list = Array.isArray(a.alerts) ? a.alerts : Array.isArray(a.items) ? a.items : [];
  const rows = list.filter(
    (r): r is Record<string, unknown> => typeof r === 'object' && r !== null,
  );
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].slice(0, 7);
  show(
    host,
    table(
      rows.slice(0, 50),
      keys.map((k) => ({ title: k, cell: (r: Record<string, unknown>) => brief(r[k]) })),
      none,
    ),
  );
}

/** A rate with its 95 % interval: `12 % (4–27 %)`, or `–` without trials. */
function rateWithInterval(r: EvaluationsBody['groups'][number]['hallucination']): string {
  if (r.rate === null) return '–';
  return r.low === null || r.high === null
    ? pct(r.rate)
    : `${pct(r.rate)} (${pct(r.low)}–${pct(r.high)})`;
}

/**
 * Sampled evaluation of live traffic (`GET /v1/evaluations`, docs/evaluation.md): per task ×
 * model × prompt version over the last 30 days, the hallucination and unsafe-output rates with
 * their intervals. `null` (a server without the route): says so.
 */
export function renderEvaluations(host: HTMLElement, answer: EvaluationsBody | null): void {
  if (answer === null) {
    show(host, el('p', { className: 'empty', 'data-state': 'absent' }, ['No evaluations here.']));
    return;
  }
  show(
    host,
    table(
      answer.groups.slice(0, 50),
      [
        { title: 'Task', cell: (g) => g.task },
        { title: 'Model', cell: (g) => g.model },
        { title: 'Prompt', cell: (g) => g.promptVersion },
        { title: 'Evaluated', cell: (g) => count(g.evaluated), num: true },
        { title: 'Hallucination', cell: (g) => rateWithInterval(g.hallucination), num: true },
        { title: 'Unsafe', cell: (g) => rateWithInterval(g.unsafe), num: true },
        { title: 'Cost', cell: (g) => usd(g.costUsd), num: true },
      ],
      'No sampled evaluations in the last 30 days (a plan or tenant turns them on).',
      (g) => ({ 'data-task': g.task, 'data-model': g.model }),
    ),
  );
}
