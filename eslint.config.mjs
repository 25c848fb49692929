// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';
import path from 'node:path';
import madge from 'madge';

/** Node built-ins and SDK clients: never reachable from workflow code (it runs in a sandbox and must replay). */
const workflowBanned = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'openai',
  '@anthropic-ai/sdk',
  'pino',
  '@nestjs/*',
];

/**
 * The shared modules the workflow bundle holds: what workflows/index.ts reaches through value
 * imports (type-only imports are erased before bundling). Computed, so the workflow-safety rules
 * below follow the workflows' imports; test/workflow/bundle.test.ts checks it against the bundle.
 */
const workflowSharedModules = Object.keys(
  (
    await madge(path.join(import.meta.dirname, 'workflows/index.ts'), {
      baseDir: import.meta.dirname,
      fileExtensions: ['ts'],
      detectiveOptions: { ts: { skipTypeImports: true } },
    })
  ).obj(),
).filter((file) => file.startsWith('shared/'));

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.keel/**',
      'coverage/**',
      'bench/results/**',
      'clients/typescript/dist/**',
      'clients/typescript/src/openapi.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Workflow code and exactly the shared modules it imports: deterministic, sandbox-safe.
    files: ['workflows/**/*.ts', ...workflowSharedModules],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: workflowBanned
            .filter((m) => !m.includes('*'))
            .map((name) => ({
              name,
              message:
                'Not allowed in workflow code (workflows/ and the shared modules it imports).',
            })),
          patterns: [
            { group: ['@nestjs/*'], message: 'Workflow-safe code cannot import NestJS.' },
            {
              group: ['**/shared/platform/**', '**/platform/*'],
              message: 'shared/platform is Node-only.',
            },
            {
              group: ['**/activities', '**/activities/**', '**/worker/**', '**/server/**'],
              allowTypeImports: true,
              message: 'Workflows may import activities as types only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The TypeScript client runs in edge runtimes too: web-platform globals only.
    files: ['clients/typescript/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({
            name,
            message: 'The client runs outside Node too (edge runtimes): use web APIs.',
          })),
          patterns: [{ group: ['node:*'], message: 'The client runs outside Node too.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tests read JSON bodies loosely on purpose: the assertions are the type checks.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Activities are plain functions from factories; tests pass them around unbound.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
