import { Test } from '@nestjs/testing';
import { SwaggerModule, type OpenAPIObject, type OperationObject, type ResponseObject } from '@nestjs/swagger';
import { RUNTIME_OPTIONS } from '@app/core';
import { HttpApiModule, openApiConfig } from '../http-api.module';
import { documentGaps } from './document-gaps';

// Every service is a stand-in: building the document only reads the controllers' metadata.
const district = { townships: [], grids: [], places: [], ruleSet: { timezone: 'UTC', categories: [] }, routing: { units: [] } };

async function buildDocument(): Promise<OpenAPIObject> {
  const moduleRef = await Test.createTestingModule({ imports: [HttpApiModule] })
    .useMocker((token) => (token === RUNTIME_OPTIONS ? { district } : {}))
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    return SwaggerModule.createDocument(app, openApiConfig());
  } finally {
    await app.close();
  }
}

const operation = (doc: OpenAPIObject, method: 'get' | 'post', path: string) => doc.paths[path][method] as OperationObject & Record<string, unknown>;

describe('the OpenAPI document, from the controllers’ decorators', () => {
  let doc: OpenAPIObject;
  beforeAll(async () => {
    doc = await buildDocument();
  });

  it('says for every operation who may call it, its body schema and its success response', () => {
    expect(documentGaps(doc)).toEqual([]);
  });

  it('takes the roles from @Access, with the security scheme that goes with them', () => {
    const cases = operation(doc, 'get', '/api/v1/cases');
    expect(cases['x-roles']).toEqual(['operator', 'supervisor', 'admin', 'township_officer']);
    expect(cases.description).toBe('Roles: operator, supervisor, admin, township_officer.');
    expect(cases.security).toEqual([{ bearer: [] }]);
    const hikvision = operation(doc, 'post', '/api/v1/ingest/hikvision');
    expect([hikvision['x-roles'], hikvision.security]).toEqual([['device'], [{ 'device-basic': [] }]]);
    const login = operation(doc, 'post', '/api/v1/auth/login');
    expect([login['x-roles'], login['x-public'], login.security]).toEqual([[], true, undefined]);
    expect(operation(doc, 'get', '/api/v1/alerts/stream').security).toEqual([{ 'stream-token': [] }, { bearer: [] }]);
  });

  it('declares request bodies and queries from the zod schemas that validate them', () => {
    const login = operation(doc, 'post', '/api/v1/auth/login');
    expect(login.requestBody).toEqual({
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: { username: { type: 'string', minLength: 1, maxLength: 100 }, password: { type: 'string', minLength: 1, maxLength: 200 } },
            required: ['username', 'password'],
            additionalProperties: false,
          },
        },
      },
    });
    const figures = operation(doc, 'get', '/api/v1/figures').parameters ?? [];
    expect(figures.map((p) => ('name' in p ? [p.name, p.in, p.required] : p))).toEqual([
      ['from', 'query', true],
      ['to', 'query', true],
      ['by', 'query', false],
    ]);
  });

  it('gives binary and text answers their content type', () => {
    const content = (path: string) => Object.keys((operation(doc, 'get', path).responses['200'] as ResponseObject).content ?? {});
    expect(content('/metrics')).toEqual(['text/plain']);
    expect(content('/api/v1/alerts/stream')).toEqual(['text/event-stream']);
    expect(content('/api/v1/cases/{id}/pictures/{sha256}/{variant}')).toContain('image/jpeg');
  });
});
