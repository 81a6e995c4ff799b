import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { ConfigError, Env } from '@app/config';
import { createLogger, Logger } from '@app/core';
import { redactUrl } from '@app/domain';
import { ingestMqttTopics, ingestPartitionKey, sourceTableProblems } from '@app/ingest';
import { MqttKafkaGateway } from '@app/messaging';

export interface RunningGateway {
  /** The gateway's /health and /metrics. */
  url: string;
  gateway: MqttKafkaGateway;
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * MQTT gateway mode (`npm run start:gateway`): no database, no HTTP API; it holds the MQTT event subscriptions
 * with a persistent session and puts every message on the Kafka ingest topic before its PUBACK, for the workers
 * (INGEST_VIA_KAFKA=true) to share as one consumer group. Several gateways split the topics with
 * MQTT_SHARE_GROUP (see the README, Scale-out on Kafka). GET /health answers 200 while MQTT and Kafka are both up.
 */
export async function startGateway(env: Env): Promise<RunningGateway> {
  const logger = createLogger(env.LOG_LEVEL);
  const problems: string[] = [];
  if (!env.MQTT_URL) problems.push('MQTT_URL=(unset): required for the gateway app (the broker devices publish to)');
  if (!env.KAFKA_BROKERS) problems.push('KAFKA_BROKERS=(unset): required for the gateway app (where it puts the messages)');
  problems.push(...sourceTableProblems({ frigateTopicPrefix: env.FRIGATE_TOPIC_PREFIX }).map((p) => `FRIGATE_TOPIC_PREFIX=${env.FRIGATE_TOPIC_PREFIX}: ${p}`));
  if (problems.length > 0 || !env.MQTT_URL || !env.KAFKA_BROKERS) throw new ConfigError(problems);
  const clientId = env.MQTT_CLIENT_ID ?? `cloudpatrol-gateway-${env.WORKER_ID ?? hostname()}`;
  const topic = env.KAFKA_TOPIC_PREFIX + env.KAFKA_INGEST_TOPIC;
  const gateway = new MqttKafkaGateway({
    mqtt: {
      url: env.MQTT_URL,
      username: env.MQTT_USERNAME,
      password: env.MQTT_PASSWORD,
      clientId,
      protocolVersion: 5,
      shareGroup: env.MQTT_SHARE_GROUP,
      // The event topics of the source table; pictures stay on MQTT for the workers (large, binary).
      topics: ingestMqttTopics(env.FRIGATE_TOPIC_PREFIX),
      receiveMaximum: env.MQTT_RECEIVE_MAXIMUM,
      maxUnackedBytes: env.MQTT_RECEIVE_MAXIMUM_BYTES,
      batchSize: env.INGEST_BATCH_SIZE,
      batchWaitMs: env.INGEST_BATCH_WAIT_MS,
      pipelineDepth: env.INGEST_PIPELINE_DEPTH,
    },
    kafka: {
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: `${env.KAFKA_CLIENT_ID}-gateway`,
      ssl: env.KAFKA_SSL,
      sasl:
        env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
          ? { mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD }
          : undefined,
    },
    topic,
    partitions: env.KAFKA_INGEST_PARTITIONS,
    keyOf: (m) => ingestPartitionKey(m, env.FRIGATE_TOPIC_PREFIX),
    onError: (err) => logger.error({ err: err.message, source: 'gateway' }, 'gateway: message not on Kafka yet; kept unacknowledged'),
    onLog: (line) => logger.info({ source: 'gateway' }, line),
  });
  const server = serveHealth(gateway);
  try {
    await gateway.start();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(env.PORT, env.HOST, () => resolve());
    });
  } catch (err) {
    await gateway.stop().catch(() => undefined);
    server.close();
    throw err;
  }
  const address = server.address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  logger.info(
    { url, mqtt: redactUrl(env.MQTT_URL), clientId, kafka: env.KAFKA_BROKERS, topic },
    'CloudPatrol gateway started (MQTT → Kafka, PUBACK after Kafka acks)',
  );
  return {
    url,
    gateway,
    logger,
    stop: async () => {
      await gateway.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serveHealth(gateway: MqttKafkaGateway): Server {
  return createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      const checks = {
        mqtt: { status: gateway.mqttConnected ? 'up' : 'down' },
        kafka: { status: gateway.kafkaConnected ? 'up' : 'down' },
      };
      const ok = gateway.mqttConnected && gateway.kafkaConnected;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', checks, forwarded: gateway.forwarded, backlog: gateway.backlog }));
      return;
    }
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        [
          '# HELP cloudpatrol_gateway_forwarded_total MQTT messages Kafka acknowledged (then PUBACKed)',
          '# TYPE cloudpatrol_gateway_forwarded_total counter',
          `cloudpatrol_gateway_forwarded_total ${gateway.forwarded}`,
          '# HELP cloudpatrol_gateway_backlog MQTT messages received and not yet on Kafka',
          '# TYPE cloudpatrol_gateway_backlog gauge',
          `cloudpatrol_gateway_backlog ${gateway.backlog}`,
          '',
        ].join('\n'),
      );
      return;
    }
    res.writeHead(404).end();
  });
}
