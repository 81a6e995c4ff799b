/** A message as a transport received it, before any adapter looked at it. */
export interface InboundMessage {
  transport: 'mqtt' | 'kafka' | 'http';
  topic: string;
  payload: Buffer;
  receivedAt: Date;
  /** Kafka record key / MQTT client hint, when the transport has one. */
  key?: string;
  /**
   * The device the transport authenticated (HTTP pushes), or the one an authenticated source may speak for in
   * this message (the embedded broker: an NVR's own camera named in a Frigate event, else the NVR itself): its
   * events may only name that device.
   */
  authenticatedDeviceId?: string;
  /** Id of the dead letter this message replays (POST /api/v1/dead-letters/replay): a person chose to store it, so the rate limit does not apply. */
  replayOfDeadLetter?: string;
  /**
   * Pictures that came with the message (the image parts of a multipart alarm), stored already by the imagery
   * pipeline, or refused with the reason: its events name them, and a refused one is recorded missing.
   */
  pictures?: ({ sha256: string } | { refused: { reason: string; detail: string; sha256?: string } })[];
}

/**
 * Stores a batch durably and resolves only when it is committed. Transports acknowledge (MQTT PUBACK,
 * Kafka offset commit) after this resolves, never before; a rejection means "deliver again".
 */
export type BatchHandler = (batch: InboundMessage[]) => Promise<void>;
