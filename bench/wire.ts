/**
 * Service calls counted on the wire: a recording HTTP/1.1 reverse proxy in front of an emulator (DynamoDB, the Lambda
 * API, the WebSocket Management API, a JWKS endpoint). The code under test is pointed at the proxy through its usual
 * endpoint variables and cannot tell the difference; the proxy sees every request it makes, whatever the code thinks
 * it does. Each call is recorded with when its request arrived and when its response was complete.
 */
import { Agent, createServer, IncomingMessage, request, Server } from 'http';
import { closeServer, listenLoopback } from '../src/local/emulators/util';

export interface WireCall {
  /** The proxy's name: `dynamodb`, `lambda`, `management-api`, `jwks`. */
  readonly service: string;
  /** `PutItem`, `Invoke`, `PostToConnection`, `GET /.../jwks.json`. */
  readonly operation: string;
  readonly start: number;
  end: number;
}

export interface WireProxy {
  /** `http://127.0.0.1:<port>`: use it in place of the target's endpoint (same paths). */
  readonly endpoint: string;
  stop(): Promise<void>;
}

function operationOf(service: string, req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop()!;
  const path = (req.url ?? '').split('?')[0];
  if (/\/functions\/[^/]+\/invocations$/.test(path)) return 'Invoke';
  if (/\/@connections\//.test(path)) return req.method === 'POST' ? 'PostToConnection' : `${req.method} @connections`;
  return `${service === 'jwks' ? 'GET' : req.method} ${path}`;
}

/** A proxy to `target` (an `http://host:port` origin) recording each call into `log`. */
export async function startWireProxy(service: string, target: string, log: WireCall[]): Promise<WireProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((req, res) => {
    const call: WireCall = { service, operation: operationOf(service, req), start: performance.now(), end: Number.NaN };
    log.push(call);
    const up = request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent,
    }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
      ur.on('end', () => { call.end = performance.now(); });
    });
    up.on('error', (err) => {
      call.end = performance.now();
      res.writeHead(502).end(String(err));
    });
    req.pipe(up);
  });
  const port = await listenLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      agent.destroy();
      await closeServer(server);
    },
  };
}

/**
 * The longest chain of calls that ran one after another before `until` (each began after the previous one had
 * answered): the sequential service calls a request waited for. Calls that overlap count once. Greedy by earliest end,
 * which is optimal for the largest set of non-overlapping intervals.
 */
export function sequentialCalls(calls: readonly WireCall[], from: number, until: number): WireCall[] {
  const before = calls.filter((c) => c.start >= from && Number.isFinite(c.end) && c.end <= until).sort((a, b) => a.end - b.end);
  const chain: WireCall[] = [];
  let last = -Infinity;
  for (const c of before) {
    if (c.start >= last) {
      chain.push(c);
      last = c.end;
    }
  }
  return chain;
}
