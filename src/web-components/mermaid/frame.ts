/**
 * The script of `mermaid-frame.html` (built as `bedrock-chat-mermaid.js`, with mermaid's own chunks): it runs only
 * inside the sandboxed frame the widget creates for a finished ```mermaid block (sandbox="allow-scripts", no
 * allow-same-origin: an opaque origin that cannot reach the page, its storage or cookies, open popups, submit forms or
 * navigate the top page; its CSP allows only this origin's scripts and no network).
 * It takes one source from its parent by postMessage, renders it with mermaid (securityLevel 'strict': labels are
 * text, `click` callbacks are off; a diagram's `%%{init}%%` directive cannot change it, securityLevel is one of
 * mermaid's `secure` keys, https://mermaid.js.org/config/schema-docs/config-properties-secure.html), shows the SVG
 * in this frame's own document and reports its height; the SVG never reaches the host's DOM.
 */
import mermaid from 'mermaid';
import { MAX_DIAGRAM_SOURCE, type FrameMessage, type RenderRequest } from './protocol.js';

const post = (message: FrameMessage) => window.parent.postMessage(message, '*');

mermaid.initialize({
  startOnLoad: false,
  // https://mermaid.js.org/config/schema-docs/config-properties-securitylevel.html
  securityLevel: 'strict',
  maxTextSize: MAX_DIAGRAM_SOURCE,
  // A syntax error throws (the host then shows the source as code) instead of drawing mermaid's error picture.
  suppressErrorRendering: true,
  theme: 'default',
});

let rendered = false;

window.addEventListener('message', (event: MessageEvent) => {
  // Only the widget that created this frame, and only once.
  if (event.source !== window.parent || rendered) return;
  const data = event.data as Partial<RenderRequest> | null;
  if (!data || data.type !== 'bedrock-chat-mermaid:render' || typeof data.source !== 'string') return;
  rendered = true;
  if (data.source.length > MAX_DIAGRAM_SOURCE) return post({ type: 'bedrock-chat-mermaid:error' });
  void draw(data.source);
});

async function draw(source: string): Promise<void> {
  const box = document.getElementById('diagram')!;
  try {
    const { svg } = await mermaid.render('bedrock-chat-diagram', source);
    // mermaid's SVG (its labels sanitized by DOMPurify under 'strict'), in this frame's document only.
    box.innerHTML = svg;
    // No link leaves the frame or navigates it: a diagram's links (`click … href`) become inert text.
    for (const a of box.querySelectorAll('a')) {
      a.removeAttribute('href');
      a.removeAttribute('xlink:href');
      a.removeAttributeNS('http://www.w3.org/1999/xlink', 'href');
      a.removeAttribute('target');
    }
  } catch {
    box.replaceChildren();
    return post({ type: 'bedrock-chat-mermaid:error' });
  }
  const report = () => post({ type: 'bedrock-chat-mermaid:size', height: Math.ceil(box.getBoundingClientRect().height) });
  report();
  // The SVG scales to the frame's width (useMaxWidth): its height follows the width of the chat.
  new ResizeObserver(report).observe(box);
}

post({ type: 'bedrock-chat-mermaid:ready' });
