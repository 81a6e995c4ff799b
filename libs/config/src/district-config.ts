import { join } from 'node:path';
import { RuleSet, ruleSetSchema } from '@app/domain';
import { ConfigError } from './env';
import { DeviceConfig, devicesFileSchema } from './devices.schema';
import { readYamlFile } from './yaml-file';

/** Everything under CONFIG_DIR, validated together so one start reports every bad value. */
export interface DistrictConfig {
  dir: string;
  devices: DeviceConfig[];
  ruleSet: RuleSet;
  ruleSetText: string;
}

export function loadDistrictConfig(dir: string): DistrictConfig {
  const errors: string[] = [];
  const devices = readYamlFile(join(dir, 'devices.yaml'), devicesFileSchema);
  if (!devices.ok) errors.push(...devices.errors);
  const rules = readYamlFile(join(dir, 'rules.yaml'), ruleSetSchema);
  if (!rules.ok) errors.push(...rules.errors);
  if (!devices.ok || !rules.ok) throw new ConfigError(errors);
  const ids = new Set<string>();
  for (const d of devices.value.devices) {
    if (ids.has(d.id)) errors.push(`${join(dir, 'devices.yaml')}: device id "${d.id}" appears twice`);
    ids.add(d.id);
  }
  if (errors.length) throw new ConfigError(errors);
  return { dir, devices: devices.value.devices, ruleSet: rules.value, ruleSetText: JSON.stringify(rules.value) };
}
