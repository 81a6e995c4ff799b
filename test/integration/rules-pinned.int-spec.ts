import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { readServices, ROOT } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

interface RulesBody {
  active: { version: number; sha256: string };
  history: { version: number; sha256: string }[];
  activations: { version: number; sha256: string; activatedAt: string; reason: string; actor: { id: string; username: string } | null }[];
}

type Feature = { geometry: { type: string; coordinates: unknown } };
const corners = (f: Feature) =>
  (f.geometry.type === 'Polygon' ? (f.geometry.coordinates as number[][][])[0] : (f.geometry.coordinates as number[][][][])[0][0]).slice(0, -1);
const features = (file: string) => (JSON.parse(readFileSync(join(ROOT, 'config/demo', file), 'utf8')) as { features: Feature[] }).features;
/** Places have their own policies (a silenced works site, a do-not-disturb frontage): kept clear of. */
const placeBoxes = features('places.geojson').map((f) => {
  const c = corners(f);
  return {
    minLng: Math.min(...c.map((p) => p[0])),
    maxLng: Math.max(...c.map((p) => p[0])),
    minLat: Math.min(...c.map((p) => p[1])),
    maxLat: Math.max(...c.map((p) => p[1])),
  };
});
/** One point inside each demo grid (the mean of its ring's corners) and outside every place: each a new identity. */
const gridPoints: { lat: number; lng: number }[] = features('grids.geojson')
  .map((f) => {
    const c = corners(f);
    return { lng: c.reduce((a, p) => a + p[0], 0) / c.length, lat: c.reduce((a, p) => a + p[1], 0) / c.length };
  })
  .filter((p) => !placeBoxes.some((b) => p.lng >= b.minLng && p.lng <= b.maxLng && p.lat >= b.minLat && p.lat <= b.maxLat));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Copies the demo district (and its calendar beside it) so the test can edit rules.yaml. */
function districtCopy(): { dir: string; rulesFile: string } {
  const root = mkdtempSync(join(tmpdir(), 'cp-pinned-'));
  const dir = join(root, 'demo');
  cpSync(join(ROOT, 'config/demo'), dir, { recursive: true });
  cpSync(join(ROOT, 'config/calendar'), join(root, 'calendar'), { recursive: true });
  return { dir, rulesFile: join(dir, 'rules.yaml') };
}

/**
 * Issue 17: a changed rules.yaml still marked `version: 1` was accepted, two rule texts were both "v1" on cases, and
 * re-activating an old text kept its old timestamp. Now a version names one text: a changed file under a used
 * version is refused (reload: 422; start: the process does not start), each case records the SHA-256 of the text
 * that opened it, and every activation is listed with who made it.
 */
