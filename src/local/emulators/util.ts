import type { Server } from 'node:http';
import type { Http2Server } from 'node:http2';

/** Closes an HTTP server and destroys its open (keep-alive) connections, so no handle stays open. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

/** Listens on a random loopback port and returns the port. */
export function listenLoopback(server: Server | Http2Server): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (!address || typeof address === 'string') {
        reject(new Error('no TCP address'));
        return;
      }
      resolve(address.port);
    });
  });
}

/** Reads a whole request body. */
export async function readBody(req: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
