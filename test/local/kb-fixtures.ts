// Documents for the knowledge base tests, generated here rather than committed as binaries.
import * as zlib from 'node:zlib';
import JSZip from 'jszip';

/** A PDF with one text line per page (Helvetica, WinAnsi), with a correct cross-reference table. */
export function pdfWithPages(pages: string[]): Buffer {
  const objects: string[] = [];
  const pageIds: number[] = [];
  // 1: catalog, 2: pages, 3: font; then per page: the page object and its content stream
  const esc = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  let next = 4;
  const pageObjects: Array<[number, string]> = [];
  for (const text of pages) {
    const pageId = next++;
    const contentId = next++;
    pageIds.push(pageId);
    const lines = text.split('\n');
    const ops = lines.map((line, i) => `BT /F1 12 Tf 72 ${720 - i * 16} Td (${esc(line)}) Tj ET`).join('\n');
    pageObjects.push([pageId, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`]);
    pageObjects.push([contentId, `<< /Length ${Buffer.byteLength(ops, 'latin1')} >>\nstream\n${ops}\nendstream`]);
  }
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  for (const [id, body] of pageObjects) objects[id] = body;
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(out, 'latin1');
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A DOCX (Office Open XML) with one paragraph per entry. */
export async function docxWithParagraphs(paragraphs: string[]): Promise<Buffer> {
  const zip = new JSZip();
  const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  zip.file('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    + '<Default Extension="xml" ContentType="application/xml"/>'
    + '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    + '</Types>');
  zip.file('_rels/.rels', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    + '</Relationships>');
  zip.file('word/document.xml', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    + '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    + paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlEsc(p)}</w:t></w:r></w:p>`).join('')
    + '</w:body></w:document>');
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/**
 * A DOCX whose word/document.xml inflates to `mb` megabytes (a zip bomb, a few hundred KB on the wire). The archive is
 * written by hand, deflating the filler a megabyte at a time, so the test's own heap never holds the inflated text.
 */
export function docxBomb(mb: number): Buffer {
  const head = Buffer.from('<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>');
  const tail = Buffer.from('</w:t></w:r></w:p></w:body></w:document>');
  const filler = Buffer.alloc(1024 * 1024, 'a');
  const deflate = zlib.deflateRawSync;
  const parts: Buffer[] = [];
  let crc = zlib.crc32(head);
  const all = [head, ...Array.from({ length: mb }, () => filler), tail];
  for (let i = 1; i < all.length; i++) crc = zlib.crc32(all[i], crc);
  // deflate part by part: each part is compressed on its own as a non-final block sequence
  for (let i = 0; i < all.length; i++) {
    const last = i === all.length - 1;
    const block = deflate(all[i], { level: 9, finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH });
    parts.push(block);
  }
  const data = Buffer.concat(parts);
  const size = head.length + mb * filler.length + tail.length;
  const entries: Array<{ name: string; data: Buffer; crc: number; size: number }> = [
    { name: '[Content_Types].xml', ...stored('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>') },
    {
      name: '_rels/.rels',
      ...stored('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
      + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'),
    },
    { name: 'word/document.xml', data, crc, size },
  ];
  return zipArchive(entries);
}

function stored(text: string): { data: Buffer; crc: number; size: number } {
  const raw = Buffer.from(text);
  return { data: zlib.deflateRawSync(raw), crc: zlib.crc32(raw), size: raw.length };
}

/** A zip archive of deflated entries (local headers, data, central directory, end record). */
function zipArchive(entries: Array<{ name: string; data: Buffer; crc: number; size: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0, 6); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(0, 10); local.writeUInt32LE(e.crc, 14); local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22); local.writeUInt16LE(name.length, 26); local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10); central.writeUInt32LE(0, 12); central.writeUInt32LE(e.crc, 16);
    central.writeUInt32LE(e.data.length, 20); central.writeUInt32LE(e.size, 24); central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/**
 * A one-page PDF whose FlateDecode content stream inflates to `mb` megabytes of text operators (a PDF bomb of a few
 * hundred KB whose text is far longer than any document).
 */
export function pdfBomb(mb: number): Buffer {
  const inflated = Buffer.alloc(mb * 1024 * 1024, '(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) Tj\n');
  inflated.write('BT /F1 12 Tf 72 720 Td\n');
  const stream = zlib.deflateSync(inflated, { level: 9 });
  const head = '%PDF-1.4\n';
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  const offsets: number[] = [];
  let pos = parts[0].length;
  objs.forEach((o, i) => {
    offsets.push(pos);
    const b = Buffer.from(`${i + 1} 0 obj\n${o}\nendobj\n`, 'latin1');
    parts.push(b);
    pos += b.length;
  });
  offsets.push(pos);
  const s1 = Buffer.from(`5 0 obj\n<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`, 'latin1');
  const s2 = Buffer.from('\nendstream\nendobj\n', 'latin1');
  parts.push(s1, stream, s2);
  pos += s1.length + stream.length + s2.length;
  let xref = 'xref\n0 6\n0000000000 65535 f \n';
  for (const o of offsets) xref += `${String(o).padStart(10, '0')} 00000 n \n`;
  xref += `trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n${pos}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}
