import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';
import { createStaff, insertCase, type InsertedCase, step } from './case-loop-helpers';

/**
 * Issue 16 item 3: the party-lookup throttle holds. Per address (30 / 10 min) with bounded memory that evicts the
 * least recently seen address, never the whole table; and per case number (20 failed lookups an hour from all
 * addresses together), so guessing one case's 6-digit code from many addresses does not work either.
 * TRUST_PROXY=1 here, so each X-Forwarded-For is its own client (as behind a proxy).
 */
describe('throttles: party lookup per address and per case number', () => {
  let app: TestApp;
  let db: Client;
  let car: InsertedCase;
  const PLATE = '粤B·54321';
  const TRACKED = 500;

  beforeAll(async () => {
    // The throttles' tables hold TRACKED keys here (10,000 by default): a spray past them in seconds, not a minute.
    app = await startTestApp({ mode: 'api', env: { TRUST_PROXY: '1', THROTTLE_TRACKED_KEYS: String(TRACKED) } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const staff = await createStaff(app);
    car = await insertCase(db, { category: 'motor-parking', plate: PLATE, deviceId: 'HIK-GATE-01' });
    await step(app, staff.operator, car.id, { action: 'review-register', evidenceUsableForPenalty: true });
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const lookup = (from: string, caseNumber: string, verification: string) =>
    request(app.url).post('/api/v1/public/cases/lookup').set('X-Forwarded-For', from).send({ caseNumber, verification });

  it('a case number answers 429 after 20 failed lookups from 20 addresses, to everyone, the right plate too; other cases are not affected', async () => {
    await lookup('198.51.100.1', car.caseNumber, PLATE).expect(200);
    for (let i = 0; i < 20; i++) await lookup(`198.51.100.${10 + i}`, car.caseNumber, `guess-${i}`).expect(404);
    const refused = await lookup('198.51.100.200', car.caseNumber, PLATE).expect(429);
    expect((refused.body as { message: string }).message).toMatch(/failed lookups for this case number/);
    // The same answer for a case number that does not exist (no existence oracle), once it has had its failures.
    for (let i = 0; i < 20; i++) await lookup(`198.51.101.${10 + i}`, 'CP-20990101-000001', `guess-${i}`).expect(404);
    await lookup('198.51.101.200', 'CP-20990101-000001', 'guess').expect(429);
    await lookup('198.51.102.1', 'CP-20990101-000002', 'guess').expect(404);
  });

  it('a spray of more addresses than the throttle tracks does not reset an address that is being refused', async () => {
    const attacker = '203.0.113.7';
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) status = (await lookup(attacker, `CP-20990102-${String(i).padStart(6, '0')}`, 'x')).status;
    expect(status).toBe(429);
    // A client one lookup short of its limit: the spray pushes it out of the table, which shows the table is bounded.
    const quiet = '203.0.113.8';
    for (let i = 0; i < 29; i++) await lookup(quiet, `CP-20990104-${String(i).padStart(6, '0')}`, 'x').expect(404);
    const total = TRACKED + 50;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        await lookup(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `CP-SPRAY-${i}`, 'x');
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await lookup(attacker, 'CP-20990103-000001', 'x').expect(429);
    // Forgotten: a fresh window, not its 30th and then a refused lookup.
    await lookup(quiet, 'CP-20990104-000100', 'x').expect(404);
    await lookup(quiet, 'CP-20990104-000101', 'x').expect(404);
  }, 60_000);
});
