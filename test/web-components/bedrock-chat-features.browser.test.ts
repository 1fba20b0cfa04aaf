/// <reference lib="dom" />
/**
 * <bedrock-chat> conversation features in real Chromium against the fake protocol v1 backend: the conversation tree
 * (regenerate, edit, branch navigation), stop, continue, the model picker, attachments (presigned uploads, drag and
 * drop, paste, long text), reasoning, tool cards, citations, title, price, retry, keyboard use and axe-core.
 * Needs the built bundle: `npx vite build --config src/web-components/vite.config.mts`.
 */
import type { Page } from 'playwright-core';
import { ASSISTANT_TEXT, axeViolations, chromiumSession, DELTA_SPACING_MS, describeBrowser, FakeBackend, TOKEN } from './fake-backend';
import type { Frame } from './fake-backend';
import { settles } from '../settles';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const XSS = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';

describeBrowser('<bedrock-chat> conversation features in Chromium', () => {
  const backend = new FakeBackend();
  const chromium = chromiumSession(backend, { permissions: ['clipboard-read', 'clipboard-write'] });
  let page: Page;

  const user = () => page.locator('[part~="message"][part~="user"]');
  const assistant = () => page.locator('[part~="message"][part~="assistant"]');
  const framesOf = (action: string): Frame[] => backend.frames.filter((f) => f.action === action);

  beforeEach(() => {
    page = chromium.page;
    page.on('pageerror', (err) => { throw err; });
  });

  async function openTestPage(): Promise<void> {
    await page.goto(`${backend.origin}/test.html`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.locator('[part="input"]').and(page.locator(':enabled')).waitFor();
  }

  async function finished(): Promise<number> {
    return page.evaluate(() => (window as unknown as { events: { type: string }[] }).events.filter((e) => e.type === 'bedrock-chat-message').length);
  }

  /** Runs an action and waits for the answer it causes to finish. */
  async function answered(action: () => Promise<unknown>): Promise<void> {
    const before = await finished();
    await action();
    await page.waitForFunction((n) => (window as unknown as { events: { type: string }[] }).events
      .filter((e) => e.type === 'bedrock-chat-message').length > n, before, { timeout: 10_000 });
  }

  async function send(text: string): Promise<void> {
    await answered(async () => {
      await page.locator('[part="input"]').fill(text);
      await page.locator('[part="input"]').press('Enter');
    });
  }

  /** The part (else the tag name) of the element focused inside the shadow root. */
  async function focusedPart(): Promise<string | null> {
    return page.evaluate(() => {
      const active = document.querySelector('bedrock-chat')!.shadowRoot!.activeElement;
      return active ? active.getAttribute('part') ?? active.tagName.toLowerCase() : null;
    });
  }

  test('regenerate and edit make branches; ‹ n/m › switches between them and to the newest leaf under each', async () => {
    await openTestPage();
    await send('hello tree');
    const userId = await user().getAttribute('data-message-id');
    const firstAnswer = await assistant().getAttribute('data-message-id');
    await expect(page.locator('[part="branch-nav"]').count()).resolves.toBe(0);

    // Regenerate: a sibling answer, 2/2.
    await answered(() => page.locator('[part="regenerate"]').click());
    const regenerate = framesOf('regenerate').pop()!;
    expect(regenerate).toEqual({ action: 'regenerate', v: 1, requestId: expect.any(String), conversationId: expect.stringMatching(/^CONV/), messageId: userId });
    await expect(page.locator(ASSISTANT_TEXT).textContent()).resolves.toBe('Take 2: hello tree');
    const nav = assistant().locator('[part="branch-nav"]');
    await expect(nav.textContent()).resolves.toContain('2/2');
    await expect(nav.getAttribute('aria-label')).resolves.toBe('Version 2 of 2');
    await expect(assistant().locator('[part="branch-next"]').isDisabled()).resolves.toBe(true);
    await assistant().locator('[part="branch-prev"]').click();
    await expect(assistant().getAttribute('data-message-id')).resolves.toBe(firstAnswer);
    await expect(page.locator(ASSISTANT_TEXT).textContent()).resolves.toContain('You said: hello tree');
    await expect(assistant().locator('[part="branch-nav"]').textContent()).resolves.toContain('1/2');
    await assistant().locator('[part="branch-next"]').click();
    await expect(page.locator(ASSISTANT_TEXT).textContent()).resolves.toBe('Take 2: hello tree');

    // Edit: a sibling user message (editOf, new content, no parentMessageId) with its own answer.
    await user().locator('[part="edit"]').click();
    const editor = page.locator('[part="edit-input"]');
    await expect(editor.inputValue()).resolves.toBe('hello tree');
    await answered(async () => {
      await editor.fill('hello edited');
      await page.locator('[part="edit-save"]').click();
    });
    const edit = backend.sendMessages().pop()!;
    expect(edit).toEqual({
      action: 'sendMessage',
      v: 1,
      requestId: expect.any(String),
      conversationId: regenerate.conversationId,
      editOf: userId,
      content: [{ text: 'hello edited' }],
    });
    await expect(user().locator('[part="message-text"]').textContent()).resolves.toBe('hello edited');
    await expect(user().locator('[part="branch-nav"]').textContent()).resolves.toContain('2/2');
    await expect(assistant().locator('[part="branch-nav"]').count()).resolves.toBe(0);

    // Back to the first user message: its newest answer (Take 2) is shown, with 2/2.
    await user().locator('[part="branch-prev"]').click();
    await expect(user().getAttribute('data-message-id')).resolves.toBe(userId);
    await expect(page.locator(ASSISTANT_TEXT).textContent()).resolves.toBe('Take 2: hello tree');
    await expect(assistant().locator('[part="branch-nav"]').textContent()).resolves.toContain('2/2');
    // A new message continues the branch shown.
    const shown = await assistant().getAttribute('data-message-id');
    await send('follow-up');
    expect(backend.sendMessages().pop()!.parentMessageId).toBe(shown);
    await expect(page.locator('[part~="message"]').count()).resolves.toBe(4);

    // Cancel leaves the message as it was; Escape too.
    await user().first().locator('[part="edit"]').click();
    await page.locator('[part="edit-cancel"]').click();
    await expect(page.locator('[part="edit-input"]').count()).resolves.toBe(0);
    await expect(user().first().locator('[part="message-text"]').textContent()).resolves.toBe('hello tree');
  });

  test('Stop sends stop with the streaming requestId; the partial answer stays, marked Stopped', async () => {
    backend.scripts.set('long story', { deltas: Array.from({ length: 40 }, (_, i) => `word${i} `) });
    await openTestPage();
    await page.locator('[part="input"]').fill('long story');
    await page.locator('[part="input"]').press('Enter');
    await page.locator(ASSISTANT_TEXT).filter({ hasText: 'word2' }).waitFor();
    await expect(page.locator('[part="send"]').count()).resolves.toBe(0);
    await answered(() => page.locator('[part="stop"]').click());
    const request = backend.sendMessages().pop()!;
    expect(framesOf('stop').pop()).toEqual({ action: 'stop', v: 1, requestId: request.requestId });
    const text = await page.locator(ASSISTANT_TEXT).textContent();
    expect(text).toMatch(/^word0 word1 word2/);
    expect(text).not.toContain('word39');
    await expect(assistant().locator('[part="message-note"]').textContent()).resolves.toBe('Stopped');
    await expect(page.locator('[part="stop"]').count()).resolves.toBe(0);
    await expect(page.locator('[part="send"]').isEnabled()).resolves.toBe(true);
    await page.waitForTimeout(DELTA_SPACING_MS * 3);
    await expect(page.locator(ASSISTANT_TEXT).textContent()).resolves.toBe(text);
  });

  test('Continue is offered only on an answer cut at max_tokens, and extends it in place', async () => {
    backend.scripts.set('please cut', { deltas: ['This is', ' cut'], stopReason: 'max_tokens' });
    await openTestPage();
    await send('not cut');
    await expect(page.locator('[part="continue"]').count()).resolves.toBe(0);
    await send('please cut');
    await expect(page.locator('[part="continue"]').count()).resolves.toBe(1);
    await expect(assistant().last().locator('[part="message-note"]').textContent()).resolves.toContain('length limit');
    const answerId = await assistant().last().getAttribute('data-message-id');
    await answered(() => page.locator('[part="continue"]').click());
    expect(framesOf('continue').pop()).toEqual({ action: 'continue', v: 1, requestId: expect.any(String), conversationId: expect.stringMatching(/^CONV/), messageId: answerId });
    await expect(page.locator(ASSISTANT_TEXT).last().textContent()).resolves.toBe('This is cut and more.');
    await expect(assistant().count()).resolves.toBe(2);
    await expect(assistant().last().getAttribute('data-message-id')).resolves.toBe(answerId);
    await expect(page.locator('[part="continue"]').count()).resolves.toBe(0);
    await expect(assistant().last().locator('[part="message-note"]').count()).resolves.toBe(0);
  });

  test('an answer from a shortened history says the oldest messages were left out; others say nothing of it', async () => {
    backend.scripts.set('long history', { deltas: ['From the latest turns.'], contextTrimmed: 6 });
    await openTestPage();
    await send('short history');
    await expect(assistant().last().locator('[part="message-note"]').count()).resolves.toBe(0);
    await send('long history');
    await expect(assistant().last().locator('[part="message-note"]').textContent()).resolves.toContain('The oldest messages were left out');
  });

  test('an answer cut by the worker\'s time budget keeps its text and says so; Continue is not offered', async () => {
    backend.scripts.set('too slow', { deltas: ['A partial', ' answer'], stopReason: 'timeBudget' });
    await openTestPage();
    await send('too slow');
    await expect(page.locator(ASSISTANT_TEXT).last().textContent()).resolves.toBe('A partial answer');
    await expect(assistant().last().locator('[part="message-note"]').textContent()).resolves.toBe('The answer was cut off because it took too long.');
    await expect(page.locator('[part="continue"]').count()).resolves.toBe(0);
  });

  test('the model picker lists GET /models and sends the chosen model; the model attribute preselects', async () => {
    await openTestPage();
    const picker = page.locator('[part="model-picker"]');
    await picker.waitFor();
    await expect(picker.getAttribute('aria-label')).resolves.toBe('Model');
    await expect(picker.locator('option').allTextContents()).resolves.toEqual(['fake.model-v1', 'fake.model-v2']);
    await expect(picker.inputValue()).resolves.toBe('fake.model-v1');
    await send('default model');
    expect(backend.sendMessages().pop()!.model).toBeUndefined();
    await picker.selectOption('fake.model-v2');
    await send('second model');
    expect(backend.sendMessages().pop()!.model).toBe('fake.model-v2');
    await answered(() => page.locator('[part="regenerate"]').last().click());
    expect(framesOf('regenerate').pop()!.model).toBe('fake.model-v2');

    await openTestPage();
    await page.evaluate(() => document.querySelector('bedrock-chat')!.setAttribute('model', 'fake.model-v2'));
    await picker.waitFor();
    await expect(picker.inputValue()).resolves.toBe('fake.model-v2');
  });

  test('attachments: POST /uploads then PUT with exactly the signed headers; chips; image and document blocks', async () => {
    backend.uploadDelayMs = 1500; // long enough to see the uploading state, even on a busy machine
    await openTestPage();
    const before = backend.uploads.length;
    await page.locator('input[type="file"]').setInputFiles([
      { name: 'pixel.png', mimeType: 'image/png', buffer: PNG },
      { name: 'Q3 report_v1.final (draft) é.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 fake') },
    ]);
    const chips = page.locator('[part="composer"] [part="attachment"]');
    // The checks and uploads are a chunk of their own, imported on the first file: the chips come when it has.
    await page.waitForFunction(() => document.querySelector('bedrock-chat')!.shadowRoot!.querySelectorAll('[part="composer"] [part="attachment"]').length > 0);
    await expect(chips.count()).resolves.toBe(2);
    await expect(chips.first().textContent()).resolves.toContain('uploading');
    await expect(page.locator('[part="send"]').isDisabled()).resolves.toBe(true);
    await page.waitForFunction(() => document.querySelector('bedrock-chat')!.shadowRoot!.querySelectorAll('[data-state="ready"]').length === 2);
    expect(backend.uploads.slice(before)).toEqual([
      { name: 'pixel.png', contentType: 'image/png', size: PNG.length, authorization: `Bearer ${TOKEN}` },
      { name: 'Q3 report_v1.final (draft) é.pdf', contentType: 'application/pdf', size: 13, authorization: `Bearer ${TOKEN}` },
    ]);
    // The two uploads run concurrently: find each PUT by its type, not by its place in the list.
    const puts = backend.puts.slice(-2);
    const put = (type: string) => puts.filter((p) => p.contentType === type);
    expect(put('image/png').map((p) => p.status)).toEqual([200]);
    expect(put('application/pdf').map((p) => p.status)).toEqual([200]);
    expect(put('image/png')[0].body.equals(PNG)).toBe(true);
    expect(String(put('application/pdf')[0].body)).toBe('%PDF-1.4 fake');
    await expect(chips.allTextContents()).resolves.toEqual([expect.stringContaining('pixel.png'), expect.stringContaining('Q3 report_v1.final (draft) é.pdf')]);

    await send('what is in these?');
    const frame = backend.sendMessages().pop()!;
    expect(frame.content).toEqual([
      { text: 'what is in these?' },
      { image: { format: 'png', key: expect.stringMatching(/^uploads\/user-1\/[0-9A-Z]{26}\/pixel\.png$/) } },
      { document: { format: 'pdf', name: 'Q3 report v1 final (draft) e', key: expect.stringMatching(/^uploads\/user-1\//) } },
    ]);
    // The composer is empty again; the user message shows the files.
    await expect(chips.count()).resolves.toBe(0);
    const sentChips = user().locator('[part="attachment"]');
    await expect(sentChips.allTextContents()).resolves.toEqual(['pixel.pngPNG', 'Q3 report v1 final (draft) ePDF']);

    // Removing a chip: nothing of it is sent.
    await page.locator('input[type="file"]').setInputFiles([{ name: 'notes.md', mimeType: 'text/markdown', buffer: Buffer.from('# hi') }]);
    await page.locator('[part="attachment-remove"]').click();
    await expect(chips.count()).resolves.toBe(0);
    backend.uploadDelayMs = 0;
  });

  test('attachments: wrong types and files over 4.5 MB are refused with a clear message and never uploaded', async () => {
    await openTestPage();
    const before = backend.uploads.length;
    await page.locator('input[type="file"]').setInputFiles([
      { name: 'tool.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') },
      { name: 'huge.txt', mimeType: 'text/plain', buffer: Buffer.alloc(4.6 * 1024 * 1024, 97) },
    ]);
    const alert = page.locator('[part="error"]');
    await alert.filter({ hasText: 'tool.exe' }).waitFor();
    const message = await alert.textContent();
    expect(message).toContain('tool.exe cannot be attached: only images (PNG, JPEG, GIF, WebP) and documents');
    expect(message).toContain('huge.txt is too large: a document can be at most 4.5 MB.');
    await expect(page.locator('[part="composer"] [part="attachment"]').count()).resolves.toBe(0);
    expect(backend.uploads.length).toBe(before);
    const error = await page.evaluate(() => (window as unknown as { events: { type: string; detail: { code: string } }[] }).events.find((e) => e.type === 'bedrock-chat-error'));
    expect(error?.detail.code).toBe('ATTACHMENT');
  });

  test('attachments: drop and paste of files; pasting text over the frame budget makes a txt document', async () => {
    await openTestPage();
    const before = backend.uploads.length;
    const long = 'long line of pasted text\n'.repeat(1400); // 35,000 bytes: over the 32 KB frame
    await page.evaluate(({ long: text }) => {
      const root = document.querySelector('bedrock-chat')!.shadowRoot!;
      const dropped = new DataTransfer();
      dropped.items.add(new File(['a,b\n1,2\n'], 'table.csv', { type: 'text/csv' }));
      const composer = root.querySelector('[part="composer"]')!;
      composer.dispatchEvent(new DragEvent('dragover', { dataTransfer: dropped, bubbles: true, cancelable: true }));
      composer.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
      const input = root.querySelector('[part="input"]')!;
      const image = new DataTransfer();
      image.items.add(new File([new Uint8Array([1, 2, 3])], 'image.gif', { type: 'image/gif' }));
      input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: image, bubbles: true, cancelable: true }));
      const pasted = new DataTransfer();
      pasted.setData('text/plain', text);
      input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }));
    }, { long });
    await page.waitForFunction(() => document.querySelector('bedrock-chat')!.shadowRoot!.querySelectorAll('[data-state="ready"]').length === 3);
    // The three uploads start at once, so they reach the backend in any order (the attachments' own order, which the
    // user sees, is the message's: checked below).
    const key = (u: unknown[]) => String(u[0]);
    expect(backend.uploads.slice(before).map((u) => [u.name, u.contentType, u.size]).sort((a, b) => key(a).localeCompare(key(b)))).toEqual([
      ['image.gif', 'image/gif', 3], ['Pasted text.txt', 'text/plain', long.length], ['table.csv', 'text/csv', 8],
    ]);
    // The three uploads run concurrently: find the text file's PUT by its type, not by its place in the list.
    const textPuts = backend.puts.filter((p) => p.contentType === 'text/plain');
    expect(textPuts.map((p) => String(p.body))).toContain(long);
    await expect(page.locator('[part="input"]').inputValue()).resolves.toBe('');
    await send('summarize');
    expect(backend.sendMessages().pop()!.content).toEqual([
      { text: 'summarize' },
      { document: { format: 'csv', name: 'table', key: expect.any(String) } },
      { image: { format: 'gif', key: expect.any(String) } },
      { document: { format: 'txt', name: 'Pasted text', key: expect.any(String) } },
    ]);
  });

  /** Bedrock's limits, checked before anything is uploaded: the message shown, and no POST /uploads. */
  async function refused(files: { name: string; mimeType: string; buffer: Buffer }[], expected: string): Promise<void> {
    const before = backend.uploads.length;
    await page.locator('input[type="file"]').setInputFiles(files);
    await page.locator('[part="error"]').filter({ hasText: expected }).waitFor();
    // The others are uploaded; the refused one (named first in the message) never is.
    const name = expected.split(' ')[0] === 'notes' ? expected.slice(0, expected.indexOf('.txt') + 4) : expected.split(' ')[0];
    const wanted = files.map((f) => f.name).filter((n) => n !== name).sort();
    // The uploads run concurrently: wait for them, then compare as sets.
    await settles(() => backend.uploads.slice(before).map((u) => u.name).sort(), wanted);
  }

  /** The header of a PNG of the given size (what Bedrock and the widget read the dimensions from). */
  function pngHeader(width: number, height: number): Buffer {
    const b = Buffer.from(PNG);
    b.writeUInt32BE(width, 16);
    b.writeUInt32BE(height, 20);
    return b;
  }

  test('attachments: Bedrock\'s limits per kind and per message, before any upload (images 3.75 MB, 8,000 px; documents 4.5 MB; 20 and 5)', async () => {
    await openTestPage();
    await refused([{ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.concat([PNG, Buffer.alloc(3_800_000)]) }],
      'photo.png is too large: an image can be at most 3.75 MB.');
    await refused([{ name: 'wide.png', mimeType: 'image/png', buffer: pngHeader(9000, 10) }], 'wide.png is 9000 × 10 px: an image can be at most 8000 px wide and high.');
    await refused([{ name: 'big.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(4_500_001, 97) }], 'big.pdf is too large: a document can be at most 4.5 MB.');
    await expect(page.locator('[part="composer"] [part="attachment"]').count()).resolves.toBe(0);

    // Five documents are attached; the sixth is refused. Twenty images are attached; the twenty-first is refused.
    const docs = Array.from({ length: 6 }, (_, i) => ({ name: `notes ${i}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`n${i}`) }));
    await refused(docs, 'notes 5.txt was not attached: a message can carry at most 5 documents.');
    const images = Array.from({ length: 21 }, (_, i) => ({ name: `p${i}.png`, mimeType: 'image/png', buffer: PNG }));
    await refused(images, 'p20.png was not attached: a message can carry at most 20 images.');
    await page.waitForFunction(() => document.querySelector('bedrock-chat')!.shadowRoot!.querySelectorAll('[data-state="ready"]').length === 25);
    await send('all of them');
    const content = backend.sendMessages().pop()!.content as { image?: unknown; document?: unknown }[];
    expect([content.filter((b) => b.image).length, content.filter((b) => b.document).length]).toEqual([20, 5]);
  });

  test('attachments: the dimensions of JPEG and WebP images that Chromium encodes are read from their headers', async () => {
    await openTestPage();
    const before = backend.uploads.length;
    await page.evaluate(async () => {
      const input = document.querySelector('bedrock-chat')!.shadowRoot!.querySelector('[part="input"]')!;
      for (const [type, name] of [['image/jpeg', 'tall.jpg'], ['image/webp', 'wide.webp'], ['image/png', 'ok.png']]) {
        const canvas = document.createElement('canvas');
        [canvas.width, canvas.height] = name === 'tall.jpg' ? [16, 8100] : name === 'wide.webp' ? [8200, 16] : [8000, 16];
        const blob = await new Promise<Blob>((done) => canvas.toBlob((b) => done(b!), type));
        if (blob.type !== type) throw new Error(`Chromium encoded ${blob.type}, not ${type}`);
        const data = new DataTransfer();
        data.items.add(new File([blob], name, { type }));
        input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      }
    });
    await page.locator('[part="error"]').filter({ hasText: 'wide.webp is 8200 × 16 px' }).waitFor();
    await expect(page.locator('[part="error"]').textContent()).resolves.not.toContain('ok.png');
    await page.waitForFunction(() => document.querySelector('bedrock-chat')!.shadowRoot!.querySelectorAll('[data-state="ready"]').length === 1);
    expect(backend.uploads.slice(before).map((u) => u.name)).toEqual(['ok.png']);
    // The JPEG was refused first (each message replaces the last): its upload never started either.
  });

  test('attachments: counted with the unanswered question before (Bedrock merges them): 3 + 3 documents are refused before sending', async () => {
    await openTestPage();
    const docs = (prefix: string) => Array.from({ length: 3 }, (_, i) => ({ name: `${prefix} ${i}.txt`, mimeType: 'text/plain', buffer: Buffer.from(prefix) }));
    const ready = (n: number) => page.waitForFunction((count) => document.querySelector('bedrock-chat')!.shadowRoot!.querySelectorAll('[data-state="ready"]').length === count, n);
    await page.locator('input[type="file"]').setInputFiles(docs('first'));
    await ready(3);
    await page.locator('[part="input"]').fill('please fail');
    await page.locator('[part="input"]').press('Enter');
    await page.locator('[part="error"]').filter({ hasText: /./ }).waitFor();
    await page.locator('[part="input"]').and(page.locator(':enabled')).waitFor();
    const sent = backend.sendMessages().length;
    await page.locator('input[type="file"]').setInputFiles(docs('second'));
    await ready(3);
    await page.locator('[part="input"]').fill('and these');
    await page.locator('[part="input"]').press('Enter');
    await page.locator('[part="error"]').filter({
      hasText: 'With the unanswered message before it, this message would carry 6 documents; Amazon Bedrock accepts at most 5 per message. Remove some documents.',
    }).waitFor();
    expect(backend.sendMessages().length).toBe(sent);
    // Nothing is lost: the text and the files stay in the composer.
    await expect(page.locator('[part="input"]').inputValue()).resolves.toBe('and these');
    await expect(page.locator('[part="composer"] [part="attachment"]').count()).resolves.toBe(3);
  });

  describe('a frame is measured in UTF-8 bytes (API Gateway closes the socket past 32 KB)', () => {
    async function typeAndSend(text: string): Promise<void> {
      await page.locator('[part="input"]').fill(text);
      await page.locator('[part="input"]').press('Enter');
    }

    test('11,000 characters of Japanese (33 KB of UTF-8) go as a txt document through the bucket, never as one frame', async () => {
      await openTestPage();
      const before = { uploads: backend.uploads.length, frames: backend.sendMessages().length, closes: backend.closes.length };
      const japanese = '日本語のテキスト。'.repeat(1222).slice(0, 11_000);
      await typeAndSend(japanese);
      await page.locator('[part="error"]').filter({ hasText: 'too long for one message, so it was attached as a text file' }).waitFor();
      await page.waitForFunction(() => document.querySelector('bedrock-chat')!.shadowRoot!.querySelectorAll('[data-state="ready"]').length === 1);
      expect(backend.uploads.slice(before.uploads).map((u) => [u.name, u.contentType, u.size])).toEqual([['Pasted text.txt', 'text/plain', Buffer.byteLength(japanese)]]);
      expect(String(backend.puts.filter((p) => p.contentType === 'text/plain').pop()!.body)).toBe(japanese);
      await expect(page.locator('[part="input"]').inputValue()).resolves.toBe('');
      expect(backend.sendMessages().length).toBe(before.frames);
      await send('要約してください');
      expect(backend.sendMessages().pop()!.content).toEqual([{ text: '要約してください' }, { document: { format: 'txt', name: 'Pasted text', key: expect.any(String) } }]);
      expect(backend.closes.slice(before.closes)).not.toContain(1009);
    });

    test('8,000 emoji (16,000 UTF-16 units, 32,000 bytes) pasted become a document; 10,000 CJK characters (30 KB) still go inline', async () => {
      await openTestPage();
      const before = { uploads: backend.uploads.length, closes: backend.closes.length };
      const emoji = '😀'.repeat(8000);
      await page.evaluate((text) => {
        const input = document.querySelector('bedrock-chat')!.shadowRoot!.querySelector('[part="input"]')!;
        const data = new DataTransfer();
        data.setData('text/plain', text);
        input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      }, emoji);
      await page.waitForFunction(() => document.querySelector('bedrock-chat')!.shadowRoot!.querySelectorAll('[data-state="ready"]').length === 1);
      expect(backend.uploads.slice(before.uploads).map((u) => [u.name, u.size])).toEqual([['Pasted text.txt', 32_000]]);
      await page.locator('[part="attachment-remove"]').click();

      const cjk = '漢'.repeat(10_000);
      await answered(() => typeAndSend(cjk));
      const frame = backend.sendMessages().pop()!;
      expect(frame.content).toEqual([{ text: cjk }]);
      expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThan(32_000);
      expect(backend.closes.slice(before.closes)).toEqual([]);
    });
  });

  test('reasoning streams into a closed <details>; the Reason toggle sends reasoning: true', async () => {
    backend.scripts.set('think first', { reasoning: ['Let me ', 'think <b>hard</b>.'], deltas: ['The answer.'] });
    await openTestPage();
    const toggle = page.locator('[part="reasoning-toggle"]');
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');
    await toggle.click();
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('true');
    await send('think first');
    expect(backend.sendMessages().pop()!.reasoning).toBe(true);
    const details = page.locator('[part="reasoning"]');
    await expect(details.evaluate((d) => (d as HTMLDetailsElement).open)).resolves.toBe(false);
    await expect(details.locator('summary').textContent()).resolves.toBe('Reasoning');
    await expect(details.locator('.reasoning-text').textContent()).resolves.toBe('Let me think <b>hard</b>.');
    await expect(details.locator('b').count()).resolves.toBe(0);
    await details.locator('summary').focus();
    await page.keyboard.press('Enter');
    await expect(details.evaluate((d) => (d as HTMLDetailsElement).open)).resolves.toBe(true);
    await toggle.press('Space');
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');

    // Stored reasoning is shown after a reload.
    await openTestPage();
    await page.locator('[part="reasoning"]').waitFor();
    await expect(page.locator('[part="reasoning"] .reasoning-text').textContent()).resolves.toBe('Let me think <b>hard</b>.');
  });

  test('tool cards show JSON as text (an XSS payload stays text); citations are allow-listed links; title and price', async () => {
    backend.scripts.set('use tools', {
      tools: [{ toolUseId: 't1', name: 'search', input: { q: XSS, n: 2 }, result: { status: 'success', content: `found ${XSS}` } }],
      deltas: ['Here is what I found.'],
      citations: [
        { sourceId: 's1', title: 'Good source', url: 'https://example.com/doc?a=1' },
        { sourceId: 's2', title: 'Bad source', url: 'javascript:alert(1)' },
        { sourceId: 's3', title: 'No link' },
      ],
      usage: { inputTokens: 1000, outputTokens: 234 },
      price: 0.0042,
    });
    await openTestPage();
    await send('use tools');
    const card = page.locator('[part="tool-use"]');
    await expect(card.locator('.card-title').textContent()).resolves.toBe('Tool: search');
    await expect(card.locator('pre').textContent()).resolves.toBe(JSON.stringify({ q: XSS, n: 2 }, null, 2));
    await expect(page.locator('[part="tool-result"] pre').textContent()).resolves.toBe(`found ${XSS}`);
    const active = await page.evaluate(() => {
      const root = document.querySelector('bedrock-chat')!.shadowRoot!;
      return root.querySelectorAll('img, script, [onerror]').length + ((window as unknown as { pwned?: number }).pwned ?? 0);
    });
    expect(active).toBe(0);

    const citations = page.locator('[part="citation"]');
    await expect(citations.allTextContents()).resolves.toEqual(['Good source', 'Bad source', 'No link']);
    const links = page.locator('[part="citation"] a');
    await expect(links.count()).resolves.toBe(1);
    await expect(links.getAttribute('href')).resolves.toBe('https://example.com/doc?a=1');
    await expect(links.getAttribute('rel')).resolves.toContain('noopener');

    await expect(page.locator('[part="usage"]').textContent()).resolves.toBe('1,234 tokens · $0.0042');
    await page.locator('[part="title"]').filter({ hasText: 'About: use tools' }).waitFor();

    // No price and no usage: no line.
    backend.scripts.set('free', { deltas: ['Free.'], price: 0, usage: null });
    await send('free');
    await expect(assistant().last().locator('[part="usage"]').count()).resolves.toBe(0);
  });

  test('an error frame leaves a failed answer with Retry, which regenerates it', async () => {
    await openTestPage();
    await page.locator('[part="input"]').fill('please fail once');
    await page.locator('[part="input"]').press('Enter');
    await page.locator('[part="error"]').filter({ hasText: 'busy' }).waitFor();
    const userId = await user().getAttribute('data-message-id');
    await expect(assistant().getAttribute('part')).resolves.toContain('failed');
    await expect(assistant().locator('[part="message-note"]').textContent()).resolves.toBe('No answer.');
    await answered(() => page.locator('[part="retry"]').click());
    expect(framesOf('regenerate').pop()).toMatchObject({ action: 'regenerate', messageId: userId });
    await expect(assistant().count()).resolves.toBe(1);
    await expect(page.locator(ASSISTANT_TEXT).textContent()).resolves.toBe('Take 1: please fail once');
    await expect(page.locator('[part="branch-nav"]').count()).resolves.toBe(0);
    await expect(page.locator('[part="error"]').textContent()).resolves.toBe('');
  });

  test('a footnote naming a retrieved source (citation frame) links to that source in the answer', async () => {
    backend.scripts.set('cite', {
      deltas: ['Deploy with CDK[^s1].\n\n', '[^s1]: Deployment guide, p. 3\n'],
      citations: [{ sourceId: 's1', title: 'CDK guide', url: 'https://example.com/cdk' }],
    });
    await openTestPage();
    await send('cite');
    const cite = page.locator('.md-footnotes a.md-cite');
    await cite.waitFor();
    await expect(cite.textContent()).resolves.toBe('CDK guide');
    await expect(cite.getAttribute('href')).resolves.toBe('https://example.com/cdk');
    await expect(page.locator('.md-footnotes li').first().textContent()).resolves.toContain('Deployment guide, p. 3');
  });

  test('every new control is reachable with Tab and works from the keyboard; axe finds nothing in a rich conversation', async () => {
    backend.scripts.set('rich', {
      reasoning: ['Thinking.'],
      tools: [{ toolUseId: 't1', name: 'lookup', input: { id: 1 }, result: { status: 'success', content: 'ok' } }],
      deltas: ['# Rich\n\nAn **answer** with a [link](https://example.com).'],
      citations: [{ sourceId: 's1', title: 'Source', url: 'https://example.com/s' }],
      stopReason: 'max_tokens',
    });
    await openTestPage();
    await page.locator('input[type="file"]').setInputFiles([{ name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('a') }]);
    await page.locator('[data-state="ready"]').waitFor();
    await send('rich');
    await answered(() => page.locator('[part="regenerate"]').click());
    await page.locator('[part="model-picker"]').waitFor();
    await page.locator('input[type="file"]').setInputFiles([{ name: 'b.txt', mimeType: 'text/plain', buffer: Buffer.from('b') }]);
    await page.locator('[data-state="ready"]').waitFor();

    // Tab through the whole page once.
    await page.locator('h1').click();
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const part = await focusedPart();
      if (part) seen.add(part);
    }
    for (const part of ['model-picker', 'new-chat', 'branch-prev', 'edit', 'copy', 'regenerate', 'continue', 'attachment-remove', 'attach', 'input', 'reasoning-toggle', 'send']) {
      expect([part, seen.has(part)]).toEqual([part, true]);
    }
    expect(seen.has('summary')).toBe(true); // the reasoning disclosure

    // Branch navigation by keyboard keeps the focus on the navigation.
    await assistant().locator('[part="branch-prev"]').focus();
    await page.keyboard.press('Enter');
    await expect(assistant().locator('[part="branch-nav"]').textContent()).resolves.toContain('1/2');
    await expect(focusedPart()).resolves.toBe('branch-next');
    await page.keyboard.press('Enter');
    await expect(assistant().locator('[part="branch-nav"]').textContent()).resolves.toContain('2/2');

    // Copy by keyboard: the raw markdown.
    await assistant().locator('[part="copy"]').focus();
    await page.keyboard.press('Enter');
    // The label changes once the (asynchronous) clipboard write has finished: wait for it rather than read at once.
    await assistant().locator('[part="copy"]').filter({ hasText: 'Copied' }).waitFor({ timeout: 5000 });
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe('Take 2: rich');

    // Edit by keyboard: Enter opens, Escape cancels and gives the focus back.
    await user().locator('[part="edit"]').focus();
    await page.keyboard.press('Enter');
    await expect(focusedPart()).resolves.toBe('edit-input');
    await page.keyboard.press('Escape');
    await expect(focusedPart()).resolves.toBe('edit');

    expect(await axeViolations(page)).toEqual([]);

    // Stop by keyboard while streaming.
    backend.scripts.set('slow', { deltas: Array.from({ length: 30 }, (_, i) => `w${i} `) });
    await page.locator('[part="input"]').fill('slow');
    await page.locator('[part="input"]').press('Enter');
    await page.locator(ASSISTANT_TEXT).filter({ hasText: 'w1' }).waitFor();
    await page.locator('[part="input"]').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect(focusedPart()).resolves.toBe('stop');
    await answered(() => page.keyboard.press('Enter'));
    await expect(assistant().last().locator('[part="message-note"]').textContent()).resolves.toBe('Stopped');
    expect(await axeViolations(page)).toEqual([]);
  });
});
