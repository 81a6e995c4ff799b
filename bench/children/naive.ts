/**
 * The naive baseline: a stock NestJS microservice on the stock MQTT transport (`Transport.MQTT`: MQTT.js
 * acknowledges each QoS 1 message as soon as it is received, before the handler has run) with one
 * `@EventPattern` handler that parses the JSON (Nest does) and saves each event with TypeORM
 * `repository.save()`, one transaction per event. Same events table (EventEntity) in its own database.
 * It stores events only: no classification, grouping, cases or alerts (so it does less work than
 * CloudPatrol per event). argv: mqttUrl databaseUrl. IPC: `{type:'ready'}`; `{type:'stats'}` on request.
 */
import 'reflect-metadata';
import { Controller, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { EventEntity } from '../../libs/persistence/src/entities/event.entity';

const [mqttUrl, databaseUrl] = process.argv.slice(2);

interface GenericBody {
  eventId: string;
  deviceId: string;
  occurredAt: string;
  location?: { lat: number; lng: number };
  detections: { label: string; confidence: number; trackId?: string; plate?: string; stationary?: boolean }[];
}

@Injectable()
class Counters {
  received = 0;
  saved = 0;
  failed = 0;
  lastError = '';
}

@Controller()
class NaiveEventsController {
  constructor(
    @InjectRepository(EventEntity) private readonly events: Repository<EventEntity>,
    private readonly counters: Counters,
  ) {}

  @EventPattern('cloudpatrol/v1/devices/+/events')
  async onEvent(@Payload() body: GenericBody): Promise<void> {
    this.counters.received++;
    try {
      const event = this.events.create({
        source: 'cloudpatrol',
        sourceEventId: body.eventId,
        sourceKind: 'camera',
        deviceId: body.deviceId,
        occurredAt: new Date(body.occurredAt),
        lat: body.location?.lat ?? null,
        lng: body.location?.lng ?? null,
        zones: [],
        detections: body.detections,
        media: [],
        attributes: {},
        phase: null,
        rawPayload: JSON.stringify(body),
      });
      await this.events.save(event);
      this.counters.saved++;
    } catch (err) {
      this.counters.failed++;
      this.counters.lastError = (err as Error).message;
    }
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl, entities: [EventEntity], synchronize: false, logging: false }),
    TypeOrmModule.forFeature([EventEntity]),
  ],
  controllers: [NaiveEventsController],
  providers: [Counters],
})
class NaiveModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(NaiveModule, {
    transport: Transport.MQTT,
    options: { url: mqttUrl, clientId: `naive-${process.pid}`, subscribeOptions: { qos: 1 } },
    logger: ['error', 'warn'],
  });
  await app.listen();
  const counters = app.get(Counters);
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stats')
      process.send?.({ type: 'stats', received: counters.received, saved: counters.saved, failed: counters.failed, lastError: counters.lastError });
  });
  process.on('SIGTERM', () => {
    app
      .close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready' });
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
