import { classifyStoreFailure, isDatabaseUnavailable, sqlStateOf } from './store-failure';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const typeormError = (code: string) => Object.assign(new Error('query failed'), { driverError: { code } });

describe('classifyStoreFailure', () => {
  it.each([
    ['21000', 'ON CONFLICT DO UPDATE command cannot affect row a second time'],
    ['22P05', 'unsupported Unicode escape sequence'],
    ['22008', 'date/time field value out of range'],
    ['23505', 'duplicate key value violates unique constraint'],
    ['54000', 'index row size exceeds maximum'],
  ])('%s (%s) is persistent: the same batch fails the same way again', (code, message) => {
    expect(classifyStoreFailure(pgError(code, message))).toBe('persistent');
    expect(classifyStoreFailure(typeormError(code))).toBe('persistent');
  });

  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['08006', 'connection failure'],
    ['40P01', 'deadlock detected'],
    ['40001', 'could not serialize access'],
    ['53300', 'too many connections'],
    ['42P01', 'relation "events" does not exist'],
    ['42501', 'permission denied'],
  ])('%s (%s) is transient: wait in place, never dead-letter', (code, message) => {
    expect(classifyStoreFailure(pgError(code, message))).toBe('transient');
  });

  it('a lost connection or a pool timeout is transient', () => {
    expect(classifyStoreFailure(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(classifyStoreFailure(new Error('timeout exceeded when trying to connect'))).toBe('transient');
    expect(classifyStoreFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe('transient');
  });

  it('a JavaScript error raised while classifying is persistent', () => {
    expect(classifyStoreFailure(new TypeError("Cannot read properties of undefined (reading 'lat')"))).toBe('persistent');
    expect(classifyStoreFailure(new RangeError('Invalid time value'))).toBe('persistent');
  });

  it('reads a SQLSTATE only when it looks like one (system error codes are not)', () => {
    expect(sqlStateOf(pgError('ECONNREFUSED'))).toBeUndefined();
    expect(sqlStateOf(typeormError('23505'))).toBe('23505');
  });
});

describe('isDatabaseUnavailable', () => {
  it('names the errors of an unreachable database', () => {
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('57P01'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(pgError('23505'))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x'))).toBe(false);
  });
});
