import type { AdmitVerdict, LimitKind, LimitReportItem } from './types';

/** Quota units per draft-ietf-httpapi-ratelimit-headers (`qu`); requests are the default unit. */
const UNITS: Record<LimitKind, string | undefined> = {
  requests: undefined,
  tokens: 'tokens',
  concurrency: 'concurrent-requests',
};

/**
 * The RateLimit header fields of draft-ietf-httpapi-ratelimit-headers for a verdict (or any
 * report): one policy per limit set on each scope, named `"<scope>-<limit>"`, e.g.
 *
 *   RateLimit-Policy: "tenant-requests";q=600;w=60, "key-tokens";q=100000;qu="tokens";w=60
 *   RateLimit: "tenant-requests";r=12;t=30, "key-tokens";r=4000;t=12
 *
 * plus `Retry-After` on a refusal (the refusing policy's `t` is the same moment). `t` is left out
 * for a concurrency limit with slots left (it is not a window). No report, no headers.
 */
export function rateLimitHeaders(
  verdict: Pick<AdmitVerdict, 'report'> & { ok?: boolean; retryAfterS?: number },
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (verdict.report.length > 0) {
    headers['RateLimit-Policy'] = verdict.report.map(policyItem).join(', ');
    headers['RateLimit'] = verdict.report.map(stateItem).join(', ');
  }
  if (verdict.ok === false && verdict.retryAfterS !== undefined)
    headers['Retry-After'] = String(verdict.retryAfterS);
  return headers;
}

const policyName = (item: LimitReportItem): string => `"${item.scope}-${item.limit}"`;

function policyItem(item: LimitReportItem): string {
  const unit = UNITS[item.limit];
  return [
    policyName(item),
    `q=${item.quota}`,
    ...(unit ? [`qu="${unit}"`] : []),
    ...(item.windowS !== undefined ? [`w=${item.windowS}`] : []),
  ].join(';');
}

function stateItem(item: LimitReportItem): string {
  const withReset = item.limit !== 'concurrency' || item.remaining === 0;
  return [policyName(item), `r=${item.remaining}`, ...(withReset ? [`t=${item.resetS}`] : [])].join(
    ';',
  );
}
