import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('drops the user name and password of a URL, keeps the rest', () => {
    expect(redactUrl('mqtts://worker:s3cret@broker.example:8883/x?y=1')).toBe('mqtts://broker.example:8883/x?y=1');
    expect(redactUrl('http://192.0.2.7:5000/api')).toBe('http://192.0.2.7:5000/api');
  });

  it('answers a string that is not a URL as it is', () => {
    expect(redactUrl('not a url')).toBe('not a url');
  });
});
