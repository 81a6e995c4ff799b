/**
 * Device simulator for demos and load: realistic streams into a running CloudPatrol.
 *
 *   npm run simulate -- --mqtt mqtt://127.0.0.1:1883 --rate 200 --duration 60 --duplicates 0.05 --malformed 0.01 \
 *     [--kafka 127.0.0.1:9092 --kafka-prefix ''] [--http http://127.0.0.1:3000] [--seed 1] [--config config/demo]
 *
 * MQTT: each device connects as itself (username = device id, password = --password, default
 * DEMO_DEVICE_PASSWORD or 'cloudpatrol-demo'); a camera's Frigate events as the NVR it is registered
 * under (DEMO-NVR-01 in the demo), or as --frigate-user (password --frigate-password) when given; an aircraft's
 * DJI telemetry as the dock it is registered under (DEMO-DOCK-01).
 * Hikvision alarms need --http (device Basic auth); department records need --kafka.
 * Kinds and weights: --mix garbage=20,frigate-parked=15,... (see DEFAULT_MIX in stream.ts).
 */
import { loadDistrictConfig } from '@app/config';
import { resolve } from 'node:path';
import { simDistrict } from './district';
import type { SimKind } from './payloads';
import { HttpSink, KafkaSink, MqttSink } from './sinks';
import { simulate, Sinks } from './simulate';
import { SIM_KINDS, SimulatedStream } from './stream';

interface CliOptions {
  mqtt?: string;
  kafka?: string;
  kafkaPrefix: string;
  http?: string;
  rate: number;
  duration: number;
  duplicates: number;
  malformed: number;
  seed: number;
  config: string;
  password: string;
  frigateUser?: string;
  frigatePassword: string;
  frigatePrefix: string;
  mqttVersion?: 4 | 5;
  mix: Partial<Record<SimKind, number>>;
}

const USAGE = `usage: npm run simulate -- --mqtt URL [--kafka HOST:PORT[,..]] [--http URL] [--rate N/s] [--duration S]
       [--duplicates 0..1] [--malformed 0..1] [--seed N] [--config DIR] [--password P] [--frigate-user U]
       [--frigate-password P] [--frigate-prefix frigate] [--kafka-prefix P] [--mqtt-version 4|5] [--mix kind=w,..]`;

export function parseArgs(argv: string[], env: Record<string, string | undefined>): CliOptions {
  const o: CliOptions = {
    kafkaPrefix: '',
    rate: 200,
    duration: 60,
    duplicates: 0.05,
    malformed: 0.01,
    seed: 1,
    config: 'config/demo',
    password: env.DEMO_DEVICE_PASSWORD ?? 'cloudpatrol-demo',
    frigatePassword: env.FRIGATE_MQTT_PASSWORD ?? env.DEMO_DEVICE_PASSWORD ?? 'cloudpatrol-demo',
    frigatePrefix: 'frigate',
    mix: {},
  };
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name}: expected a number in [${min}, ${max}], got ${v ?? '(nothing)'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const take = () => {
      i++;
      if (value === undefined) throw new Error(`${flag}: value missing`);
      return value;
    };
    switch (flag) {
      case '--mqtt':
        o.mqtt = take();
        break;
      case '--kafka':
        o.kafka = take();
        break;
      case '--kafka-prefix':
        o.kafkaPrefix = take();
        break;
      case '--http':
        o.http = take();
        break;
      case '--rate':
        o.rate = num('rate', take(), 0.1, 1_000_000);
        break;
      case '--duration':
        o.duration = num('duration', take(), 0.1, 7 * 24 * 3600);
        break;
      case '--duplicates':
        o.duplicates = num('duplicates', take(), 0, 1);
        break;
      case '--malformed':
        o.malformed = num('malformed', take(), 0, 1);
        break;
      case '--seed':
        o.seed = num('seed', take(), 0, 2 ** 32);
        break;
      case '--config':
        o.config = take();
        break;
      case '--password':
        o.password = take();
        break;
      case '--frigate-user':
        o.frigateUser = take();
        break;
      case '--frigate-password':
        o.frigatePassword = take();
        break;
      case '--frigate-prefix':
        o.frigatePrefix = take();
        break;
      case '--mqtt-version': {
        const v = num('mqtt-version', take(), 4, 5);
        if (v !== 4 && v !== 5) throw new Error('--mqtt-version: 4 or 5');
        o.mqttVersion = v;
        break;
      }
      case '--mix':
        for (const part of take().split(',')) {
          const [k, w] = part.split('=');
          if (!(SIM_KINDS as readonly string[]).includes(k)) throw new Error(`--mix: unknown kind "${k}" (kinds: ${SIM_KINDS.join(', ')})`);
          o.mix[k as SimKind] = num(`mix ${k}`, w, 0, 1e6);
        }
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (o.duplicates + o.malformed > 1) throw new Error('--duplicates + --malformed must not exceed 1');
  if (!o.mqtt && !o.kafka && !o.http) throw new Error(`nothing to send to: give --mqtt, --kafka and/or --http\n${USAGE}`);
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2), process.env);
  const district = simDistrict(loadDistrictConfig(resolve(o.config)), o.seed);
  const passwordFor = (sender: string) => (sender === o.frigateUser ? o.frigatePassword : o.password);
  const sinks: Sinks = {};
  if (o.mqtt) sinks.mqtt = new MqttSink({ url: o.mqtt, passwordFor, protocolVersion: o.mqttVersion });
  if (o.kafka) {
    sinks.kafka = new KafkaSink({ brokers: o.kafka.split(','), topicPrefix: o.kafkaPrefix });
    await sinks.kafka.start();
  }
  if (o.http) sinks.http = new HttpSink({ baseUrl: o.http, passwordFor });
  const stream = new SimulatedStream({
    district,
    seed: o.seed,
    duplicates: o.duplicates,
    malformed: o.malformed,
    mix: { ...o.mix },
    transports: { mqtt: !!sinks.mqtt, kafka: !!sinks.kafka, http: !!sinks.http },
    frigateTopicPrefix: o.frigatePrefix,
    frigateSender: o.frigateUser,
  });
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error('stopping after this second (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(`simulating ${o.rate}/s for ${o.duration}s: ${district.targets.length} grid targets, duplicates ${o.duplicates}, malformed ${o.malformed}`);
  const result = await simulate({
    stream,
    sinks,
    rate: o.rate,
    durationMs: o.duration * 1000,
    stop: () => stopping,
    onProgress: (r) => {
      const s = Object.entries(r.sinks)
        .map(([k, v]) => `${k} ${v.acked}/${v.sent}${v.failed ? ` (${v.failed} failed)` : ''}`)
        .join(', ');
      console.log(`${(r.elapsedMs / 1000).toFixed(0)}s: ${r.stream.total} sent (${r.achievedRate.toFixed(0)}/s); ${s}`);
    },
  });
  await Promise.all([sinks.mqtt?.close(), sinks.kafka?.close()]);
  console.log(
    JSON.stringify(
      {
        emitted: result.emitted,
        seconds: +(result.elapsedMs / 1000).toFixed(1),
        achievedRate: +result.achievedRate.toFixed(1),
        stream: result.stream,
        sinks: result.sinks,
      },
      null,
      2,
    ),
  );
  const failed = Object.values(result.sinks).reduce((n, s) => n + s.failed, 0);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(2);
  });
}
