import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaPublisher } from '@app/messaging';
import { readServices } from '../support/services';

/**
 * A topic a process has just created can still be unknown to the broker for a moment. kafkajs's own wait for
 * leaders gave up at once on that, and an MQTT gateway failed its start ("This server does not host this
 * topic-partition"). Creating topics now waits until every partition has a leader, whatever the broker answers
 * meanwhile, and the first records the process sends land.
 */
describe('Kafka topics a process creates at start', () => {
  const brokers = readServices().kafkaBrokers.split(',');
  const prefix = `t${readServices().runId}${randomBytes(3).toString('hex')}.`;

  it('are there, every partition led, when ensureTopics returns on a busy broker: twelve at once, from three processes racing', async () => {
    const topics = Array.from({ length: 12 }, (_, i) => `${prefix}fresh-${i}`);
    const others = Array.from({ length: 150 }, (_, i) => `${prefix}other-${i}`);
    const admin = new Kafka({ clientId: 'topics-test-check', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    // A busy broker: it is creating 150 other topics meanwhile, so a topic it has just created stays unknown to
    // its metadata for a moment (with kafkajs's own wait, every start in five such rounds failed here).
    const busy = admin.createTopics({ topics: others.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: false });
    const waits: string[] = [];
    // Three publishers create the same topics at once, as gateways starting together do.
    const publishers = Array.from({ length: 3 }, (_, i) => new KafkaPublisher({ brokers, clientId: `topics-test-${i}`, ssl: false }));
    const started = await Promise.allSettled(publishers.map((p) => p.ensureTopics(topics, 3, (line) => waits.push(line))));
    await busy;
    const [publisher] = publishers;
    await publisher.start();
    try {
      expect(started.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      expect(found.map((t) => t.name).sort()).toEqual([...topics].sort());
      for (const t of found) {
        expect(t.partitions).toHaveLength(3);
        expect(t.partitions.every((p) => p.leader >= 0)).toBe(true);
      }
      // What a gateway does next: its first records go to the topic it has just made sure of.
      await Promise.all(topics.map((topic) => publisher.send(topic, [{ key: 'DEMO-CAM-01', value: 'first' }])));
      const offsets = await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
      expect(offsets.map((partitions) => partitions.reduce((n, p) => n + Number(p.high), 0))).toEqual(topics.map(() => 1));
      process.stdout.write(`[kafka topics] 12 topics by 3 publishers at once, 150 others being created: ${waits.length} waits for settling metadata\n`);
    } finally {
      await publisher.stop();
      await admin.deleteTopics({ topics: [...topics, ...others] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 120_000);
});
