/**
 * `npm run openapi`: writes the committed contract files (openapi.json, docs/http-contract.md)
 * from the problem table and the zod schemas. Run it after changing either; the unit test
 * test/unit/openapi.test.ts fails until the committed files match.
 */
import { writeFileSync } from 'node:fs';
import { CONTRACT_FILES, renderHttpContract, renderOpenApi } from './contract-files';

async function main(): Promise<void> {
  writeFileSync(CONTRACT_FILES.openapi, await renderOpenApi());
  writeFileSync(CONTRACT_FILES.httpContract, await renderHttpContract());
  console.log(`wrote ${CONTRACT_FILES.openapi} and ${CONTRACT_FILES.httpContract}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
