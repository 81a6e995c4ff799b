import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectAsync } from 'mqtt';
import { Client } from 'pg';
import { frigateTrack } from '../support/frigate-stream';
import { readServices, ROOT } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/** A supervisor tunes the dwell threshold on yesterday's stored events before switching it on. */
describe('replay of candidate rules', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
    const mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    const streams = [
      frigateTrack({
        id: 'r-car-12',
        camera: 'yunxi_rd_east',
        label: 'car',
        plate: '粤A11111',
        zones: ['no_parking'],
        start: new Date('2026-11-27T01:00:00Z'),
        minutes: 12,
        stepSeconds: 10,
      }),
      frigateTrack({
        id: 'r-car-7',
        camera: 'yunxi_rd_east',
        label: 'car',
        plate: '粤A22222',
        zones: ['no_parking'],
        start: new Date('2026-11-27T03:00:00Z'),
        minutes: 7,
        stepSeconds: 10,
        end: true,
      }),
    ];
    for (const m of streams.flat()) await mqtt.publishAsync('frigate/events', m, { qos: 1 });
    await mqtt.endAsync();
    const db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const total = streams.flat().length;
    await eventually('the day stored', async () => (Number((await db.query(`SELECT count(*) AS n FROM events`)).rows[0].n) === total ? true : undefined));
    expect(Number((await db.query(`SELECT count(*) AS n FROM cases`)).rows[0].n)).toBe(1);
    await db.end();
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('prints that a 5-minute dwell would also open a case for the car parked 7 minutes', async () => {
    const rules = readFileSync(join(ROOT, 'config/demo/rules.yaml'), 'utf8');
    const candidate = rules
      .replace('dwell: { minutes: 10, requireStationary: true }', 'dwell: { minutes: 5, requireStationary: true }')
      .replace(/^version: 1$/m, 'version: 2');
    expect(candidate).not.toBe(rules);
    const file = join(mkdtempSync(join(tmpdir(), 'cp-replay-')), 'rules.yaml');
    writeFileSync(file, candidate);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        'scripts/replay.ts',
        '--rules',
        file,
        '--from',
        '2026-11-27T00:00:00Z',
        '--to',
        '2026-11-28T00:00:00Z',
      ],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: app.databaseUrl, CONFIG_DIR: join(ROOT, 'config/demo') } },
    );
    expect(stdout).toContain('rules version 2');
    expect(stdout).toMatch(/1 cases opened/);
    // The 7-minute car's identity (with its plate) would now be opened; the 12-minute car's case would be merged into.
    const wouldOpen = stdout.slice(stdout.search(/would open/i), stdout.search(/would merge/i) >= 0 ? stdout.search(/would merge/i) : undefined);
    expect(wouldOpen).toContain('粤A22222');
    expect(stdout).toMatch(/would merge/i);
    expect(stdout).toContain('粤A11111');
    // The merged-into case is named by its number, as people know it, never by its id.
    const db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const [{ id, case_number: caseNumber }] = (await db.query<{ id: string; case_number: string }>(`SELECT id, case_number FROM cases`)).rows;
    await db.end();
    expect(caseNumber).toMatch(/^CP-\d{8}-\d{6}$/);
    expect(stdout.split('\n').find((l) => l.startsWith('would merge'))).toContain(caseNumber);
    expect(stdout).not.toContain(id);
    expect(stdout).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  });

  it('says what is wrong with a bad candidate file, line by line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cp-replay-')), 'rules.yaml');
    writeFileSync(file, readFileSync(join(ROOT, 'config/demo/rules.yaml'), 'utf8').replace('minConfidence: 0.6', 'minConfidence: 1.6'));
    const run = promisify(execFile)(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        'scripts/replay.ts',
        '--rules',
        file,
        '--from',
        '2026-11-27T00:00:00Z',
        '--to',
        '2026-11-28T00:00:00Z',
      ],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: app.databaseUrl } },
    );
    await expect(run).rejects.toMatchObject({ code: 65, stderr: expect.stringMatching(/rules\.yaml:\d+:\d+ rules\[\d+\]\.minConfidence/) });
  });
});
