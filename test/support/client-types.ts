import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

/**
 * `npm run client:types`: the TypeScript client's types (clients/typescript/src/openapi.d.ts)
 * from the committed OpenAPI document, as the `openapi-typescript` CLI would write them.
 * test/unit/client-types.test.ts fails when the committed file is stale: run `npm run openapi`,
 * then this.
 */
const ROOT = path.resolve(__dirname, '../..');
export const OPENAPI_PATH = path.join(ROOT, 'openapi.json');
export const CLIENT_TYPES_PATH = path.join(ROOT, 'clients/typescript/src/openapi.d.ts');

/** The types for the OpenAPI document's text. */
export async function clientTypes(openapiText: string): Promise<string> {
  const ast = await openapiTS(openapiText, { silent: true });
  return `${COMMENT_HEADER}${astToString(ast)}`;
}

async function main(): Promise<void> {
  writeFileSync(CLIENT_TYPES_PATH, await clientTypes(readFileSync(OPENAPI_PATH, 'utf8')));
  console.log(`wrote ${path.relative(ROOT, CLIENT_TYPES_PATH)}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
