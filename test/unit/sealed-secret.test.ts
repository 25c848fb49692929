import { describe, expect, it } from 'vitest';
import { generatePayloadKey, parsePayloadKeys } from '../../shared/platform/payload-codec';
import { isSealed, openSecret, sealSecret } from '../../shared/platform/sealed-secret';

const keys = parsePayloadKeys(`${generatePayloadKey()}\n${generatePayloadKey()}`);

describe('secrets sealed with the payload keys', () => {
  it('seals under the primary key, differently each time, and opens with any configured key', () => {
    const a = sealSecret(keys, 'webhook-secret', 'whsec_abc');
    const b = sealSecret(keys, 'webhook-secret', 'whsec_abc');
    expect(a).not.toBe(b);
    expect(a.startsWith(`sealed:v1:${keys[0]!.id}:`)).toBe(true);
    expect(a).not.toContain('whsec_abc');
    expect(openSecret(keys, 'webhook-secret', a)).toBe('whsec_abc');
    // After a rotation the old primary still opens it.
    expect(
      openSecret([...parsePayloadKeys(generatePayloadKey()), ...keys], 'webhook-secret', a),
    ).toBe('whsec_abc');
  });

  it('passes a value stored in clear through, and refuses altered, relabelled or other-purpose ones', () => {
    expect(isSealed('whsec_plain')).toBe(false);
    expect(openSecret(undefined, 'webhook-secret', 'whsec_plain')).toBe('whsec_plain');
    const sealed = sealSecret(keys, 'webhook-secret', 'whsec_abc');
    expect(() => openSecret(keys, 'api-key', sealed)).toThrow(/does not open/);
    const altered = sealed.slice(0, -6) + (sealed.endsWith('AAAA==') ? 'BBBB==' : 'AAAA==');
    expect(() => openSecret(keys, 'webhook-secret', altered)).toThrow(/does not open/);
    const relabelled = sealed.replace(keys[0]!.id, keys[1]!.id);
    expect(() => openSecret(keys, 'webhook-secret', relabelled)).toThrow(/does not open/);
    expect(() => openSecret([keys[1]!], 'webhook-secret', sealed)).toThrow(
      new RegExp(`key "${keys[0]!.id}", which is not configured`),
    );
  });
});
