import { ConfigError, parseEnv } from './env';

describe('parseEnv', () => {
  it('gives the defaults for an empty environment', () => {
    const env = parseEnv({});
    expect([env.PHOTO_PREVIEW_MIN_SIZE, env.PHOTO_PREVIEW_SIZE, env.INGEST_BATCH_SIZE]).toEqual([960, 1600, 2000]);
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
});
