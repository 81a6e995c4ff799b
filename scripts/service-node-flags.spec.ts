import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const FLAGS = require('./service-node-flags.js') as string[];
const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

// The flags cannot go through NODE_OPTIONS, so every way of starting CloudPatrol names them: a launcher left behind
// runs with V8's default heap sizing (peak RSS 571 MB instead of 408 MB in the bench).
describe('every CloudPatrol launcher runs with the service Node flags', () => {
  it('npm start:api, start:worker and start:gateway', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start:api', 'start:worker', 'start:gateway']) expect(scripts[name]).toContain(`node ${FLAGS.join(' ')} dist/apps/`);
  });

  it('the Dockerfile CMD and every command in docker-compose.yml that runs a CloudPatrol app', () => {
    const asList = FLAGS.map((f) => `"${f}"`).join(', ');
    expect(read('Dockerfile')).toContain(`CMD ["node", ${asList}, "dist/apps/api/src/main.js"]`);
    const commands = read('docker-compose.yml').match(/command: \[[^\]]*dist\/apps[^\]]*\]/g) ?? [];
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const c of commands) expect(c).toContain(`['node', ${FLAGS.map((f) => `'${f}'`).join(', ')}, 'dist/apps/`);
  });

  it('npm start (scripts/start.js) and the bench take them from the one list', () => {
    expect(read('scripts/start.js')).toContain("...require('./service-node-flags')");
    expect(read('bench/lib/services.ts')).toContain("require('../../scripts/service-node-flags.js')");
  });

  it('are flags this Node accepts (an unknown one stops node before it starts)', () => {
    expect(execFileSync(process.execPath, [...FLAGS, '-e', 'process.stdout.write("started")'], { encoding: 'utf8' })).toBe('started');
    expect(() => execFileSync(process.execPath, ['--heap-growing-percentage=100', '-e', '0'], { stdio: 'pipe' })).toThrow(/bad option/);
  });
});
