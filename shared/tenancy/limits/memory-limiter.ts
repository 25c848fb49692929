import {
  assertAdmitArgs,
  assertTokens,
  limitsOf,
  verdictOf,
  worse,
  type Refusal,
  type ScopeSnapshot,
} from './report';
import type { AdmitArgs, AdmitVerdict, Clock, Limiter, LimitScope, ScopeState } from './types';

/**
 * The limits in process memory: the same sliding-window log as the Redis scripts
 * (`redis-scripts.ts`), step for step, so one test suite holds both to the same semantics.
 * Right for one API process only: another process has its own counts.
 */

interface Entry {
  at: number;
  id: string;
}

/** A token entry; removed lazily from the time-ordered list (live while `amounts` maps to it). */
interface TokenEntry extends Entry {
  amount: number;
}

/** One scope's windows; mirrors the Redis keys `:rq`, `:tk` + `:tka` + `:tks` and `:cc`. */
interface ScopeLog {
  requests: Entry[];
  tokens: TokenEntry[];
  amounts: Map<string, TokenEntry>;
  tokenSum: number;
  leases: Map<string, number>;
}

interface LeaseRecord {
  scopes: string[];
  reserved: number;
  used: number;
  endsAt: number;
  released: boolean;
  /** When the record may be forgotten (the Redis key's expiry). */
  forgetAt: number;
}

/** Kept after the end of a lease so late settles still count (as the Redis lease key). */
const LEASE_GRACE_MS = 60_000;

