import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Keeps a scroll container pinned to its bottom while content streams in, unless the reader scrolled up.
 */
export class ScrollPinController implements ReactiveController {
  private pinned = true;
  private element?: HTMLElement;
  constructor(host: ReactiveControllerHost, private readonly find: () => HTMLElement | null | undefined) {
    host.addController(this);
  }

  private readonly onScroll = () => {
    const el = this.element;
    if (el) this.pinned = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  };

  hostUpdated(): void {
    const el = this.find() ?? undefined;
    if (el !== this.element) {
      this.element?.removeEventListener('scroll', this.onScroll);
      el?.addEventListener('scroll', this.onScroll, { passive: true });
      this.element = el;
    }
    this.follow();
  }

  hostDisconnected(): void {
    this.element?.removeEventListener('scroll', this.onScroll);
    this.element = undefined;
  }

  /** Scrolls to the bottom if the reader was at the bottom; call after appending content outside a render. */
  follow(): void {
    if (this.pinned && this.element) this.element.scrollTop = this.element.scrollHeight;
  }

  /** Pins again (e.g. when the reader sends a message). */
  pin(): void {
    this.pinned = true;
    this.follow();
  }
}
