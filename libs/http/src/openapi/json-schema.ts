import type { SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * A zod schema as an OpenAPI 3.0 schema object (zod's own JSON Schema conversion, OpenAPI target). `input` for
 * what a client sends (defaults optional, before transforms), `output` for what the API answers.
 */
export function openApiSchemaOf(schema: z.ZodType, io: 'input' | 'output'): SchemaObject {
  // Refinements and transforms have no JSON Schema: they are left out (the pipe still applies them).
  const json: Record<string, unknown> = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
    cycles: 'throw',
    override: dropSafeIntegerBounds,
  });
  delete json.$schema;
  return json;
}

/** `z.number().int()` bounds itself to the safe integers; said on every count, that is noise. */
function dropSafeIntegerBounds({ jsonSchema }: { jsonSchema: Record<string, unknown> }): void {
  if (jsonSchema.type !== 'integer') return;
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
}
