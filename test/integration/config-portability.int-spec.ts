import { loadDistrictConfig } from '@app/config';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ROOT } from '../support/services';
import { startTestApp } from '../support/test-app';

/**
 * Issue 17 item 8: a CONFIG_DIR holds everything a district needs. Copied anywhere with its calendar inside
 * (CONFIG_DIR/calendar), it starts and uses that calendar; CALENDAR_DIR names another; without either the shipped
 * config/calendar is used; a missing calendar file fails the start naming the file and every place looked.
 */
describe('config portability: CONFIG_DIR carries its calendar', () => {
  let base: string;
  const DEMO = join(ROOT, 'config/demo');
  const CALENDAR = join(ROOT, 'config/calendar');

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'cp-portable-'));
  });
  afterAll(() => {
    rmSync(base, { recursive: true, force: true });
  });

  /** config/demo copied to `<base>/<name>/district`, with the calendar inside when asked (deadlines changed, so its use shows). */
  const copyDistrict = (name: string, withCalendar: boolean): string => {
    const dir = join(base, name, 'district');
    cpSync(DEMO, dir, { recursive: true });
    if (withCalendar) {
      mkdirSync(join(dir, 'calendar'));
      cpSync(join(CALENDAR, 'cn-2026.yaml'), join(dir, 'calendar', 'cn-2026.yaml'));
      writeFileSync(join(dir, 'calendar', 'deadlines.yaml'), readFileSync(join(CALENDAR, 'deadlines.yaml'), 'utf8'));
    }
    return dir;
  };

  it('a CONFIG_DIR copied to a temporary directory with its calendar inside starts, and uses that calendar', async () => {
    const dir = copyDistrict('with-calendar', true);
    const loaded = loadDistrictConfig(dir);
    expect(loaded.calendarSource).toBe('CONFIG_DIR/calendar');
    expect(loaded.calendarDir).toBe(join(dir, 'calendar'));
    const app = await startTestApp({ env: { CONFIG_DIR: dir } });
    try {
      // The district is the copy's: its devices are served.
      const devices = (
        await request(app.url)
          .get('/api/v1/devices')
          .set('Authorization', `Bearer ${await app.token()}`)
          .expect(200)
      ).body as { items: { id: string }[] };
      expect(devices.items.map((d) => d.id)).toContain('HIK-GATE-01');
    } finally {
      await app.stop();
    }
  });

  it('without a calendar inside, the shipped config/calendar is used; CALENDAR_DIR names another', () => {
    const dir = copyDistrict('without-calendar', false);
    expect(loadDistrictConfig(dir)).toMatchObject({ calendarSource: 'shipped', calendarDir: CALENDAR });
    const own = join(base, 'own-calendar');
    cpSync(CALENDAR, own, { recursive: true });
    expect(loadDistrictConfig(dir, own)).toMatchObject({ calendarSource: 'CALENDAR_DIR', calendarDir: own });
    // config/demo itself still reads config/calendar beside it.
    expect(loadDistrictConfig(DEMO)).toMatchObject({ calendarDir: CALENDAR });
  });

  it('a missing calendar file fails the start naming the file and the places looked', () => {
    const dir = copyDistrict('half-calendar', true);
    rmSync(join(dir, 'calendar', 'deadlines.yaml'));
    const problems = (): string => {
      try {
        loadDistrictConfig(dir);
      } catch (err) {
        return (err as { problems: string[] }).problems.join('\n');
      }
      return '';
    };
    const text = problems();
    expect(text).toContain(`${join(dir, 'calendar', 'deadlines.yaml')}: calendar file missing`);
    expect(text).toContain('CALENDAR_DIR (unset)');
    expect(text).toContain(`CONFIG_DIR/calendar=${join(dir, 'calendar')}`);
    expect(text).not.toContain('cn-2026.yaml: calendar file missing');
    // A CALENDAR_DIR that does not hold the files is an error too, never a silent fallback.
    let named = '';
    try {
      loadDistrictConfig(copyDistrict('bad-setting', false), join(base, 'no-such-calendar'));
    } catch (err) {
      named = (err as { problems: string[] }).problems.join('\n');
    }
    expect(named).toContain(
      `${join(base, 'no-such-calendar', 'cn-2026.yaml')}: calendar file missing (calendar from CALENDAR_DIR; looked in: CALENDAR_DIR=${join(base, 'no-such-calendar')})`,
    );
  });
});
