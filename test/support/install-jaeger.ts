import { ensureJaeger } from './jaeger';

/** `npm run jaeger:install`: builds the Jaeger the traces test runs (test/support/jaeger.ts). */
const binary = ensureJaeger((line) => console.log(`[jaeger] ${line}`));
console.log(`[jaeger] ${binary}`);
