import { adaptOpen311Request, type Open311RequestPayload } from './open311-request.adapter';

const payload: Open311RequestPayload = {
  token: '2b8f7a0e-59f3-4d7e-9a55-0c1d2e3f4a5b',
  clientId: 'hotline-12345',
  deviceId: 'open311.hotline-12345',
  receivedAt: '2026-12-04T01:02:03.000Z',
  serviceCode: 'exposed-garbage',
  label: 'garbage',
  position: { lat: 23.123456, lng: 113.254321 },
  description: 'construction waste by the bus stop',
  mediaUrl: 'https://img.example/8812.jpg',
  reporter: { email: 'a@b.example', phone: '13800138000' },
};

describe('Open311 request adapter', () => {
  it('turns a checked request into one open311 event from the client, labelled for the rules', () => {
    const text = JSON.stringify(payload);
    expect(adaptOpen311Request(Buffer.from(text))).toEqual({
      ok: true,
      events: [
        {
          eventId: payload.token,
          source: 'open311',
          sourceKind: 'feed',
          deviceId: 'open311.hotline-12345',
          occurredAt: new Date('2026-12-04T01:02:03.000Z'),
          location: { lat: 23.123456, lng: 113.254321 },
          zones: [],
          detections: [{ label: 'garbage', confidence: 1 }],
          media: [{ kind: 'photo', uri: 'https://img.example/8812.jpg' }],
          attributes: { open311Client: 'hotline-12345', serviceCode: 'exposed-garbage', description: 'construction waste by the bus stop' },
          raw: text,
        },
      ],
    });
  });

  it('keeps a report without a position unplaced, its address for the operator', () => {
    const { position: _position, mediaUrl: _mediaUrl, ...rest } = payload;
    const r = adaptOpen311Request(JSON.stringify({ ...rest, addressString: 'Yunxi Road 8' }));
    expect(r.ok && r.events[0]).toMatchObject({ location: undefined, media: [], attributes: { addressString: 'Yunxi Road 8' } });
  });

  it.each([
    ['not JSON', '{', 'not-json'],
    ['no token', JSON.stringify({ ...payload, token: undefined }), 'invalid-schema'],
    ['an unknown field', JSON.stringify({ ...payload, plate: 'x' }), 'invalid-schema'],
    ['a position off the globe', JSON.stringify({ ...payload, position: { lat: 91, lng: 0 } }), 'invalid-schema'],
  ])('refuses %s', (_what, body, reason) => {
    const r = adaptOpen311Request(body);
    expect(r.ok ? 'accepted' : r.rejection.reason).toBe(reason);
  });
});
