import type { TrackState } from '@app/domain';
import { ClassificationStateRepository } from '@app/persistence';
import { DataSource } from 'typeorm';
import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Track states (one per tracked object) are pruned once nobody has written them for a week, by the database's clock:
 * the table grew by a row per car, van and bicycle a camera ever tracked. A device whose clock is a year behind keeps
 * its tracks while it reports. The app runs as an API process, so no scheduler prunes beside the test.
 */
describe('track state retention', () => {
  let app: TestApp;
  let db: Client;
  let repo: ClassificationStateRepository;

  const state = (key: string, lastSeenAt: string): TrackState => ({
    v: 1,
    key,
    deviceId: 'CAM-PARK-01',
    label: 'car',
    firstSeenAt: lastSeenAt,
    lastSeenAt,
    placeIds: [],
    observations: 1,
    confirmed: {},
  });
  const save = (states: TrackState[]) => app.app.get(DataSource).transaction((tx) => repo.saveTracks(tx, states));
  const age = (key: string, days: number) => db.query(`UPDATE track_states SET updated_at = now() - $2 * interval '1 day' WHERE track_key = $1`, [key, days]);
  const keys = async () =>
    (await db.query<{ track_key: string }>(`SELECT track_key FROM track_states WHERE track_key LIKE 'retention:%' ORDER BY 1`)).rows.map((r) => r.track_key);

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    repo = app.app.get(ClassificationStateRepository);
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('deletes the states nobody wrote for a week, oldest first and no more than asked; a write keeps a state', async () => {
    const now = new Date().toISOString();
    const aYearAgo = new Date(Date.now() - 365 * 86_400_000).toISOString();
    await save([
      state('retention:oldest', now),
      state('retention:old', now),
      state('retention:behind-clock', aYearAgo),
      state('retention:written-again', now),
      state('retention:fresh', now),
    ]);
    await age('retention:oldest', 30);
    await age('retention:old', 8);
    await age('retention:written-again', 9);
    // Written again by a batch: its clock starts over.
    await save([state('retention:written-again', now)]);

    expect(await repo.pruneTrackStates(7, 1)).toBe(1);
    expect(await keys()).toEqual(['retention:behind-clock', 'retention:fresh', 'retention:old', 'retention:written-again']);
    expect(await repo.pruneTrackStates(7, 100)).toBe(1);
    expect(await keys()).toEqual(['retention:behind-clock', 'retention:fresh', 'retention:written-again']);
    expect(await repo.pruneTrackStates(7, 100)).toBe(0);
  });
});
