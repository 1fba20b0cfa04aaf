import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { parseServerFrame, SUBPROTOCOL } from './protocol.js';
import type { ClientFrame, ServerFrame } from './protocol.js';

export type SocketStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SocketControllerOptions {
  /** The WebSocket URL; undefined while the config is not known yet. */
  readonly url: () => string | undefined;
  /** Returns a fresh id token; called for every (re)connection. */
  readonly token: () => Promise<string>;
  readonly onFrame: (frame: ServerFrame) => void;
  /** Called when the status changes; `lostConnection` is true when an open socket closed unexpectedly. */
  readonly onStatus?: (status: SocketStatus, lostConnection: boolean) => void;
  /** @default 300000 (5 minutes; API Gateway closes idle connections after 10) */
  readonly heartbeatMs?: number;
  /** @default 500 */
  readonly backoffBaseMs?: number;
  /** @default 30000 */
  readonly backoffMaxMs?: number;
}

/**
 * One persistent WebSocket (protocol v1) owned by a Lit host: opened on demand, kept alive with `ping`,
 * re-opened with exponential backoff and jitter after an unexpected close, closed when the host leaves the page.
 */
export class SocketController implements ReactiveController {
  status: SocketStatus = 'idle';
  private socket?: WebSocket;
  private opening?: Promise<WebSocket>;
  private heartbeat?: ReturnType<typeof setInterval>;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private attempt = 0;
  /** True once the host wants a connection; false after close(). */
  private wanted = false;
  private hostIsConnected = false;

  constructor(private readonly host: ReactiveControllerHost, private readonly options: SocketControllerOptions) {
    host.addController(this);
  }

  hostConnected(): void {
    this.hostIsConnected = true;
    if (this.wanted && !this.socket && !this.opening) this.scheduleReconnect(0);
  }

  hostDisconnected(): void {
    this.hostIsConnected = false;
    this.teardown();
  }

  /** Opens the socket if needed (e.g. when the element has what it needs); errors are reported through status. */
  connect(): void {
    this.wanted = true;
    this.open().catch(() => this.scheduleReconnect());
  }

  /** Sends a frame, opening the socket first if needed. Rejects if the socket cannot be opened. */
  async send(frame: ClientFrame): Promise<void> {
    this.wanted = true;
    const socket = await this.open();
    socket.send(JSON.stringify(frame));
  }

  /** Closes the socket and stops reconnecting until the next connect() or send(). */
  close(): void {
    this.wanted = false;
    this.teardown();
  }

  private open(): Promise<WebSocket> {
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const attempt = this.dial();
    this.opening = attempt;
    const clear = () => {
      if (this.opening === attempt) this.opening = undefined;
    };
    attempt.then(clear, clear);
    return attempt;
  }

  private async dial(): Promise<WebSocket> {
    const url = this.options.url();
    if (!url) throw new Error('The chat configuration has no webSocketUrl.');
    this.setStatus(this.attempt > 0 ? 'reconnecting' : 'connecting');
    const token = await this.options.token();
    return new Promise<WebSocket>((resolveOpen, rejectOpen) => {
      const socket = new WebSocket(url, [SUBPROTOCOL, token]);
      let opened = false;
      socket.addEventListener('open', () => {
        if (socket.protocol !== SUBPROTOCOL) {
          socket.close(1002, 'unsupported subprotocol');
          rejectOpen(new Error(`The server did not accept ${SUBPROTOCOL}.`));
          return;
        }
        if (!this.hostIsConnected || !this.wanted) {
          socket.close(1000);
          rejectOpen(new Error('Closed.'));
          return;
        }
        opened = true;
        this.socket = socket;
        this.attempt = 0;
        this.startHeartbeat();
        this.setStatus('open');
        resolveOpen(socket);
      });
      socket.addEventListener('message', (event: MessageEvent) => {
        const frame = parseServerFrame(event.data);
        if (frame) this.options.onFrame(frame);
      });
      socket.addEventListener('close', () => {
        if (!opened) {
          rejectOpen(new Error('The chat service could not be reached.'));
          return;
        }
        if (this.socket !== socket) return;
        this.socket = undefined;
        this.stopHeartbeat();
        if (this.wanted && this.hostIsConnected) {
          this.setStatus('reconnecting', true);
          this.scheduleReconnect();
        } else {
          this.setStatus('closed', true);
        }
      });
    });
  }

  private scheduleReconnect(delayMs?: number): void {
    if (!this.wanted || !this.hostIsConnected || this.retryTimer !== undefined) return;
    const base = this.options.backoffBaseMs ?? 500;
    const max = this.options.backoffMaxMs ?? 30_000;
    // "Equal jitter": half the exponential delay plus a random half, so clients do not reconnect in lockstep.
    const exp = Math.min(max, base * 2 ** this.attempt);
    const delay = delayMs ?? exp / 2 + Math.random() * (exp / 2);
    this.attempt += 1;
    this.setStatus('reconnecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.open().catch(() => this.scheduleReconnect());
    }, delay);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ action: 'ping', v: 1 }));
    }, this.options.heartbeatMs ?? 300_000);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private teardown(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = undefined;
    this.attempt = 0;
    socket?.close(1000);
    if (this.status !== 'idle') this.setStatus('closed');
  }

  private setStatus(status: SocketStatus, lostConnection = false): void {
    if (this.status === status && !lostConnection) return;
    this.status = status;
    this.options.onStatus?.(status, lostConnection);
    this.host.requestUpdate();
  }
}
