import { SetMetadata } from '@nestjs/common';
import type { Role } from '@app/domain';

export const ACCESS_KEY = 'cloudpatrol:access';
export type AccessRule = { public: true } | { public: false; roles: readonly Role[] };

/**
 * Every endpoint says who may call it, in this one decorator. An endpoint without it is denied to all.
 * `@Access('operator', 'supervisor')` or `@Access.public()`.
 */
export function Access(...roles: Role[]): MethodDecorator & ClassDecorator {
  return SetMetadata(ACCESS_KEY, { public: false, roles } satisfies AccessRule);
}
Access.public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY, { public: true } satisfies AccessRule);

/** Staff roles that read cases and alerts. */
export const CASE_READERS: Role[] = ['operator', 'supervisor', 'admin', 'township_officer'];
