import type { AuditPageBody, AuditVerificationBody } from '../../shared/contracts/audit';
import { ExitCode, oneLine, type KeelApi } from './api';
import type { Terminal } from './batch-commands';

const query = (params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined),
  ).toString();
  return q ? `?${q}` : '';
};

/**
 * `keel audit verify [--tenant t]`: walks the audit chain(s) through the API; exit 0 when every
 * record is intact, 1 with one line per break (an edited, missing or unlinked record).
 */
export async function verifyAudit(
  api: KeelApi,
  term: Terminal,
  args: { tenant?: string; json: boolean },
): Promise<ExitCode> {
  const report = await api.json<AuditVerificationBody>(
    `/v1/audit/verify${query({ tenant: args.tenant })}`,
  );
  if (args.json) term.out.write(`${JSON.stringify(report)}\n`);
  else {
    for (const p of report.problems)
      term.out.write(`BROKEN ${p.tenant} #${p.seq}: ${oneLine(p.problem)}\n`);
    term.out.write(
      `${report.ok ? 'ok' : 'TAMPERED'}: ${report.records} records in ${report.tenants} chain${report.tenants === 1 ? '' : 's'}, ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}\n`,
    );
  }
  return report.ok ? ExitCode.ok : ExitCode.failed;
}

/** `keel audit list`: one line per record, newest first (`--json`: the API's JSON page). */
export async function listAudit(
  api: KeelApi,
  term: Terminal,
  args: { tenant?: string; limit?: string; action?: string; job?: string; json: boolean },
): Promise<ExitCode> {
  const page = await api.json<AuditPageBody>(
    `/v1/audit${query({ tenant: args.tenant, limit: args.limit, action: args.action, jobId: args.job })}`,
  );
  if (args.json) {
    term.out.write(`${JSON.stringify(page)}\n`);
    return ExitCode.ok;
  }
  for (const r of page.items) {
    term.out.write(
      `${oneLine(`#${r.seq} ${r.at} ${r.action} ${r.actor}${r.jobId ? ` job=${r.jobId}` : ''} ${JSON.stringify(r.detail)}`)}\n`,
    );
  }
  if (page.next) term.out.write(`(more: --before ${page.next})\n`);
  return ExitCode.ok;
}