describe('rules pinned by content', () => {
  const district = districtCopy();
  const original = readFileSync(district.rulesFile, 'utf8');
  const v1 = sha256(original);
  let app: TestApp;
  let mqtt: MqttClient;
  let db: Client;
  let token: string;
  let n = 0;

  beforeAll(async () => {
    app = await startTestApp({ env: { CONFIG_DIR: district.dir } });
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    token = await app.token();
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
  });

  /** A garbage detection at `confidence`, each in its own grid (a new identity); the case it opened, if any. */
  const garbage = async (confidence: number) => {
    const id = `rp-${n++}`;
    await mqtt.publishAsync(
      'cloudpatrol/v1/devices/DRONE-01/events',
      JSON.stringify({
        eventId: id,
        deviceId: 'DRONE-01',
        occurredAt: '2026-11-28T10:00:00+08:00',
        location: gridPoints[n],
        detections: [{ label: 'garbage', confidence }],
      }),
      { qos: 1 },
    );
    const eventId = await eventually(
      `event ${id} stored`,
      async () => (await db.query<{ id: string }>(`SELECT id::text AS id FROM events WHERE source_event_id = $1`, [id])).rows[0]?.id,
    );
    const c = await db.query<{ id: string; rule_version: number; rule_set_sha256: string | null }>(
      `SELECT c.id, c.rule_version, c.rule_set_sha256 FROM cases c JOIN case_occurrences o ON o.case_id = c.id WHERE o.event_id = $1`,
      [eventId],
    );
    return c.rows[0];
  };
  const rules = async () => (await request(app.url).get('/api/v1/rules').set('Authorization', `Bearer ${token}`).expect(200)).body as RulesBody;
  const reload = (status: number) => request(app.url).post('/api/v1/rules/reload').set('Authorization', `Bearer ${token}`).expect(status);

  it('records the start as an activation, and each case the hash of the text that opened it (shown on the case)', async () => {
    const listed = await rules();
    expect(listed.active).toEqual({ version: 1, sha256: v1 });
    expect(listed.activations).toEqual([{ version: 1, sha256: v1, activatedAt: expect.any(String), reason: 'start', actor: null }]);

    const opened = await garbage(0.55);
    expect(opened).toMatchObject({ rule_version: 1, rule_set_sha256: v1 });
    const shown = await request(app.url).get(`/api/v1/cases/${opened.id}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect((shown.body as { rule: unknown }).rule).toEqual({ id: 'garbage-exposed', version: 1, ruleSetSha256: v1 });
  });

  it('refuses a changed file that kept its version, naming the file, the version and both hashes; nothing is activated', async () => {
    const changed = original.replace('labels: [garbage, construction_waste], minConfidence: 0.5', 'labels: [garbage, construction_waste], minConfidence: 0.6');
    expect(changed).not.toBe(original);
    writeFileSync(district.rulesFile, changed);
    const refused = await reload(422);
    const problem = (refused.body as { errors: string[] }).errors.join('\n');
    expect(problem).toContain(district.rulesFile);
    expect(problem).toContain('version 1');
    expect(problem).toContain(v1);
    expect(problem).toContain(sha256(changed));
    expect(problem).toContain('use 2');

    const after = await rules();
    expect(after.active).toEqual({ version: 1, sha256: v1 });
    expect(after.activations).toHaveLength(1);
    expect(after.history.map((h) => h.sha256)).toEqual([v1]);
    // Still the old threshold: 0.55 opens a case under v1.
    expect(await garbage(0.55)).toMatchObject({ rule_version: 1, rule_set_sha256: v1 });
  });

  it('activates the change under a new version; cases opened after carry its hash; re-activating v1 adds a row', async () => {
    const v2Text = original
      .replace('labels: [garbage, construction_waste], minConfidence: 0.5', 'labels: [garbage, construction_waste], minConfidence: 0.6')
      .replace(/^version: 1$/m, 'version: 2');
    const v2 = sha256(v2Text);
    writeFileSync(district.rulesFile, v2Text);
    expect((await reload(200)).body).toEqual({ version: 2, sha256: v2, changed: true });
    const afterV2 = await rules();
    expect(afterV2.active).toEqual({ version: 2, sha256: v2 });
    expect(afterV2.activations.map((a) => [a.version, a.sha256, a.reason, a.actor?.username ?? null])).toEqual([
      [2, v2, 'reload', 'admin'],
      [1, v1, 'start', null],
    ]);
    // The same process classifies: the new threshold is in force at once.
    expect(await garbage(0.55)).toBeUndefined();
    expect(await garbage(0.7)).toMatchObject({ rule_version: 2, rule_set_sha256: v2 });

    // Reloading the same text again changes nothing and records nothing.
    expect((await reload(200)).body).toEqual({ version: 2, sha256: v2, changed: false });
    expect((await rules()).activations).toHaveLength(2);

    // Back to the first text: allowed (the same content under its own version), recorded as a new activation.
    writeFileSync(district.rulesFile, original);
    expect((await reload(200)).body).toEqual({ version: 1, sha256: v1, changed: true });
    const back = await rules();
    expect(back.activations.map((a) => [a.version, a.reason])).toEqual([
      [1, 'reload'],
      [2, 'reload'],
      [1, 'start'],
    ]);
    expect(Date.parse(back.activations[0].activatedAt)).toBeGreaterThan(Date.parse(back.activations[2].activatedAt));
    expect(back.history.map((h) => h.version)).toEqual([2, 1]);
    expect(await garbage(0.55)).toMatchObject({ rule_version: 1, rule_set_sha256: v1 });

    // Every case's hash is the SHA-256 of a text the register holds, under the version the case names.
    const mismatched = await db.query(
      `SELECT c.id FROM cases c LEFT JOIN rule_set_versions v ON v.sha256 = c.rule_set_sha256 WHERE v.sha256 IS NULL OR v.version <> c.rule_version`,
    );
    expect(mismatched.rowCount).toBe(0);
    const texts = await db.query<{ sha256: string; content: string }>(`SELECT sha256, content FROM rule_set_versions`);
    for (const t of texts.rows) expect(sha256(t.content)).toBe(t.sha256);
  });

  it('refuses to start a process whose rules file changed under a version already used', async () => {
    const other = districtCopy();
    const changed = original.replace('labels: [garbage, construction_waste], minConfidence: 0.5', 'labels: [garbage, construction_waste], minConfidence: 0.7');
    writeFileSync(other.rulesFile, changed);
    const start = startTestApp({ mode: 'api', databaseUrl: app.databaseUrl, env: { CONFIG_DIR: other.dir } });
    await expect(start).rejects.toMatchObject({ name: 'ConfigError' });
    const message = await start.then(
      () => '',
      (err: Error) => err.message,
    );
    expect(message).toContain(other.rulesFile);
    expect(message).toContain('version 1');
    expect(message).toContain(v1);
    expect(message).toContain(sha256(changed));
    // Nothing recorded: the text in force and the activations are as they were.
    const still = await rules();
    expect(still.activations).toHaveLength(3);
    expect(still.history).toHaveLength(2);
  });
});
