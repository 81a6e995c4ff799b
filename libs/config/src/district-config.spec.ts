import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDistrictConfig } from './district-config';

const DEMO = resolve(__dirname, '../../../config/demo');
const CALENDAR = resolve(__dirname, '../../../config/calendar');

describe('devices registered under a source (parentId)', () => {
  it('the demo NVR owns the demo Frigate cameras and the demo dock its aircraft', () => {
    const devices = loadDistrictConfig(DEMO, CALENDAR).devices;
    const nvr = devices.find((d) => d.id === 'DEMO-NVR-01');
    expect(nvr?.kind).toBe('nvr');
    expect(devices.filter((d) => d.frigateCamera).every((d) => d.parentId === 'DEMO-NVR-01')).toBe(true);
    expect(devices.find((d) => d.frigateCamera === 'yunxi_rd_east')?.id).toBe('CAM-PARK-01');
    expect(devices.find((d) => d.id === 'DEMO-DOCK-01')?.kind).toBe('dock');
    expect(devices.find((d) => d.id === 'DRONE-01')?.parentId).toBe('DEMO-DOCK-01');
  });

  it('refuses a parent that is unknown or neither an nvr nor a dock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-config-'));
    try {
      cpSync(DEMO, dir, { recursive: true });
      const yaml = readFileSync(join(DEMO, 'devices.yaml'), 'utf8')
        .replace('parentId: DEMO-DOCK-01', 'parentId: NO-SUCH-DOCK')
        .replace(/(frigateCamera: lanting_market\n\s+)parentId: DEMO-NVR-01/, '$1parentId: DEMO-CAM-01');
      writeFileSync(join(dir, 'devices.yaml'), yaml);
      let problems = '';
      try {
        loadDistrictConfig(dir, CALENDAR);
      } catch (err) {
        problems = (err as { problems: string[] }).problems.join('\n');
      }
      expect(problems).toMatch(/parentId: unknown device "NO-SUCH-DOCK"/);
      expect(problems).toMatch(/parentId: "DEMO-CAM-01" is a camera: only an nvr or a dock has devices under it/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
