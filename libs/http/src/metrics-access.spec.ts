import { isLoopback, metricsAccessProblem } from './metrics-access';

describe('metrics access', () => {
  const local = { remoteAddress: '127.0.0.1', forwarded: false };

  it('default: loopback clients only, not through a proxy', () => {
    expect(metricsAccessProblem({}, local)).toBeUndefined();
    expect(metricsAccessProblem({}, { remoteAddress: '::1', forwarded: false })).toBeUndefined();
    expect(metricsAccessProblem({}, { remoteAddress: '::ffff:127.0.0.5', forwarded: false })).toBeUndefined();
    expect(metricsAccessProblem({}, { ...local, forwarded: true })?.status).toBe(403);
    expect(metricsAccessProblem({}, { remoteAddress: '10.0.0.5', forwarded: false })?.status).toBe(403);
    expect(metricsAccessProblem({}, { remoteAddress: undefined, forwarded: false })?.status).toBe(403);
  });

  it('METRICS_TOKEN: the bearer token, from anywhere; METRICS_PORT: never on the API port', () => {
    const token = 'a-metrics-token-of-length';
    expect(metricsAccessProblem({ token }, { ...local, authorization: `Bearer ${token}` })).toBeUndefined();
    expect(metricsAccessProblem({ token }, { remoteAddress: '10.0.0.5', forwarded: true, authorization: `Bearer ${token}` })).toBeUndefined();
    expect(metricsAccessProblem({ token }, local)).toMatchObject({ status: 401, challenge: 'Bearer realm="metrics"' });
    expect(metricsAccessProblem({ token }, { ...local, authorization: `Bearer ${token}x` })?.status).toBe(401);
    expect(metricsAccessProblem({ separatePort: 9464, token }, { ...local, authorization: `Bearer ${token}` })?.status).toBe(404);
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', '::ffff:10.0.0.1', '', '128.0.0.1', 'fe80::1'].map(isLoopback)).toEqual([false, false, false, false, false]);
  });
});
