/**
 * Writes docs/openapi.json from the REST route table (src/lambdas/core/rest.ts). Run after changing a route:
 *   npx tsx scripts/openapi.ts
 * test/lambdas/openapi.test.ts fails while the committed file differs from the generated one.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { apiDocument } from '../src/lambdas/core/rest';

export const OPENAPI_FILE = join(__dirname, '..', 'docs', 'openapi.json');

export function renderOpenApi(): string {
  return JSON.stringify(apiDocument(), null, 2) + '\n';
}

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
