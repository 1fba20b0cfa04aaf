import { TextCoalescer } from '../../src/lambdas/core/frames';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TextCoalescer', () => {
  test('sends the first delta at once and batches the rest', async () => {
    const sent: string[] = [];
    const c = new TextCoalescer(async (d) => { sent.push(d); }, { intervalMs: 30 });
    c.push('Hel');
    await sleep(0);
    expect(sent).toEqual(['Hel']);
    c.push('lo');
    c.push(', ');
    c.push('world');
    await sleep(0);
    expect(sent).toEqual(['Hel']);
    await sleep(60);
    expect(sent).toEqual(['Hel', 'lo, world']);
    await c.close();
    expect(sent.join('')).toBe('Hello, world');
  });

  test('flushes when the buffer reaches maxChars, and never sends a frame over 4,000 characters', async () => {
    const sent: string[] = [];
    const c = new TextCoalescer(async (d) => { sent.push(d); }, { intervalMs: 10_000, maxChars: 100 });
    c.push('a');
    for (let i = 0; i < 10; i++) c.push('b'.repeat(30));
    c.push('c'.repeat(9000));
    await c.close();
    expect(sent.join('')).toBe('a' + 'b'.repeat(300) + 'c'.repeat(9000));
    expect(Math.max(...sent.map((s) => s.length))).toBeLessThanOrEqual(4000);
    expect(sent.length).toBeLessThan(12);
  });

  test('keeps order even when sends are slow', async () => {
    const sent: string[] = [];
    const c = new TextCoalescer(async (d) => { await sleep(d === '1' ? 20 : 0); sent.push(d); }, { intervalMs: 1, maxChars: 1 });
    for (const d of ['1', '2', '3', '4']) c.push(d);
    await c.close();
    expect(sent).toEqual(['1', '2', '3', '4']);
  });

  test('close reports a failed send', async () => {
    const c = new TextCoalescer(async () => { throw new Error('boom'); });
    c.push('x');
    await expect(c.close()).rejects.toThrow('boom');
  });
});

describe('TextCoalescer flush schedule', () => {
  test('updates quickly while the answer starts, then sends fewer, larger frames', async () => {
    const sent: { at: number; text: string }[] = [];
    const t0 = Date.now();
    const c = new TextCoalescer(async (d) => { sent.push({ at: Date.now() - t0, text: d }); });
    // 100 tokens per second for 3 seconds.
    for (let i = 0; i < 300; i++) {
      c.push(`t${i} `);
      await sleep(10);
    }
    await c.close();
    expect(sent.map((s) => s.text).join('')).toBe(Array.from({ length: 300 }, (_, i) => `t${i} `).join(''));
    // Timers never fire early, so the gaps between frames show the schedule whatever the machine's load.
    const gaps = sent.slice(1, -1).map((f, i) => ({ at: sent[i].at, gap: f.at - sent[i].at }));
    expect(gaps.filter((g) => g.at < 200).some((g) => g.gap < 100)).toBe(true);
    const late = gaps.filter((g) => g.at >= 2100);
    expect(late.length).toBeGreaterThan(0);
    for (const g of late) expect(g.gap).toBeGreaterThanOrEqual(290);
  });
});
