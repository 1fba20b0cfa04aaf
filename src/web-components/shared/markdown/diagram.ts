/**
 * A finished ```mermaid block, drawn in the mermaid frame (its own lazy chunk, imported the first time an answer has
 * a diagram). The block stays the code block it was while streaming; a sandboxed iframe (`allow-scripts` only: an
 * opaque origin) loads `mermaid-frame.html` from the widget's own folder (next to this chunk, like the full chunk
 * next to the entry), gets the source by postMessage and answers with the diagram's height. Nothing the frame sends
 * is inserted into this document: only a height (clamped) and whether it failed. When it fails, or does not answer
 * within the timeout, or the source is too long, the frame is removed and the code stays, with a note.
 */
import { MAX_DIAGRAM_SOURCE, type FrameMessage, type RenderRequest } from '../../mermaid/protocol.js';

/** Longest wait for a drawn diagram (the frame loads mermaid, about 0.5 MB gzip, the first time). */
export const DIAGRAM_TIMEOUT_MS = 15_000;
/** The frame's height is the diagram's, within these bounds (CSS px); a taller diagram scrolls in its frame. */
const MIN_HEIGHT = 24;
const MAX_HEIGHT = 1200;

export interface DiagramTexts {
  /** The frame's accessible name. */
  readonly title: string;
  /** The note shown above the code when the diagram cannot be drawn. */
  readonly failed: string;
}

interface Live {
  readonly frame: HTMLIFrameElement;
  readonly onMessage: (data: FrameMessage) => void;
}

const live = new Set<Live>();
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  window.addEventListener('message', (event: MessageEvent) => {
    // A sandboxed frame without allow-same-origin posts with origin "null"; only our frames' windows are heard.
    if (event.origin !== 'null' || !event.source) return;
    for (const entry of live) {
      if (entry.frame.contentWindow === event.source) {
        const data = event.data as FrameMessage | null;
        if (data && typeof data === 'object' && typeof data.type === 'string') entry.onMessage(data);
        return;
      }
    }
  });
}

/** The frame page's URL: next to this module (the widget's folder, on its own origin, wherever the widget is embedded). */
export const frameUrl = (): string => new URL(/* @vite-ignore */ './mermaid-frame.html', import.meta.url).href;

/**
 * Draws `source` in a frame inserted into `wrap` (the code block) before `pre`, which is hidden once the diagram is
 * drawn. `url` is the frame page (default: `frameUrl()`).
 */
export function mountDiagram(wrap: HTMLElement, pre: HTMLElement, source: string, texts: DiagramTexts, url = frameUrl()): void {
  const fail = () => {
    if (wrap.querySelector('.md-diagram-note')) return;
    const note = document.createElement('p');
    note.className = 'md-diagram-note';
    note.textContent = texts.failed;
    wrap.insertBefore(note, pre);
    pre.hidden = false;
  };
  if (source.length > MAX_DIAGRAM_SOURCE) return fail();
  listen();
  for (const entry of live) if (!entry.frame.isConnected && entry.frame.dataset.state !== 'loading') live.delete(entry);

  const frame = document.createElement('iframe');
  frame.className = 'md-diagram';
  // Scripts, in an opaque origin: no allow-same-origin, allow-top-navigation, allow-popups, allow-forms, allow-modals.
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.referrerPolicy = 'no-referrer';
  frame.title = texts.title;
  frame.dataset.state = 'loading';
  frame.style.height = '0';
  let sent = false;
  const entry: Live = {
    frame,
    onMessage: (data) => {
      if (frame.dataset.state === 'failed') return;
      if (data.type === 'bedrock-chat-mermaid:ready' && !sent) {
        // Once: should the frame ever navigate elsewhere, nothing is sent to what it became.
        sent = true;
        const request: RenderRequest = { type: 'bedrock-chat-mermaid:render', source };
        frame.contentWindow?.postMessage(request, '*');
      } else if (data.type === 'bedrock-chat-mermaid:size' && typeof data.height === 'number' && Number.isFinite(data.height)) {
        clearTimeout(timer);
        frame.style.height = `${Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.round(data.height)))}px`;
        frame.dataset.state = 'drawn';
        pre.hidden = true;
      } else if (data.type === 'bedrock-chat-mermaid:error') {
        stop();
      }
    },
  };
  const stop = () => {
    clearTimeout(timer);
    live.delete(entry);
    frame.dataset.state = 'failed';
    frame.remove();
    fail();
  };
  const timer = setTimeout(() => {
    if (frame.dataset.state === 'loading') stop();
  }, DIAGRAM_TIMEOUT_MS);
  live.add(entry);
  frame.src = url;
  wrap.insertBefore(frame, pre);
}
