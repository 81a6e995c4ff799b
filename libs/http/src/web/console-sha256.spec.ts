import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * The console hashes a pilot's photos in the browser before upload (web/sha256.js): with crypto.subtle where the
 * page is a secure context, else with its own SHA-256. That own implementation decides which photos the server
 * is told it already has, so it is checked against node:crypto, across block and 4 MiB chunk boundaries. The
 * browser module is an ES module: it runs in a node child process, as the browser would load it.
 */
describe('the console’s portable SHA-256 (web/sha256.js)', () => {
  const MIB = 1024 * 1024;
  const lengths = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4 * MIB - 1, 4 * MIB, 4 * MIB + 1, 9 * MIB + 17];
  /** Deterministic bytes of a length: every byte value appears, the pattern does not repeat on a block. */
  const bytesOf = (n: number): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >>> 8) * 7 + 13) & 0xff;
    return b;
  };

  it('gives node:crypto’s digest for every length', () => {
    const script = `
      const { sha256HexPortable } = await import(${JSON.stringify(join(__dirname, '..', '..', '..', '..', 'web', 'sha256.js'))});
      const bytesOf = ${bytesOf.toString()};
      const out = [];
      for (const n of ${JSON.stringify(lengths)}) out.push(await sha256HexPortable(new Blob([bytesOf(n)])));
      console.log(JSON.stringify(out));`;
    const stdout = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const portable = JSON.parse(stdout) as string[];
    expect(portable).toEqual(lengths.map((n) => createHash('sha256').update(bytesOf(n)).digest('hex')));
  });
});
