import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentSecurityPolicy, findWebRoot, tileOrigin, webPathFilter } from './web-static';

describe('serving the browser app', () => {
  it('finds web/ from the sources (four levels up) and from the build (five levels up)', () => {
    const root = mkdtempSync(join(tmpdir(), 'cp-web-'));
    mkdirSync(join(root, 'web'));
    writeFileSync(join(root, 'web/index.html'), '<!doctype html>');
    expect(findWebRoot(join(root, 'libs/http/src/web'))).toBe(join(root, 'web'));
    expect(findWebRoot(join(root, 'dist/libs/http/src/web'))).toBe(join(root, 'web'));
    expect(findWebRoot(join(root, 'elsewhere/a/b/c/d/e'))).toBeUndefined();
  });

  it('allows images from a configured tile server and nothing else from outside', () => {
    const root = mkdtempSync(join(tmpdir(), 'cp-web-'));
    expect(tileOrigin(root)).toBeUndefined();
    writeFileSync(join(root, 'config.json'), JSON.stringify({ map: { tileUrl: 'https://tiles.city.example/{z}/{x}/{y}.png' } }));
    expect(tileOrigin(root)).toBe('https://tiles.city.example');
    writeFileSync(join(root, 'config.json'), JSON.stringify({ map: { tileUrl: 'javascript:alert(1)' } }));
    expect(tileOrigin(root)).toBeUndefined();

    const csp = contentSecurityPolicy('https://tiles.city.example');
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("img-src 'self' blob: data: https://tiles.city.example");
    expect(csp).not.toContain('unsafe');
  });

  it("hands the app's own paths to the file server and no other", () => {
    const root = mkdtempSync(join(tmpdir(), 'cp-web-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'app.js'), '');
    writeFileSync(join(root, '.env'), '');
    mkdirSync(join(root, 'views'));
    const isWebPath = webPathFilter(root);
    for (const path of ['/', '/index.html', '/app.js', '/views/case.js', '/views/']) expect([path, isWebPath(path)]).toEqual([path, true]);
    for (const path of ['/api/v1/cases', '/api/docs', '/health', '/metrics', '/open311/v2/requests.json', '/t/abc', '/.env', '/app.jsx', '//app.js'])
      expect([path, isWebPath(path)]).toEqual([path, false]);
  });
});
