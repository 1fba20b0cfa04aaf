import * as fc from 'fast-check';
import { MAX_FRAME_BYTES, MAX_INLINE_TEXT_BYTES, parseClientFrame, tokenFromSubprotocols } from '../../src/lambdas/core/protocol';

const ULID = '01JAAAAAAAAAAAAAAAAAAAAAAA';

describe('parseClientFrame', () => {
  test('accepts a valid sendMessage', () => {
    const r = parseClientFrame(JSON.stringify({ action: 'sendMessage', v: 1, requestId: 'r-1', conversationId: ULID, content: [{ text: 'hi' }] }));
    expect(r).toEqual({ ok: true, frame: expect.objectContaining({ action: 'sendMessage', requestId: 'r-1' }) });
  });

  test.each([
    ['', 'The message is empty.'],
    ['{', 'The message is not valid JSON.'],
    ['[]', 'Unknown action null; expected one of "sendMessage", "regenerate", "continue", "stop", "resume", "ping".'],
    ['{"action":"dance"}', 'Unknown action "dance"; expected one of "sendMessage", "regenerate", "continue", "stop", "resume", "ping".'],
    ['{"action":"sendMessage","v":1,"requestId":"r","content":[]}', 'Content must have at least 1 item(s).'],
    ['{"action":"sendMessage","v":1,"requestId":"r","content":[{"text":""}]}', 'Content[0].text must not be empty.'],
    ['{"action":"sendMessage","v":1,"requestId":"r","content":[{"text":5}]}', 'Content[0].text must be a string.'],
    ['{"action":"sendMessage","v":2,"requestId":"r","content":[{"text":"x"}]}', 'V must be 1.'],
    ['{"action":"sendMessage","v":1,"content":[{"text":"x"}]}', 'RequestId is required.'],
    ['{"action":"sendMessage","v":1,"requestId":"a b","content":[{"text":"x"}]}', 'RequestId has an invalid format.'],
    ['{"action":"sendMessage","v":1,"requestId":"r","conversationId":"../x","content":[{"text":"x"}]}', 'ConversationId has an invalid format.'],
    ['{"action":"sendMessage","v":1,"requestId":"r","content":[{"text":"x"}],"admin":true}', 'Admin is not allowed.'],
    ['{"action":"sendMessage","v":1,"requestId":"r","content":[{"text":"x","image":{"format":"png","key":"uploads/u/01JAAAAAAAAAAAAAAAAAAAAAAA/a.png"}}]}', 'Content[0] must have exactly one of text, image or document.'],
    ['{"action":"sendMessage","v":1,"requestId":"r","content":[{"image":{"format":"bmp","key":"uploads/u/01JAAAAAAAAAAAAAAAAAAAAAAA/a.png"}}]}', 'Content[0].image.format must be one of "png", "jpeg", "gif", "webp".'],
    ['{"action":"sendMessage","v":1,"requestId":"r","content":[{"image":{"format":"png","key":"../etc/passwd"}}]}', 'Content[0].image.key has an invalid format.'],
    ['{"action":"sendMessage","v":1,"requestId":"r","content":[{"document":{"format":"pdf","name":"a/b","key":"uploads/u/01JAAAAAAAAAAAAAAAAAAAAAAA/a.pdf"}}]}', 'Content[0].document.name: a document name may contain only letters A-Z, digits, single spaces, hyphens, parentheses and square brackets.'],
    ['{"action":"regenerate","v":1,"requestId":"r","conversationId":"01JAAAAAAAAAAAAAAAAAAAAAAA"}', 'MessageId is required.'],
    ['{"action":"continue","v":1,"requestId":"r","messageId":"01JAAAAAAAAAAAAAAAAAAAAAAA"}', 'ConversationId is required.'],
    ['{"action":"stop","v":1}', 'RequestId is required.'],
    ['{"action":"resume","v":1}', 'RequestId is required.'],
    ['{"action":"constructor"}', 'Unknown action "constructor"; expected one of "sendMessage", "regenerate", "continue", "stop", "resume", "ping".'],
  ])('rejects %s', (body, message) => {
    const r = parseClientFrame(body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toBe(message);
  });

  test('rejects frames over 32 KB, measured in UTF-8 bytes', () => {
    const body = JSON.stringify({ action: 'sendMessage', v: 1, requestId: 'r', content: [{ text: 'x'.repeat(MAX_FRAME_BYTES) }] });
    expect(parseClientFrame(body)).toEqual({ ok: false, message: `The message is ${body.length} bytes of UTF-8; a WebSocket frame holds at most 32768 bytes. Send longer text as a txt document through an upload.` });
    // 20,000 characters of Japanese: 60 KB.
    const japanese = JSON.stringify({ action: 'sendMessage', v: 1, requestId: 'r', content: [{ text: 'あ'.repeat(20_000) }] });
    expect(parseClientFrame(japanese)).toMatchObject({ ok: false, message: expect.stringContaining(`The message is ${Buffer.byteLength(japanese)} bytes of UTF-8`) });
  });

  test('a text block is measured in UTF-8 bytes, not characters (CJK and emoji)', () => {
    const frame = (text: string) => JSON.stringify({ action: 'sendMessage', v: 1, requestId: 'r-1', content: [{ text }] });
    // 10,400 CJK characters are 31,200 bytes: inside a frame, but over the inline text limit (the old check counted 10,400).
    const cjk = '漢'.repeat(10_400);
    expect(Buffer.byteLength(frame(cjk))).toBeLessThan(MAX_FRAME_BYTES);
    expect(parseClientFrame(frame(cjk))).toEqual({
      ok: false,
      requestId: 'r-1',
      message: `Content[0].text is 31200 bytes of UTF-8; at most ${MAX_INLINE_TEXT_BYTES} fit in one message: send longer text as a txt document through an upload.`,
    });
    // 7,750 emoji are 15,500 UTF-16 units and 31,000 bytes: exactly at the limit.
    expect(parseClientFrame(frame('😀'.repeat(7_750)))).toMatchObject({ ok: true });
    expect(parseClientFrame(frame('😀'.repeat(7_751)))).toMatchObject({ ok: false, message: expect.stringContaining('31004 bytes of UTF-8') });
    expect(parseClientFrame(frame('日本語'.repeat(3_000)))).toMatchObject({ ok: true });
  });

  test('document names follow Bedrock\'s rule: no whitespace run', () => {
    const frame = (name: string) => JSON.stringify({
      action: 'sendMessage', v: 1, requestId: 'r-1', content: [{ text: 'x' }, { document: { format: 'txt', name, key: `uploads/u-1/${ULID}/a.txt` } }],
    });
    expect(parseClientFrame(frame('Q3 report (final) [v2]'))).toMatchObject({ ok: true });
    expect(parseClientFrame(frame('two  spaces'))).toMatchObject({
      ok: false,
      message: 'Content[1].document.name: a document name may not have two whitespace characters in a row.',
    });
  });

  test('keeps a well-formed requestId so the client can match the error', () => {
    const r = parseClientFrame('{"action":"sendMessage","v":1,"requestId":"abc","content":"nope"}');
    expect(r).toEqual({ ok: false, requestId: 'abc', message: 'Content must be a list.' });
  });

  test('never throws and never accepts arbitrary JSON as a sendMessage (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const r = parseClientFrame(JSON.stringify(value));
      if (r.ok) {
        expect(['sendMessage', 'regenerate', 'continue', 'stop', 'resume', 'ping']).toContain((r.frame as { action: string }).action);
      } else {
        expect(r.message.length).toBeGreaterThan(5);
      }
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.string(), (s) => {
      expect(() => parseClientFrame(s)).not.toThrow();
    }), { numRuns: 500 });
  });
});

describe('tokenFromSubprotocols', () => {
  test('takes the token offered beside the protocol name', () => {
    expect(tokenFromSubprotocols('bedrock-chat.v1, aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
    expect(tokenFromSubprotocols('aaa.bbb.ccc,bedrock-chat.v1')).toBe('aaa.bbb.ccc');
  });
  test('needs the protocol name and a token', () => {
    expect(tokenFromSubprotocols(undefined)).toBeUndefined();
    expect(tokenFromSubprotocols('aaa.bbb.ccc')).toBeUndefined();
    expect(tokenFromSubprotocols('bedrock-chat.v1')).toBeUndefined();
  });
});
