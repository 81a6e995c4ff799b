import type { Env } from '@app/config';

/**
 * Where dead letters are published: KAFKA_DEAD_LETTER_TOPIC (the relay adds KAFKA_TOPIC_PREFIX) when Kafka is
 * configured, else nowhere (undefined: the dead letter is only kept in the table).
 */
export function deadLetterKafkaTopic(env: Pick<Env, 'KAFKA_BROKERS' | 'KAFKA_DEAD_LETTER_TOPIC'>): string | undefined {
  return env.KAFKA_BROKERS ? env.KAFKA_DEAD_LETTER_TOPIC : undefined;
}
