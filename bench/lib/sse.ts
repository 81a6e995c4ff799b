import http from 'node:http';

/** Reads a Server-Sent Events stream and hands each `data:` JSON to `onEvent` with its arrival time (ms). */
export class SseClient {
  private req?: http.ClientRequest;
  received = 0;

  static async open(url: string, token: string, onEvent: (data: unknown, arrivedAt: number) => void): Promise<SseClient> {
    const client = new SseClient();
    await new Promise<void>((resolve, reject) => {
      client.req = http.get(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const arrivedAt = Date.now();
          buffer += chunk;
          let idx: number;
          while ((idx = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, idx);
            buffer = buffer.slice(idx + 2);
            for (const line of block.split('\n')) {
              if (!line.startsWith('data:')) continue;
              client.received++;
              try {
                onEvent(JSON.parse(line.slice(5).trim()), arrivedAt);
              } catch {
                /* not JSON: ignore */
              }
            }
          }
        });
        resolve();
      });
      client.req.on('error', reject);
    });
    return client;
  }

  close(): void {
    this.req?.destroy();
  }
}

export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(new URL('/api/v1/auth/login', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}
