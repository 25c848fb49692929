import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../shared/contracts/canonical-json';
import { canonicalHash } from '../../shared/platform/canonical-hash';
import { requestFingerprint, sameRequest } from '../../server/idempotency';
import { ResultCache } from '../../server/result-cache';
import { inputKeyOf } from '../../activities/pipeline/input-key';

const ticket = { subject: 'Refund', body: 'charged twice', tags: [{ b: 1, a: 2 }] };
const reordered = { tags: [{ a: 2, b: 1 }], body: 'charged twice', subject: 'Refund' };

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: { d: 1, c: [3, { f: 1, e: 2 }] }, a: null })).toBe(
      '{"a":null,"b":{"c":[3,{"e":2,"f":1}],"d":1}}',
    );
    expect(canonicalJson(ticket)).toBe(canonicalJson(reordered));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('agrees with JSON.stringify on everything but key order', () => {
    const value = { a: 'é\n"x"', b: [1.5, true, null, undefined], c: undefined, d: new Date(0) };
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson('plain')).toBe('"plain"');
  });
});

describe('hashes of a request', () => {
  it('the idempotency fingerprint ignores key order', () => {
    const a = requestFingerprint({
      task: 't',
      input: ticket,
      options: { maxSyncMs: 0, route: ['x:y'] },
    });
    const b = requestFingerprint({
      task: 't',
      input: reordered,
      options: { route: ['x:y'], maxSyncMs: 0 },
    });
    expect(b).toBe(a);
    expect(
      requestFingerprint({ task: 't', input: { ...ticket, body: 'other' }, options: {} }),
    ).not.toBe(a);
    expect(a).toBe(canonicalHash(['t', ticket, { maxSyncMs: 0, route: ['x:y'] }]));
  });

  it('a job fingerprinted before canonical JSON still matches a retry of the same body', () => {
    const asked = { task: 't', input: ticket, options: {} };
    const legacy = createHash('sha256')
      .update(JSON.stringify([asked.task, asked.input, asked.options]))
      .digest('hex');
    expect(sameRequest(legacy, asked)).toBe(true);
    expect(sameRequest(requestFingerprint(asked), { ...asked, input: reordered })).toBe(true);
    expect(sameRequest(legacy, { ...asked, input: { subject: 'Other' } })).toBe(false);
    expect(sameRequest(undefined, asked)).toBe(false);
  });

  it('the result-cache key ignores key order', () => {
    const parts = { tenantId: 'acme', task: 't', promptVersion: 't@1' };
    expect(ResultCache.key({ ...parts, input: reordered })).toBe(
      ResultCache.key({ ...parts, input: ticket }),
    );
  });

  it('KeelInputKey keeps the bytes it had, so earlier last good answers are still found', () => {
    // The formula before canonical JSON moved to shared/ (activities/pipeline/pipeline-activities.ts).
    const before = (value: unknown): string => {
      if (typeof value === 'string')
        return JSON.stringify(value.normalize('NFC').replace(/\s+/g, ' ').trim());
      if (Array.isArray(value)) return `[${value.map(before).join(',')}]`;
      if (value && typeof value === 'object') {
        const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${before(v)}`).join(',')}}`;
      }
      return JSON.stringify(value);
    };
    const inputs = [
      ticket,
      { text: '  Cafe\u0301\n\n costs  4 €  ', maxWords: 60 },
      {
        question: 'Why?',
        documents: [
          { id: 'b', text: 'x\ty' },
          { id: 'a', text: '' },
        ],
      },
    ];
    for (const input of inputs) {
      const old = createHmac('sha256', 'secret')
        .update(`t\nt@1\n${before(input)}`)
        .digest('hex')
        .slice(0, 32);
      expect(inputKeyOf({ secret: 'secret', task: 't', promptVersion: 't@1', input })).toBe(old);
    }
    expect(inputKeyOf({ secret: 's', task: 't', promptVersion: 'v', input: { a: ' x  y' } })).toBe(
      inputKeyOf({ secret: 's', task: 't', promptVersion: 'v', input: { a: 'x y' } }),
    );
  });
});
