import type { OpenAPIObject, OperationObject, RequestBodyObject, ResponseObject } from '@nestjs/swagger';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const WITH_BODY = new Set<string>(['post', 'put', 'patch']);

/**
 * What the document fails to say about an operation, one line each (empty when complete): who may call it
 * (`x-roles`, or `x-public`), the schema of a request body it declares, and a described success response with
 * its content (204 has none). Checked by the OpenAPI tests, on the document the API serves.
 */
export function documentGaps(document: OpenAPIObject, expectBody: (method: string, path: string) => boolean = () => false): string[] {
  const gaps: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method] as (OperationObject & Record<string, unknown>) | undefined;
      if (!op) continue;
      const name = `${method.toUpperCase()} ${path}`;
      const roles = op['x-roles'];
      const isPublic = op['x-public'] === true;
      if (!Array.isArray(roles) || (roles.length === 0) !== isPublic) gaps.push(`${name}: no roles (x-roles) and not public`);
      if (!isPublic && !(op.security ?? []).length) gaps.push(`${name}: no security scheme`);
      if (isPublic && (op.security ?? []).length) gaps.push(`${name}: public, but asks for credentials`);
      if (!op.description?.match(/^(Roles: |Public: |Devices: )/)) gaps.push(`${name}: the description does not say who may call it`);
      const body = op.requestBody as RequestBodyObject | undefined;
      if (body) {
        for (const [type, media] of Object.entries(body.content ?? {})) if (!media.schema) gaps.push(`${name}: request body ${type} without a schema`);
      } else if (WITH_BODY.has(method) && expectBody(method, path)) gaps.push(`${name}: no request body`);
      const success = Object.entries(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
      if (success.length === 0) gaps.push(`${name}: no success response`);
      for (const [status, response] of success as [string, ResponseObject][]) {
        if (!response.description || response.description === '') gaps.push(`${name}: ${status} not described`);
        const content = Object.entries(response.content ?? {});
        if (status !== '204' && content.length === 0) gaps.push(`${name}: ${status} without content`);
        for (const [type, media] of content) if (!media.schema) gaps.push(`${name}: ${status} ${type} without a schema`);
      }
    }
  }
  return gaps;
}
