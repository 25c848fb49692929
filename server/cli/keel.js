#!/usr/bin/env node
'use strict';
/* global require, __filename */
// The `keel` bin (package.json "bin"): runs the TypeScript CLI through tsx, a dependency, so it
// needs no build step. docs/cli.md says what it does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('tsx/cjs/api').require('./keel.ts', __filename);
