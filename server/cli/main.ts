import { Command, CommanderError, Option } from 'commander';
import { CliError, ExitCode, KeelApi, oneLine } from './api';
import {
  batchResults,
  batchStatus,
  cancelBatch,
  submitBatch,
  watchBatch,
  type Terminal,
} from './batch-commands';
import { listAudit, verifyAudit } from './audit-commands';
import { getJob, listTasks, watchJob } from './job-commands';

/** Where the API listens unless `--url` or `KEEL_URL` say otherwise (`npm start`'s default). */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

interface GlobalOptions {
  url: string;
  key?: string;
}

/**
 * The `keel` command line (docs/cli.md): a client of the HTTP API. Every command resolves to an
 * exit code; every failure is one line on stderr (`keel: …`), never a stack trace.
 */
export function buildProgram(
  term: Terminal,
  done: (code: ExitCode) => void,
  version: string,
): Command {
  const program = new Command('keel')
    .description('Keel from the command line: tasks, batches with live progress, job events.')
    .version(version)
    .addOption(
      new Option('--url <url>', 'the Keel API base URL').env('KEEL_URL').default(DEFAULT_URL),
    )
    .addOption(new Option('--key <key>', 'the API key (Authorization: Bearer)').env('KEEL_API_KEY'))
    .exitOverride()
    .configureOutput({
      writeOut: (s) => term.out.write(s),
      writeErr: (s) => term.err.write(s),
      outputError: (s, write) => write(`keel: ${s.replace(/^error: /, '')}`),
    })
    .showHelpAfterError('(keel --help for usage)');

  const api = (cmd: Command): KeelApi => {
    const o = cmd.optsWithGlobals<GlobalOptions>();
    return new KeelApi({ url: o.url, ...(o.key ? { key: o.key } : {}) });
  };
  const run =
    <A extends unknown[]>(fn: (cmd: Command, ...args: A) => Promise<ExitCode>) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args.at(-1) as Command;
      done(await fn(cmd, ...(args.slice(0, -2) as A)));
    };

  program
    .command('tasks')
    .description('list the tasks: name and one-line description')
    .action(run((cmd) => listTasks(api(cmd), term)));

  const batch = program.command('batch').description('run one task over many items');
  batch
    .command('submit')
    .description('upload a JSONL file (one input per line) and follow the batch to its end')
    .argument('<items.jsonl>', 'the items, one JSON input per line')
    .requiredOption('-t, --task <task>', 'the task every item runs (see keel tasks)')
    .option(
      '--option <key=value>',
      'a batch option: route=local:keel-local-1,openai:gpt-4.1-mini | review=always | allowDegraded=true (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--idempotency-key <key>', 'a retry with the same key and file gets the same batch')
    .option('--no-wait', 'print the batch id and exit without following it')
    .action(
      run((cmd, file: string) => {
        const o = cmd.opts<{
          task: string;
          option: string[];
          idempotencyKey?: string;
          wait: boolean;
        }>();
        return submitBatch(api(cmd), term, {
          file,
          task: o.task,
          options: o.option,
          ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
          wait: o.wait,
        });
      }),
    );
  batch
    .command('watch')
    .description('follow a batch to its end with the progress display')
    .argument('<id>', 'the batch id')
    .action(run((cmd, id: string) => watchBatch(api(cmd), term, id)));
  batch
    .command('status')
    .description('counts by status, cost so far, rate and time left')
    .argument('<id>', 'the batch id')
    .option('--json', 'print the API’s JSON')
    .action(
      run((cmd, id: string) =>
        batchStatus(api(cmd), term, { id, json: cmd.opts<{ json?: boolean }>().json === true }),
      ),
    );
  batch
    .command('results')
    .description('every item in order as JSONL on stdout (redirect it: > out.jsonl)')
    .argument('<id>', 'the batch id')
    .action(run((cmd, id: string) => batchResults(api(cmd), term, { id })));
  batch
    .command('cancel')
    .description('cancel a running batch: running items are cancelled, the rest never start')
    .argument('<id>', 'the batch id')
    .action(run((cmd, id: string) => cancelBatch(api(cmd), term, { id })));

  const jobs = program.command('jobs').description('read and follow jobs');
  jobs
    .command('watch')
    .description('print each event of a job until it ends (exit 0 completed, 1 failed/cancelled)')
    .argument('<id>', 'the job id')
    .option('--json', 'print each event as a JSON line')
    .action(
      run((cmd, id: string) =>
        watchJob(api(cmd), term, { id, json: cmd.opts<{ json?: boolean }>().json === true }),
      ),
    );
  jobs
    .command('get')
    .description('the job as JSON: status, output, meta, steps')
    .argument('<id>', 'the job id')
    .action(run((cmd, id: string) => getJob(api(cmd), term, { id })));

  const audit = program
    .command('audit')
    .description('the audit trail: list records, verify the hash chains (admin key)');
  audit
    .command('verify')
    .description('walk the hash chain(s): exit 0 if intact, 1 with each edited or missing record')
    .option('--tenant <id>', 'operator: one tenant’s chain (default: all of them)')
    .option('--json', 'print the API’s JSON')
    .action(
      run((cmd) => {
        const o = cmd.opts<{ tenant?: string; json?: boolean }>();
        return verifyAudit(api(cmd), term, {
          ...(o.tenant ? { tenant: o.tenant } : {}),
          json: o.json === true,
        });
      }),
    );
  audit
    .command('list')
    .description('records, newest first')
    .option('--tenant <id>', 'operator: another tenant’s chain')
    .option('--limit <n>', 'records on the page (1–500)')
    .option('--action <action>', 'only this action, e.g. key.created')
    .option('--job <id>', 'only this job’s records')
    .option('--json', 'print the API’s JSON')
    .action(
      run((cmd) => {
        const o = cmd.opts<{
          tenant?: string;
          limit?: string;
          action?: string;
          job?: string;
          json?: boolean;
        }>();
        return listAudit(api(cmd), term, { ...o, json: o.json === true });
      }),
    );

  return program;
}

/** Runs the CLI on `argv` (as `process.argv`) and resolves with the exit code. */
export async function runCli(argv: string[], term: Terminal, version: string): Promise<ExitCode> {
  let code: ExitCode = ExitCode.ok;
  const program = buildProgram(term, (c) => (code = c), version);
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are exit 0; anything else commander refused is usage (already printed).
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof CliError) {
      term.err.write(`keel: ${err.message}\n`);
      return err.exitCode;
    }
    term.err.write(`keel: unexpected error: ${oneLine(String((err as Error)?.message ?? err))}\n`);
    return ExitCode.failed;
  }
}
