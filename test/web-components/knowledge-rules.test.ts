// The widget checks a document before it uploads it with shared/knowledge-rules.ts, which imports nothing; the
// server checks it again with core/knowledge-documents.ts. The two must agree: a file the widget lets through and the
// server refuses costs an upload, one the widget refuses and the server would take is a feature lost.
import fc from 'fast-check';
import { documentProblem, KNOWLEDGE_TYPES, MAX_KNOWLEDGE_BYTES } from '../../src/lambdas/core/knowledge-documents';
import { KNOWLEDGE_TYPES as WEB_TYPES, knowledgeProblem, knowledgeType, MAX_KNOWLEDGE_BYTES as WEB_MAX } from '../../src/web-components/shared/knowledge-rules';

test('the same types and the same size limit', () => {
  expect(WEB_TYPES).toEqual(KNOWLEDGE_TYPES);
  expect(WEB_MAX).toBe(MAX_KNOWLEDGE_BYTES);
});

const agree = (name: string, size: number, type?: string) => {
  const contentType = type ?? knowledgeType(name) ?? 'application/octet-stream';
  const widget = knowledgeProblem({ name, size, type: contentType }) === undefined;
  const server = documentProblem(name, contentType, size) === undefined;
  return { widget, server };
};

test('the widget accepts exactly the names, types and sizes the server accepts (fast-check)', () => {
  const ext = fc.constantFrom('.txt', '.md', '.html', '.htm', '.pdf', '.docx', '.TXT', '.exe', '', '.');
  const stem = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('.', '..', ' a', 'a ', 'a/b', 'a\\b', 'tab\there', '報告書'.repeat(100), 'é'.repeat(300), '𝔸'.repeat(200)),
  );
  const size = fc.oneof(fc.constantFrom(0, 1, MAX_KNOWLEDGE_BYTES, MAX_KNOWLEDGE_BYTES + 1), fc.integer({ min: 1, max: MAX_KNOWLEDGE_BYTES }));
  fc.assert(fc.property(stem, ext, size, (s, e, n) => {
    const { widget, server } = agree(`${s}${e}`, n);
    expect(widget).toBe(server);
  }), { numRuns: 3000 });
});

test('named cases: both refuse them, or both accept them', () => {
  const refused = ['', '.', '..', ' notes.txt', 'notes.txt ', 'a/b.txt', 'a\\b.txt', 'bell\u0007.txt', 'notes.exe', 'x'.repeat(252) + '.txt',
    '報告書'.repeat(80) + '.pdf'];
  for (const name of refused) expect({ name, ...agree(name, 10) }).toEqual({ name, widget: false, server: false });
  const accepted = ['notes.txt', 'Q3 report.pdf', '議事録.docx', 'x'.repeat(251) + '.txt', 'read me.md'];
  for (const name of accepted) expect({ name, ...agree(name, 10) }).toEqual({ name, widget: true, server: true });
  // the declared type must be the extension's
  expect(agree('notes.txt', 10, 'application/pdf')).toEqual({ widget: false, server: false });
});
