/**
 * `npx tsx bench/reask.ts [--tickets 4] [--out file.json]`: where the fault mix's extra tokens go.
 * Every upstream scenario is sent to Keel alone, one request at a time (route: the scenario, then
 * `ok`), so each billed upstream attempt belongs to exactly one request. Per scenario it reports
 * billed tokens per valid answer against the fault-free `ok` run, the calls made (first
 * candidate, re-ask, next candidate), and whether the re-ask, when there was one, produced the
 * answer. The figures behind docs/reask-policy.md.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES } from '../test/mock-upstream/scenarios';
import { freePort } from '../test/support/free-port';
import { startTs, stop, waitFor } from '../test/support/processes';
import { upstreamEnv } from '../test/support/upstream-env';
import { TICKETS, isValidAnswer, keelSystem } from './lib/systems';
import { startBenchStack } from './stack';

const { values: flags } = parseArgs({
  options: {
    tickets: { type: 'string', default: String(TICKETS.length) },
    out: { type: 'string' },
    /** Only these scenarios (comma-separated), plus `ok` for the baseline. */
    scenarios: { type: 'string' },
    /** Print every upstream attempt: scenario, status, billed tokens, message roles. */
    dump: { type: 'boolean', default: false },
  },
  strict: true,
});
const PER_SCENARIO = Number(flags.tickets);

interface UpstreamAttempt {
  scenario: string;
  status: number;
  billed: boolean;
  inputTokens: number;
  outputTokens: number;
  request: { messages: unknown[] };
}

/** Anything after the system prompt and the task's prompt is a second chance. */
const isReask = (a: UpstreamAttempt): boolean => a.request.messages.length > 2;

function describeAttempt(a: UpstreamAttempt): string {
  const roles = a.request.messages.map((m) => (m as { role?: string }).role).join(',');
  const last = JSON.stringify(a.request.messages.at(-1)).slice(0, 400);
  return `${a.scenario} ${a.status} billed=${a.billed} in=${a.inputTokens} out=${a.outputTokens} [${roles}] ${isReask(a) ? last : ''}`;
}

interface Row {
  scenario: string;
  requests: number;
  valid: number;
  tokens: number;
  calls: number;
  reasks: number;
  /** Re-asks after which the first candidate's answer was the one returned. */
  reaskWins: number;
  /** Answers from the next candidate (`ok`). */
  nextAnswers: number;
  /** Tokens per valid answer ÷ the `ok` run's. */
  ratio?: number;
}

async function main(): Promise<void> {
  const port = await freePort();
  const upstream = startTs('test/mock-upstream/main.ts', {}, [`--port=${port}`, '--seed=1']);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('mock upstream', async () => (await fetch(`${url}/_mock/scenarios`)).ok, {
    timeoutMs: 60_000,
    process: upstream,
  });
  const stack = await startBenchStack({ env: upstreamEnv(url) });
  const keel = keelSystem(stack.base, stack.apiKey, 60_000);
  const rows: Row[] = [];
  try {
    for (let i = 0; i < 8; i++) await keel.send({ input: TICKETS[0]!, primary: 'ok' }); // warm-up
    const only = flags.scenarios ? new Set(['ok', ...flags.scenarios.split(',')]) : undefined;
    for (const scenario of SCENARIO_NAMES.filter((s) => !only || only.has(s))) {
      const row: Row = {
        scenario,
        requests: 0,
        valid: 0,
        tokens: 0,
        calls: 0,
        reasks: 0,
        reaskWins: 0,
        nextAnswers: 0,
      };
      for (let i = 0; i < PER_SCENARIO; i++) {
        await fetch(`${url}/_mock/attempts`, { method: 'DELETE' });
        const input = TICKETS[i % TICKETS.length]!;
        const outcome = await keel.send({ input, primary: scenario, fallback: 'ok' });
        // Retries and cancelled calls may still be landing: let them.
        await new Promise((r) => setTimeout(r, 300));
        const res = await fetch(`${url}/_mock/attempts`);
        const { attempts } = (await res.json()) as { attempts: UpstreamAttempt[] };
        if (flags.dump) for (const a of attempts) console.log(scenario, i, describeAttempt(a));
        row.requests++;
        if (isValidAnswer(input, outcome)) row.valid++;
        row.calls += attempts.length;
        row.tokens += attempts
          .filter((a) => a.billed)
          .reduce((n, a) => n + a.inputTokens + a.outputTokens, 0);
        const reasked = attempts.some((a) => a.scenario === scenario && isReask(a));
        if (reasked) row.reasks++;
        if (reasked && outcome.keelPath === 'primary') row.reaskWins++;
        if (scenario !== 'ok' && outcome.keelPath === 'fallback') row.nextAnswers++;
      }
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    await stack.stop();
    await stop(upstream);
  }
  const perValid = (r: Row): number => r.tokens / Math.max(1, r.valid);
  const base = perValid(rows.find((r) => r.scenario === 'ok')!);
  for (const r of rows) r.ratio = Math.round((perValid(r) / base) * 100) / 100;
  const valid = rows.reduce((n, r) => n + r.valid, 0);
  const tokens = rows.reduce((n, r) => n + r.tokens, 0);
  const requests = rows.reduce((n, r) => n + r.requests, 0);
  console.log('\nscenario · valid · tokens/valid (×ok) · calls · re-asks (won) · next answers');
  for (const r of [...rows].sort((a, b) => (b.ratio ?? 0) - (a.ratio ?? 0))) {
    console.log(
      `${r.scenario.padEnd(20)} ${r.valid}/${r.requests} · ${Math.round(perValid(r))} (${r.ratio}×) · ${r.calls} · ${r.reasks} (${r.reaskWins}) · ${r.nextAnswers}`,
    );
  }
  const ratio = Math.round((tokens / Math.max(1, valid) / base) * 100) / 100;
  console.log(
    `\nall scenarios: ${valid}/${requests} valid · ${Math.round(tokens / valid)} tokens/valid vs ${Math.round(base)} fault-free (${ratio}×)`,
  );
  if (flags.out) writeFileSync(flags.out, JSON.stringify({ base, ratio, rows }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
