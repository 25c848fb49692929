import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TASKS } from '../../shared/tasks';

/**
 * The Python client's dataclasses (clients/python/keel_client/models.py and tasks.py) are generated
 * from the committed openapi.json by clients/python/generate.py; they must match it.
 */
const ROOT = path.resolve(__dirname, '../..');
const GENERATE = path.join(ROOT, 'clients/python/generate.py');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'keel-py-models-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('python client models', () => {
  it('are fresh: generate.py --check passes against openapi.json', () => {
    const run = spawnSync('python3', [GENERATE, '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('are stale once a task output changes in the spec: --check exits 1 naming the file', () => {
    const spec = JSON.parse(readFileSync(path.join(ROOT, 'openapi.json'), 'utf8'));
    const op = spec.paths['/v1/tasks/classify-ticket'].post;
    const output = op.responses['200'].content['application/json'].schema.properties.output;
    output.properties.priority = { type: 'string' };
    const changed = path.join(tmp, 'openapi.json');
    writeFileSync(changed, JSON.stringify(spec));
    const run = spawnSync('python3', [GENERATE, '--check', '--spec', changed], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('clients/python/keel_client/models.py is stale');
    expect(run.stderr).not.toContain('tasks.py');
  });

  it('give every task the server serves (shared/tasks TASKS) its classes and typed method', () => {
    const tasks = execFileSync(
      'python3',
      ['-c', 'import keel_client.models as m; print(" ".join(m.TASK_MODELS))'],
      {
        cwd: path.join(ROOT, 'clients/python'),
        encoding: 'utf8',
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      },
    ).trim();
    const served = Object.keys(TASKS);
    expect(tasks.split(' ').sort()).toEqual([...served].sort());
    const methods = readFileSync(path.join(ROOT, 'clients/python/keel_client/tasks.py'), 'utf8');
    for (const task of served) expect(methods).toContain(`def ${task.replace(/-/g, '_')}(`);
  });
});
