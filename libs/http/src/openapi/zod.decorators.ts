import { Body, Param, Query } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiParam, ApiQuery, ApiResponse, type SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodValidationPipe } from '../zod-validation.pipe';
import { openApiSchemaOf } from './json-schema';
import type { SameShape, WireBody } from './json-type';

/**
 * The request's zod schemas do both jobs: a parameter decorator here validates with ZodValidationPipe (400 naming
 * every bad field, as before) and declares the same schema in the OpenAPI document, so the two cannot drift.
 */

/** A method decorator applied from a parameter decorator: Swagger keeps operation metadata on the method. */
function onMethod(target: object, key: string | symbol | undefined, decorator: MethodDecorator): void {
  const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
  if (key === undefined || !descriptor) throw new Error('a Zod parameter decorator belongs on a route method');
  decorator(target, key, descriptor);
}

/** `@ZodBody(schema) body`: the JSON body, validated and documented as the request body. */
export function ZodBody<T>(schema: z.ZodType<T>): ParameterDecorator {
  return (target, key, index) => {
    Body(new ZodValidationPipe(schema))(target, key, index);
    onMethod(target, key, ApiBody({ required: true, schema: openApiSchemaOf(schema, 'input') }));
  };
}

/** `@ZodQuery(schema) query`: the query string, validated and documented one parameter per property. */
export function ZodQuery<T>(schema: z.ZodType<T>): ParameterDecorator {
  return (target, key, index) => {
    Query(new ZodValidationPipe(schema))(target, key, index);
    onMethod(target, key, DocumentQuery(schema));
  };
}

/** `@ZodParam('name', schema) value`: a path parameter, validated and documented. */
export function ZodParam<T>(name: string, schema: z.ZodType<T>): ParameterDecorator {
  return (target, key, index) => {
    Param(name, new ZodValidationPipe(schema))(target, key, index);
    onMethod(target, key, ApiParam({ name, required: true, schema: openApiSchemaOf(schema, 'input') }));
  };
}

/** Documents a query an endpoint reads itself (Open311 parses its own, with its own error format). */
export function DocumentQuery(schema: z.ZodType): MethodDecorator {
  const json = openApiSchemaOf(schema, 'input');
  const required = new Set(json.required ?? []);
  return (target, key, descriptor) => {
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const description = 'description' in property ? property.description : undefined;
      ApiQuery({ name, required: required.has(name), schema: property, description })(target, key, descriptor);
    }
  };
}

type ResponseCheck<M, S extends z.ZodType> =
  SameShape<WireBody<M>, z.output<S>> extends true
    ? unknown
    : { 'the response schema does not match what the method returns': { returns: WireBody<M>; schema: z.output<S> } };

/**
 * A JSON success response, documented from its zod schema. Documentation only: answers are not validated at
 * runtime. The type check is: the method's answer, as JSON, and the schema's type are assignable both ways.
 */
export function ZodResponse<S extends z.ZodType>(status: number, schema: S, description = 'OK') {
  const content = { 'application/json': { schema: openApiSchemaOf(schema, 'output') } };
  return <M extends (...args: never[]) => unknown>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M> & ResponseCheck<M, S>,
  ): void => {
    ApiResponse({ status, description, content })(target, key, descriptor);
  };
}

/** A success response that is not JSON: a picture, an event stream, plain text. */
export function ContentResponse(
  status: number,
  contentType: string | string[],
  description: string,
  schema: SchemaObject = { type: 'string', format: 'binary' },
): MethodDecorator {
  const types = Array.isArray(contentType) ? contentType : [contentType];
  return ApiResponse({ status, description, content: Object.fromEntries(types.map((t) => [t, { schema }])) });
}

/** A success answered with no body (204). */
export function NoContentResponse(description: string): MethodDecorator {
  return ApiResponse({ status: 204, description });
}

/**
 * A multipart/form-data upload: the fields (each describing the files after it, as the upload reads them) and the
 * repeated `file` parts. Documentation only: the body is streamed, never parsed by a pipe.
 */
export function MultipartBody(description: string, fields: Record<string, string>): MethodDecorator {
  const properties = {
    ...Object.fromEntries(Object.entries(fields).map(([name, about]) => [name, { type: 'string', description: about }])),
    file: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'the files, any part name' },
  };
  return (target, key, descriptor) => {
    ApiConsumes('multipart/form-data')(target, key, descriptor);
    ApiBody({ required: true, description, schema: { type: 'object', properties } })(target, key, descriptor);
  };
}
