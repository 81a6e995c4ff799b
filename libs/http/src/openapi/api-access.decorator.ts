import { ACCESS_KEY, type AccessRule } from '@app/core';
import { ApiBasicAuth, ApiBearerAuth, ApiExtension, ApiOperation } from '@nestjs/swagger';

/** Security scheme names (registered on the document in configureHttpApp). */
export const BEARER_AUTH = 'bearer';
export const DEVICE_BASIC_AUTH = 'device-basic';
export const STREAM_TOKEN_AUTH = 'stream-token';

/**
 * Documents who may call each route of the controller from its @Access rule (the one the guard enforces): an
 * `x-roles` extension (empty, with `x-public: true`, for a public route), a line in the description, and the
 * security scheme (bearer token; HTTP Basic for a device; none when public). A class decorator because class
 * decorators run after every method decorator, whatever order a method's decorators are written in.
 */
export function ApiAccess(): ClassDecorator {
  return (target) => {
    const prototype = target.prototype as object;
    const classRule = Reflect.getMetadata(ACCESS_KEY, target) as AccessRule | undefined;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
      if (name === 'constructor' || typeof descriptor?.value !== 'function') continue;
      const rule = (Reflect.getMetadata(ACCESS_KEY, descriptor.value as object) as AccessRule | undefined) ?? classRule;
      // No rule: the guard denies it to all, and the OpenAPI test names it.
      if (!rule) continue;
      for (const decorate of documentation(rule)) decorate(prototype, name, descriptor);
    }
  };
}

function documentation(rule: AccessRule): MethodDecorator[] {
  if (rule.public) return [ApiExtension('x-roles', []), ApiExtension('x-public', true), ApiOperation({ summary: undefined, description: 'Public: no login.' })];
  const people = rule.roles.filter((r) => r !== 'device');
  const lines = [
    ...(people.length > 0 ? [`Roles: ${people.join(', ')}.`] : []),
    ...(rule.roles.includes('device') ? ['Devices: HTTP Basic with the device id and password.'] : []),
  ];
  return [
    ApiExtension('x-roles', [...rule.roles]),
    ApiOperation({ summary: undefined, description: lines.join(' ') }),
    ...(people.length > 0 ? [ApiBearerAuth(BEARER_AUTH)] : []),
    ...(rule.roles.includes('device') ? [ApiBasicAuth(DEVICE_BASIC_AUTH)] : []),
  ];
}
