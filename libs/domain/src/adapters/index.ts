// Public surface of the source adapters. Helpers (adapter-support, adapter-test-support) stay internal.
export * from './frigate-event.adapter';
export * from './dji-cloud.adapter';
export * from './hikvision-isapi.adapter';
export * from './department-feed.adapter';
export * from './department-feed.examples';
export * from './open311-request.adapter';
export { readXml, xmlChild, xmlChildText, xmlFind, xmlNamespaceOf } from './xml-reader';
export type { XmlElement, XmlReadLimits, XmlReadResult } from './xml-reader';
