/**
 * The operator dashboard's script (bundled by esbuild when the server starts, inlined into
 * index.html and allowed by hash in the page's Content-Security-Policy). The operator signs in
 * with an API key (kept in this tab's sessionStorage); the page then polls
 * `GET /v1/admin/dashboard` every 2 seconds (the next poll starts when the previous answer has
 * been drawn, so a slow server is never asked twice at once) and the drift, experiment and
 * evaluation routes every 10 seconds, when this server has them.
 */
import { ApiError, createGet, type DashboardBody, type EvaluationsBody } from './api';
import { latencyChart, throughputChart, type Chart } from './charts';
import { byId, localTime } from './dom';
import { keyStore, sessionUi, showApp, showSignIn } from '../page-ui/session';
import { renderEvaluations, renderFigures, renderOptional, renderTables } from './panels';

const STORAGE_KEY = 'keel.operatorKey';
const POLL_MS = 2_000;
const SLOW_POLL_MS = 10_000;

const ui = {
  ...sessionUi(),
  live: byId('live-status', HTMLElement),
  loadError: byId('load-error', HTMLElement),
  throughput: byId('chart-throughput', HTMLElement),
  latency: byId('chart-latency', HTMLElement),
  drift: byId('panel-drift', HTMLElement),
  experiments: byId('panel-experiments', HTMLElement),
  evaluations: byId('panel-evaluations', HTMLElement),
};

const state = {
  key: null as string | null,
  /** Bumped at each sign-in and sign-out: a poll of an earlier session draws nothing. */
  session: 0,
  timer: undefined as number | undefined,
  lastSlow: 0,
  charts: null as { throughput: Chart; latency: Chart } | null,
};

const storage = keyStore(STORAGE_KEY);

const get = createGet({ key: () => state.key, signOut });

function signOut(message: string): void {
  state.session++;
  window.clearTimeout(state.timer);
  state.key = null;
  storage.write(null);
  showSignIn(ui, message);
}

function signIn(key: string): void {
  state.key = key;
  state.session++;
  state.lastSlow = 0;
  storage.write(key);
  showApp(ui);
  state.charts ??= {
    throughput: throughputChart(ui.throughput),
    latency: latencyChart(ui.latency),
  };
  void poll(state.session);
}

async function pollSlow(session: number): Promise<void> {
  const [drift, experiments, evaluations] = await Promise.all([
    get<unknown>('/v1/drift', { optional: true }),
    get<unknown>('/v1/experiments', { optional: true }),
    get<EvaluationsBody>('/v1/evaluations', { optional: true }),
  ]);
  if (session !== state.session) return;
  renderOptional(
    ui.drift,
    drift,
    'No drift monitoring data: this server has no drift detection (GET /v1/drift answers 404).',
    'No drift alerts.',
  );
  renderOptional(
    ui.experiments,
    experiments,
    'Experiments: none configured (this server has no experiments API yet).',
    'No experiments running.',
  );
  renderEvaluations(ui.evaluations, evaluations);
}

async function poll(session: number): Promise<void> {
  try {
    const body = await get<DashboardBody>('/v1/admin/dashboard');
    if (session !== state.session || !body) return;
    renderFigures(body);
    renderTables(body);
    state.charts?.throughput.update(body.series);
    state.charts?.latency.update(body.series);
    if (Date.now() - state.lastSlow >= SLOW_POLL_MS) {
      state.lastSlow = Date.now();
      await pollSlow(session);
    }
    ui.loadError.hidden = true;
    ui.live.textContent = `Live \u00b7 updated ${localTime(body.generatedAt)} \u00b7 every ${POLL_MS / 1000} s`;
    ui.live.dataset.state = 'live';
  } catch (e) {
    if (e instanceof ApiError && e.handled) return;
    if (session !== state.session) return;
    ui.loadError.textContent = e instanceof Error ? e.message : String(e);
    ui.loadError.hidden = false;
    ui.live.textContent = 'Not updating: retrying';
    ui.live.dataset.state = 'error';
  }
  if (session === state.session) state.timer = window.setTimeout(() => void poll(session), POLL_MS);
}

ui.signinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const key = ui.apiKey.value.trim();
  if (!key) {
    ui.signinMessage.textContent = 'Enter an operator API key.';
    ui.signinMessage.hidden = false;
    ui.apiKey.focus();
    return;
  }
  signIn(key);
});
ui.signOut.addEventListener('click', () => signOut(''));

const stored = storage.read();
if (stored) signIn(stored);
else signOut('');
