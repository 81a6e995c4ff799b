import { once } from 'node:events';
import { connect, createServer, Server, Socket } from 'node:net';
import { settledWithin } from './settled-within';

/** Blocks this process the way a long garbage collection or a starved CPU does. */
function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spinning on purpose
  }
}

describe('settledWithin', () => {
  let server: Server;
  let port: number;
  let accepted: Promise<Socket>;

  beforeAll(async () => {
    server = createServer();
    accepted = once(server, 'connection').then(([socket]) => socket as Socket);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('counts a reply that arrived while this process was busy past the deadline', async () => {
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    const database = await accepted;
    try {
      // The kernel delivers what the client writes to the other socket at once, as it would a database's reply;
      // this process reads it only after the stretch below, when the 50 ms timer has long expired too.
      const reply = once(database, 'data').then(([d]) => String(d));
      client.write('ping');
      const answer = settledWithin(reply, 50, 'no answer within 50 ms');
      busyFor(300);
      await expect(answer).resolves.toBe('ping');
    } finally {
      client.destroy();
      database.destroy();
    }
  });

  it('rejects with the message when no reply comes', async () => {
    const started = Date.now();
    await expect(settledWithin(new Promise<never>(() => undefined), 50, 'no answer within 50 ms')).rejects.toThrow('no answer within 50 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('passes on what the work resolved or rejected with', async () => {
    await expect(settledWithin(Promise.resolve(7), 50, 'late')).resolves.toBe(7);
    await expect(settledWithin(Promise.reject(new Error('refused')), 50, 'late')).rejects.toThrow('refused');
  });
});
