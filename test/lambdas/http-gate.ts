/**
 * An HTTP proxy in front of an emulator (dynalite, the Management API of the WebSocket stand-in) that can hold chosen
 * requests, then forward them or answer them with an error instead: forces an order between two writers, or a fault
 * at a chosen moment. Nothing of ours is mocked; the handlers just talk to the emulator through it.
 */
import { createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'http';
import { closeServer, listenLoopback, readBody } from '../../src/local/emulators/util';

/** A request as the gate sees it: the DynamoDB operation (`x-amz-target`), the path and the JSON body. */
export interface GatedRequest {
  readonly operation: string;
  readonly path: string;
  readonly body: any;
}

export interface Hold {
  /** Resolves when the first matching request arrived; it waits until `release` or `fail`. */
  readonly held: Promise<GatedRequest>;
  /** Forwards the request. */
  release(): void;
  /** Answers the request with `status` and a JSON `body` instead of forwarding it. */
  fail(status: number, body: unknown): void;
}

export interface HttpGate {
  readonly endpoint: string;
  /** Every request so far, in order of arrival. */
  readonly seen: readonly GatedRequest[];
  /** Holds the next request matching `match`. */
  hold(match: (req: GatedRequest) => boolean): Hold;
  /** Forwards everything held. */
  releaseAll(): void;
  stop(): Promise<void>;
}

/** A DynamoDB error body as the service sends it (`__type` names the exception the SDK throws). */
export const dynamoError = (name: string, message: string) => ({ __type: `com.amazonaws.dynamodb.v20120810#${name}`, message });

export async function startHttpGate(target: string): Promise<HttpGate> {
  type Decision = { forward: true } | { forward: false; status: number; body: unknown };
  interface Entry {
    readonly match: (r: GatedRequest) => boolean;
    readonly arrived: (r: GatedRequest) => void;
    readonly decided: Promise<Decision>;
    readonly decide: (d: Decision) => void;
    used: boolean;
  }
  const holds: Entry[] = [];
  const seen: GatedRequest[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
      const gated: GatedRequest = { operation: String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '', path: req.url ?? '', body };
      seen.push(gated);
      const hold = holds.find((h) => !h.used && h.match(gated));
      if (hold) {
        hold.used = true;
        hold.arrived(gated);
        const decision = await hold.decided;
        if (!decision.forward) {
          res.writeHead(decision.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'gate' });
          res.end(JSON.stringify(decision.body));
          return;
        }
      }
      const options = { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers };
      const forward = httpRequest(options, (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      });
      forward.on('error', () => res.destroy());
      forward.end(raw);
    })();
  });
  const port = await listenLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}${upstream.pathname.replace(/\/$/, '')}`,
    seen,
    hold: (match) => {
      let arrived!: (r: GatedRequest) => void;
      const held = new Promise<GatedRequest>((resolve) => { arrived = resolve; });
      let decide!: (d: Decision) => void;
      const decided = new Promise<Decision>((resolve) => { decide = resolve; });
      holds.push({ match, arrived, decided, decide, used: false });
      return { held, release: () => decide({ forward: true }), fail: (status, body) => decide({ forward: false, status, body }) };
    },
    releaseAll: () => holds.splice(0).forEach((h) => h.decide({ forward: true })),
    stop: () => closeServer(server),
  };
}
