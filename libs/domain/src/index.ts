export * from './event/canonical-event';
export * from './event/device-register';
export * from './event/generic-event.adapter';
export * from './event/payload';
export * from './classification/rule-set';
export * from './classification/classify';
