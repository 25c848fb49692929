import type { ProblemBody } from '../../shared/contracts/http';

/** The CLI's exit codes (docs/cli.md). */
export const ExitCode = {
  ok: 0,
  /** The work failed: a job failed or was cancelled, a batch ended with failed items, a 5xx. */
  failed: 1,
  /** The caller's mistake: bad arguments, an unreadable or malformed file, any 4xx. */
  usage: 2,
  /** Interrupted (Ctrl-C) while watching; the work goes on. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI reports as one line on stderr, then exits with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The HTTP status, when the API refused. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Fields listed in an error line; the rest are counted. */
const LISTED_FIELDS = 5;

/** fetch's options; `duplex: 'half'` lets a request body stream (a JSONL upload). */
type Init = RequestInit & { duplex?: 'half' };

export interface ApiSettings {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The API key sent as `Authorization: Bearer`; none sends no header. */
  key?: string;
}

/**
 * Keel's HTTP API as the CLI calls it: every refusal becomes a `CliError` whose message is the
 * problem+json answer on one line (status, title, detail, the offending fields); a server that
 * cannot be reached is one too.
 */
export class KeelApi {
  private readonly base: string;

  constructor(private readonly settings: ApiSettings) {
    let parsed: URL;
    try {
      parsed = new URL(settings.url);
    } catch {
      throw new CliError(`--url ${settings.url} is not a URL.`, ExitCode.usage);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new CliError(`--url ${settings.url} must be http(s).`, ExitCode.usage);
    this.base = settings.url.replace(/\/+$/, '');
  }

  /** The response of `path` (starting with `/`), or a `CliError` for anything but 2xx. */
  async request(path: string, init: Init = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.settings.key) headers.set('authorization', `Bearer ${this.settings.key}`);
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { ...init, headers });
    } catch (err) {
      throw new CliError(`cannot reach ${this.base}: ${reason(err)}`, ExitCode.failed);
    }
    if (!res.ok) throw await this.refusal(res);
    return res;
  }

  async json<T>(path: string, init: Init = {}): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  private async refusal(res: Response): Promise<CliError> {
    const text = await res.text().catch(() => '');
    let problem: Partial<ProblemBody> = {};
    try {
      problem = JSON.parse(text) as Partial<ProblemBody>;
    } catch {
      // Not problem+json (a proxy's page, say): the status line says enough.
    }
    let line = problemLine(res.status, res.statusText, problem);
    if (res.status === 401 && !this.settings.key)
      line += ' No API key was sent: set KEEL_API_KEY or pass --key.';
    return new CliError(line, res.status < 500 ? ExitCode.usage : ExitCode.failed, res.status);
  }
}

/** `401 Unauthorized: Send … (field: message; …)`, on one line. */
export function problemLine(
  status: number,
  statusText: string,
  problem: Partial<ProblemBody>,
): string {
  const title = typeof problem.title === 'string' ? problem.title : statusText || 'HTTP error';
  let line = `${status} ${title}`;
  if (typeof problem.detail === 'string' && problem.detail !== '') line += `: ${problem.detail}`;
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  if (errors.length > 0) {
    const listed = errors.slice(0, LISTED_FIELDS).map((e) => `${e.field}: ${e.message}`);
    if (errors.length > LISTED_FIELDS) listed.push(`${errors.length - LISTED_FIELDS} more`);
    line += ` (${listed.join('; ')})`;
  }
  return oneLine(line);
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Why a fetch failed, in a few words (`ECONNREFUSED 127.0.0.1:3000`). */
export function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.message) return oneLine(cause.message); // `connect ECONNREFUSED 127.0.0.1:3000`
  if (cause?.code) return cause.code;
  return err instanceof Error ? oneLine(err.message) : String(err);
}
