/**
 * docs/openapi.json checked by a validator nobody here wrote: @apidevtools/swagger-parser validates it against the
 * OpenAPI 3.1 schema and resolves every $ref (docs/architecture.md, "Validators"). That the committed file is the one
 * scripts/openapi.ts generates from the routes is tested in test/lambdas/openapi.test.ts.
 *
 * swagger-parser 13 loads @apidevtools/json-schema-ref-parser, an ES module: Node 20.19 can require() it, jest on
 * Node 20 cannot, so the validator runs in a child Node process.
 */
import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import { OPENAPI_FILE } from '../../scripts/openapi';

const VALIDATE = `
const SwaggerParser = require('@apidevtools/swagger-parser');
let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => SwaggerParser.validate(JSON.parse(input)).then(
  (api) => console.log(JSON.stringify({ ok: true, openapi: api.openapi, paths: Object.keys(api.paths || {}).length })),
  (err) => console.log(JSON.stringify({ ok: false, message: err.message })),
));`;

/** Validates `doc` with swagger-parser: `{ ok, openapi, paths }` or `{ ok: false, message }`. */
function validate(doc: unknown): Promise<{ ok: boolean; openapi?: string; paths?: number; message?: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', VALIDATE], { cwd: `${__dirname}/../..`, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin!.end(JSON.stringify(doc));
  });
}

const committed = () => JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
const firstOperation = (doc: any) => {
  const methods = Object.values(doc.paths as Record<string, Record<string, any>>)[0];
  return methods[Object.keys(methods)[0]];
};

test('docs/openapi.json is a valid OpenAPI 3.1 document (schema and every $ref)', async () => {
  const res = await validate(committed());
  expect(res).toEqual({ ok: true, openapi: '3.1.0', paths: Object.keys(committed().paths).length });
});

test('the validator rejects a broken document: a $ref to a schema that does not exist', async () => {
  const doc = committed();
  firstOperation(doc).responses['401'].content['application/json'].schema = { $ref: '#/components/schemas/Missing' };
  const res = await validate(doc);
  expect(res.ok).toBe(false);
  expect(res.message).toMatch(/Missing/);
});

test('the validator rejects a broken document: a parameter without its required `in`', async () => {
  const doc = committed();
  const op = Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((m) => Object.values(m)).find((o: any) => o.parameters?.length);
  delete op.parameters[0].in;
  const res = await validate(doc);
  expect(res.ok).toBe(false);
  expect(res.message).toMatch(/parameters\/0 must have required property 'in'/);
});
