import http from 'node:http';

/** Reads a Server-Sent Events stream and collects the JSON of every `data:` line. */
export class SseClient {
  readonly events: unknown[] = [];
  private req?: http.ClientRequest;

  static async open(url: string, token: string): Promise<SseClient> {
    const client = new SseClient();
    await new Promise<void>((resolve, reject) => {
      client.req = http.get(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let idx: number;
          while ((idx = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, idx);
            buffer = buffer.slice(idx + 2);
            for (const line of block.split('\n')) if (line.startsWith('data:')) client.events.push(JSON.parse(line.slice(5).trim()));
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
