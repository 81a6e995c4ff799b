export * from './inbound-message';
export * from './mqtt-ingest.transport';
export * from './kafka-ingest.transport';
export * from './embedded-mqtt-broker';
