import { describe, expect, it } from 'vitest';
import { isInProcess, providerTypeOf } from '../../shared/platform/model-registry';
import { DEFAULT_FILE_CONFIG, parseFileConfig } from '../../shared/platform/config-file';

const PRICE = { input: 0, output: 0 };

describe('the built-in provider is decided by type, and its name is reserved', () => {
  it('refuses an external provider named "local", naming the key', () => {
    expect(() =>
      parseFileConfig(
        {
          providers: [
            { name: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' },
          ],
          models: [{ provider: 'local', name: 'ok', price: PRICE }],
        },
        'test.json',
      ),
    ).toThrow(/providers\[0\]\.name: "local" is the built-in in-process provider/);
  });

  it('refuses a config entry of type "local" under another name', () => {
    expect(() =>
      parseFileConfig({ providers: [{ name: 'mine', type: 'local' }] }, 'test.json'),
    ).toThrow(/providers\[0\]\.type: type "local" is only the built-in provider/);
  });

  it('only the built-in is in-process; every configured provider is external', () => {
    const config = parseFileConfig(
      {
        providers: [
          { name: 'onprem', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' },
          { name: 'openai', type: 'openai' },
        ],
        models: [{ provider: 'onprem', name: 'ok', price: PRICE }],
      },
      'test.json',
    );
    expect(isInProcess(config, 'local')).toBe(true);
    expect(providerTypeOf(config, 'onprem')).toBe('openai-compatible');
    expect(isInProcess(config, 'onprem')).toBe(false);
    expect(isInProcess(config, 'openai')).toBe(false);
    // An unknown name is never treated as in-process.
    expect(isInProcess(config, 'nowhere')).toBe(false);
    expect(isInProcess(parseFileConfig(DEFAULT_FILE_CONFIG, 'default'), 'local')).toBe(true);
    // Even a config object that never went through the schema cannot make an endpoint in-process.
    const unchecked = {
      ...config,
      providers: [{ name: 'local', type: 'openai-compatible' as const }],
    };
    expect(isInProcess(unchecked, 'local')).toBe(false);
  });
});
