import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InsecureSecretFileError, randomSecret, readOrCreateSecretFile, readSecretFile, removeSecretFile, secretsDir, writeSecretFile } from './secret-file';

describe('secret files', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'cp-secret-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const mode = (path: string) => statSync(path).mode & 0o777;

  it('lives under DATA_DIR/secrets unless SECRETS_DIR says otherwise', () => {
    expect(secretsDir({ DATA_DIR: '/var/lib/cp', SECRETS_DIR: undefined })).toBe('/var/lib/cp/secrets');
    expect(secretsDir({ DATA_DIR: '/var/lib/cp', SECRETS_DIR: '/run/cp' })).toBe('/run/cp');
  });

  it('generates 32 random bytes, base64url', () => {
    const a = randomSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomSecret()).not.toBe(a);
  });

  it('is created once, 0600 in a 0700 folder, the folders above keeping their usual mode, and reused after', () => {
    const dataDir = join(root, 'data');
    const path = join(dataDir, 'secrets', 'jwt-secret');
    const first = readOrCreateSecretFile(path);
    expect(first.created).toBe(true);
    expect(mode(path)).toBe(0o600);
    expect(mode(join(dataDir, 'secrets'))).toBe(0o700);
    expect(mode(dataDir) & 0o055).not.toBe(0); // DATA_DIR must stay enterable by the postgres user
    expect(readFileSync(path, 'utf8')).toBe(`${first.value}\n`);
    expect(readOrCreateSecretFile(path)).toEqual({ value: first.value, created: false });
    expect(readdirSync(join(dataDir, 'secrets'))).toEqual(['jwt-secret']); // no temporary file left
  });

  it('never overwrites an existing secret unless asked to: the first writer wins', () => {
    const path = join(root, 'secrets', 'pw');
    writeSecretFile(path, 'first-secret');
    expect(() => writeSecretFile(path, 'second-secret')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readSecretFile(path)).toBe('first-secret');
    writeSecretFile(path, 'replaced', { replace: true });
    expect(readSecretFile(path)).toBe('replaced');
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(join(root, 'secrets'))).toEqual(['pw']);
  });

  it('refuses a file others may read, naming the file and the chmod to run', () => {
    const path = join(root, 'secrets', 'pw');
    writeSecretFile(path, 'value');
    chmodSync(path, 0o644);
    expect(() => readSecretFile(path)).toThrow(InsecureSecretFileError);
    expect(() => readSecretFile(path)).toThrow(`Run: chmod 600 ${path}`);
    expect(() => readOrCreateSecretFile(path)).toThrow(/mode 0644/);
    chmodSync(path, 0o640);
    expect(() => readSecretFile(path)).toThrow(InsecureSecretFileError);
    chmodSync(path, 0o400);
    expect(readSecretFile(path)).toBe('value');
  });

  it('takes a secret written by hand (trailing newline), refuses an empty one, and is absent when missing', () => {
    const path = join(root, 'pw');
    expect(readSecretFile(path)).toBeUndefined();
    writeFileSync(path, 'from-an-operator\n', { mode: 0o600 });
    expect(readSecretFile(path)).toBe('from-an-operator');
    writeFileSync(path, '\n', { mode: 0o600 });
    expect(() => readSecretFile(path)).toThrow(/is empty/);
    removeSecretFile(path);
    removeSecretFile(path);
    expect(readSecretFile(path)).toBeUndefined();
  });
});