export function createMemoryLimiter(opts: { windowMs: number }): Limiter {
  const W = opts.windowMs;
  const logs = new Map<string, ScopeLog>();
  const leases = new Map<string, LeaseRecord>();
  let lastSweep = Date.now();
  const key = (s: Pick<LimitScope, 'kind' | 'id'>): string => `${s.kind}:${s.id}`;
  const clock = (c?: Clock): number => c?.now ?? Date.now();

  function log(k: string): ScopeLog {
    let l = logs.get(k);
    if (!l) {
      l = { requests: [], tokens: [], amounts: new Map(), tokenSum: 0, leases: new Map() };
      logs.set(k, l);
    }
    return l;
  }

  /** Drops what left the window (at ≤ now − W) and leases that ended (end ≤ now). */
  function prune(l: ScopeLog, now: number): void {
    const cut = now - W;
    let n = 0;
    while (n < l.requests.length && l.requests[n]!.at <= cut) n++;
    if (n > 0) l.requests.splice(0, n);
    n = 0;
    while (n < l.tokens.length && (l.tokens[n]!.at <= cut || !live(l, l.tokens[n]!))) {
      const e = l.tokens[n]!;
      if (live(l, e)) {
        l.tokenSum -= e.amount;
        l.amounts.delete(e.id);
      }
      n++;
    }
    if (n > 0) l.tokens.splice(0, n);
    for (const [id, end] of l.leases) if (end <= now) l.leases.delete(id);
  }

  const live = (l: ScopeLog, e: TokenEntry): boolean => l.amounts.get(e.id) === e;

  function snapshot(l: ScopeLog): ScopeSnapshot {
    while (l.tokens.length > 0 && !live(l, l.tokens[0]!)) l.tokens.shift();
    let earliest = -1;
    for (const end of l.leases.values()) if (earliest < 0 || end < earliest) earliest = end;
    return {
      requests: l.requests.length,
      oldestRequestAt: l.requests[0]?.at ?? -1,
      tokens: l.tokenSum,
      oldestTokenAt: l.tokens[0]?.at ?? -1,
      concurrent: l.leases.size,
      earliestLeaseEnd: earliest,
    };
  }

  /** The k-th smallest (1-based) of the values, as ZRANGE k-1 k-1 on a sorted set. */
  const kth = (values: number[], k: number): number => values.sort((a, b) => a - b)[k - 1]!;

  function check(l: ScopeLog, scope: LimitScope, i: number, tokens: number, now: number) {
    const [r, t, c] = limitsOf(scope);
    let refusal: Refusal | undefined;
    if (r >= 0 && l.requests.length + 1 > r) {
      refusal = worse(
        refusal,
        r === 0
          ? { scopeIndex: i, limit: 'requests', retryMs: W, exceedsQuota: true }
          : {
              scopeIndex: i,
              limit: 'requests',
              retryMs: l.requests[l.requests.length - r]!.at + W - now,
              exceedsQuota: false,
            },
      );
    }
    if (t >= 0 && l.tokenSum + tokens > t) {
      if (tokens > t) {
        refusal = worse(refusal, {
          scopeIndex: i,
          limit: 'tokens',
          retryMs: W,
          exceedsQuota: true,
        });
      } else {
        const need = l.tokenSum + tokens - t;
        let freed = 0;
        let at = now;
        for (const e of l.tokens) {
          if (!live(l, e)) continue;
          freed += e.amount;
          if (freed >= need) {
            at = e.at;
            break;
          }
        }
        refusal = worse(refusal, {
          scopeIndex: i,
          limit: 'tokens',
          retryMs: at + W - now,
          exceedsQuota: false,
        });
      }
    }
    if (c >= 0 && l.leases.size + 1 > c) {
      refusal = worse(
        refusal,
        c === 0
          ? { scopeIndex: i, limit: 'concurrency', retryMs: W, exceedsQuota: true }
          : {
              scopeIndex: i,
              limit: 'concurrency',
              retryMs: kth([...l.leases.values()], l.leases.size - c + 1) - now,
              exceedsQuota: false,
            },
      );
    }
    return refusal;
  }

  function insert<E extends Entry>(list: E[], e: E): void {
    let i = list.length;
    while (i > 0 && list[i - 1]!.at > e.at) i--;
    list.splice(i, 0, e);
  }

  function addTokens(l: ScopeLog, id: string, amount: number, now: number): void {
    const e = { at: now, id, amount };
    insert(l.tokens, e);
    l.amounts.set(id, e);
    l.tokenSum += amount;
  }

  /** Takes up to `amount` off a token entry; removes it at 0. */
  function shrink(l: ScopeLog, id: string, amount: number | 'all'): void {
    const e = l.amounts.get(id);
    if (e === undefined) return;
    const take = amount === 'all' ? e.amount : Math.min(e.amount, amount);
    l.tokenSum -= take;
    e.amount -= take;
    if (e.amount <= 0) l.amounts.delete(id);
  }

  function releaseLease(leaseId: string, lease: LeaseRecord, now: number): void {
    for (const k of lease.scopes) {
      const l = log(k);
      prune(l, now);
      l.leases.delete(leaseId);
      shrink(l, `r:${leaseId}`, 'all');
    }
    lease.reserved = 0;
    lease.released = true;
    lease.forgetAt = now + W + LEASE_GRACE_MS;
  }

  /** Forgets ended leases and empty scopes now and then (Redis expires its keys instead). */
  function sweep(now: number): void {
    if (Date.now() - lastSweep < W) return;
    lastSweep = Date.now();
    for (const [id, lease] of leases) if (lease.forgetAt <= now) leases.delete(id);
    for (const [k, l] of logs) {
      prune(l, now);
      if (!l.requests.length && !l.tokens.length && !l.leases.size) logs.delete(k);
    }
  }

  let seq = 0;

  return {
    admit(args: AdmitArgs): Promise<AdmitVerdict> {
      assertAdmitArgs(args);
      const now = clock(args);
      sweep(now);
      const keys = args.scopes.map(key);
      const scopeLogs = keys.map(log);
      for (const l of scopeLogs) prune(l, now);
      const previous = leases.get(args.leaseId);
      if (previous && previous.forgetAt <= now) leases.delete(args.leaseId);
      else if (previous && !previous.released && previous.endsAt > now) {
        return Promise.resolve(
          verdictOf(args, scopeLogs.map(snapshot), now, W, { alreadyAdmitted: true }),
        );
      } else if (previous) releaseLease(args.leaseId, previous, now);

      let refusal: Refusal | undefined;
      scopeLogs.forEach((l, i) => {
        const r = check(l, args.scopes[i]!, i, args.tokens, now);
        if (r) refusal = worse(refusal, r);
      });
      if (refusal)
        return Promise.resolve(verdictOf(args, scopeLogs.map(snapshot), now, W, { refusal }));

      const endsAt = now + args.leaseMs;
      for (const l of scopeLogs) {
        insert(l.requests, { at: now, id: `${args.leaseId}:${seq++}` });
        l.leases.set(args.leaseId, endsAt);
        if (args.tokens > 0) addTokens(l, `r:${args.leaseId}`, args.tokens, now);
      }
      leases.set(args.leaseId, {
        scopes: keys,
        reserved: args.tokens,
        used: 0,
        endsAt,
        released: false,
        forgetAt: endsAt + W + LEASE_GRACE_MS,
      });
      return Promise.resolve(verdictOf(args, scopeLogs.map(snapshot), now, W, {}));
    },

    settle(leaseId: string, actualTokens: number, c?: Clock): Promise<boolean> {
      assertTokens(actualTokens);
      const now = clock(c);
      const lease = leases.get(leaseId);
      if (!lease || lease.forgetAt <= now) return Promise.resolve(false);
      const converted = Math.min(actualTokens, lease.reserved);
      lease.reserved -= converted;
      lease.used += actualTokens;
      for (const k of lease.scopes) {
        const l = log(k);
        prune(l, now);
        if (converted > 0) shrink(l, `r:${leaseId}`, converted);
        if (actualTokens > 0) addTokens(l, `u:${leaseId}:${seq++}`, actualTokens, now);
      }
      return Promise.resolve(true);
    },

    release(leaseId: string, c?: Clock): Promise<boolean> {
      const now = clock(c);
      const lease = leases.get(leaseId);
      if (!lease || lease.forgetAt <= now) return Promise.resolve(false);
      if (!lease.released) releaseLease(leaseId, lease, now);
      return Promise.resolve(true);
    },

    state(scope, c?: Clock): Promise<ScopeState> {
      const now = clock(c);
      const l = logs.get(key(scope));
      if (!l) return Promise.resolve({ requests: 0, tokens: 0, concurrent: 0 });
      prune(l, now);
      return Promise.resolve({
        requests: l.requests.length,
        tokens: l.tokenSum,
        concurrent: l.leases.size,
      });
    },

    close(): Promise<void> {
      logs.clear();
      leases.clear();
      return Promise.resolve();
    },
  };
}
