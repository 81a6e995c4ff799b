export * from './inbound-message';
export * from './mqtt-ingest.transport';
export * from './kafka-ingest.transport';
export * from './ingest-envelope';
export * from './mqtt-kafka.gateway';
export * from './embedded-mqtt-broker';
