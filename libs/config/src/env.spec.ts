import { ConfigError, parseEnv } from './env';

describe('parseEnv', () => {
  it('gives the defaults for an empty environment', () => {
    const env = parseEnv({});
    expect([env.PHOTO_PREVIEW_MIN_SIZE, env.PHOTO_PREVIEW_SIZE, env.INGEST_BATCH_SIZE]).toEqual([800, 1600, 3000]);
  });

  it('names every bad value with what it was, in one error', () => {
    let error: unknown;
    try {
      parseEnv({ PORT: 'eighty', INGEST_BATCH_SIZE: '0', PHOTO_PREVIEW_MIN_SIZE: '1200', PHOTO_PREVIEW_SIZE: '1000' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^PORT="eighty": /), expect.stringMatching(/^INGEST_BATCH_SIZE="0": /)]));
    // The cross-check runs only once every single value is valid.
    expect(() => parseEnv({ PHOTO_PREVIEW_MIN_SIZE: '1200', PHOTO_PREVIEW_SIZE: '1000' })).toThrow('PHOTO_PREVIEW_MIN_SIZE="1200": must not exceed PHOTO_PREVIEW_SIZE (1000)');
  });

  it('TRUST_PROXY: off by default, a hop count, or proxies\' addresses; never "true"', () => {
    expect(parseEnv({}).TRUST_PROXY).toBe(false);
    expect(parseEnv({ TRUST_PROXY: '' }).TRUST_PROXY).toBe(false);
    expect(parseEnv({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(parseEnv({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(parseEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8,::1, fd00::/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', '::1', 'fd00::/8']);
    expect(() => parseEnv({ TRUST_PROXY: 'true' })).toThrow(/^Invalid configuration:\n {2}- TRUST_PROXY="true": trusting every hop/);
    expect(() => parseEnv({ TRUST_PROXY: '10.0.0.0/33,proxy.local' })).toThrow('not an address, CIDR, loopback, linklocal or uniquelocal: 10.0.0.0/33, proxy.local');
  });

  it('metrics: no token and no port by default (loopback only); a short token is refused', () => {
    const env = parseEnv({});
    expect([env.METRICS_TOKEN, env.METRICS_PORT, env.METRICS_HOST]).toEqual([undefined, undefined, '127.0.0.1']);
    expect(parseEnv({ METRICS_PORT: '9464', METRICS_TOKEN: 'a-long-enough-token' })).toMatchObject({ METRICS_PORT: 9464, METRICS_TOKEN: 'a-long-enough-token' });
    expect(() => parseEnv({ METRICS_TOKEN: 'short' })).toThrow('METRICS_TOKEN="short": at least 16 characters');
  });

  it('scale-out on Kafka: off by default; INGEST_VIA_KAFKA needs KAFKA_BROKERS', () => {
    const env = parseEnv({});
    expect([env.INGEST_VIA_KAFKA, env.KAFKA_INGEST_TOPIC, env.KAFKA_INGEST_PARTITIONS, env.KAFKA_SESSION_TIMEOUT_MS]).toEqual([false, 'cloudpatrol.ingest.v1', 12, 30_000]);
    expect(() => parseEnv({ INGEST_VIA_KAFKA: 'true' })).toThrow('INGEST_VIA_KAFKA="true": needs KAFKA_BROKERS');
    expect(parseEnv({ INGEST_VIA_KAFKA: 'true', KAFKA_BROKERS: 'kafka:9092' }).INGEST_VIA_KAFKA).toBe(true);
    expect(() => parseEnv({ KAFKA_SESSION_TIMEOUT_MS: '1000' })).toThrow('KAFKA_SESSION_TIMEOUT_MS="1000"');
  });

  it('password hashing: bcrypt cost 12 by default; below 10 only under NODE_ENV=test', () => {
    expect(parseEnv({}).PASSWORD_HASH_COST).toBe(12);
    expect(parseEnv({ NODE_ENV: 'test', PASSWORD_HASH_COST: '4' }).PASSWORD_HASH_COST).toBe(4);
    expect(() => parseEnv({ PASSWORD_HASH_COST: '4' })).toThrow('PASSWORD_HASH_COST="4": must be at least 10 (below that only with NODE_ENV=test)');
    expect(() => parseEnv({ NODE_ENV: 'production', PASSWORD_HASH_COST: '9' })).toThrow('PASSWORD_HASH_COST="9"');
    expect(() => parseEnv({ NODE_ENV: 'test', PASSWORD_HASH_COST: '3' })).toThrow('PASSWORD_HASH_COST="3"');
  });

  it('throttles keep 10,000 keys each by default, at least 100', () => {
    expect(parseEnv({}).THROTTLE_TRACKED_KEYS).toBe(10_000);
    expect(parseEnv({ THROTTLE_TRACKED_KEYS: '500' }).THROTTLE_TRACKED_KEYS).toBe(500);
    expect(() => parseEnv({ THROTTLE_TRACKED_KEYS: '10' })).toThrow('THROTTLE_TRACKED_KEYS="10"');
  });
});
