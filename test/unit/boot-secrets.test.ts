import { describe, expect, it } from 'vitest';
import { createActivities, type ActivityDeps } from '../../activities';
import { createLogger } from '../../shared/platform/logger';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('createActivities', () => {
  it('has no built-in input-key secret', () => {
    const deps = { logger } as ActivityDeps;
    expect(() => createActivities(deps)).toThrow(/inputKeySecret is required/);
    expect(() => createActivities({ logger, inputKeySecret: 'a-test-secret-0123' })).not.toThrow();
  });
});
