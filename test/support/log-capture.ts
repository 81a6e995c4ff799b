/**
 * Everything this process writes to stdout and stderr while capturing (pino writes through `process.stdout`
 * once its `write` is replaced, so loggers created after `start()` are caught whole), for tests that check
 * what the logs say and what they never say. Nothing is passed on.
 */
export class LogCapture {
  text = '';
  private restore: (() => void)[] = [];

  start(): this {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write;
      stream.write = (chunk: unknown, ...rest: unknown[]) => {
        this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
        const done = rest.find((r): r is () => void => typeof r === 'function');
        done?.();
        return true;
      };
      this.restore.push(() => (stream.write = original));
    }
    return this;
  }

  stop(): void {
    for (const restore of this.restore.splice(0)) restore();
  }

  /** Every line that is a JSON object, parsed. */
  entries(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }
}
