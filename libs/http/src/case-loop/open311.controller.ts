import { Controller, Get, Header, Param, Post, Query, Req, UseFilters } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiResponse, ApiTags, type SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';
import { Access, Open311ReadService } from '@app/core';
import { Open311IntakeService } from '@app/ingest';
import type { Request } from 'express';
import { ApiAccess, ContentResponse, DocumentQuery, openApiSchemaOf, ZodResponse } from '../openapi';
import { open311RequestsQuery, open311RequestsSchema, open311ServicesSchema } from '../openapi/loop.schemas';
import { open311Form } from './open311-form';
import { Open311ErrorsFilter } from './open311-errors.filter';

const XML = 'text/xml; charset=utf-8';

const open311ErrorsSchema = z.array(z.object({ code: z.number().int(), description: z.string() }));
const ERRORS_ABOUT: Record<number, string> = {
  400: 'GeoReport v2 errors: a field is missing or invalid',
  403: 'GeoReport v2 errors: api_key missing or not valid',
  404: 'GeoReport v2 errors: not found',
  413: 'GeoReport v2 errors: the media picture is too large',
  429: "GeoReport v2 errors: over the client's requests per minute",
};

/** The GeoReport v2 error answers of an operation, in its format (Open311ErrorsFilter writes them). */
function Open311Errors(format: 'json' | 'xml', ...statuses: number[]): MethodDecorator {
  const content: Record<string, { schema: SchemaObject }> =
    format === 'json'
      ? { 'application/json': { schema: openApiSchemaOf(open311ErrorsSchema, 'output') } }
      : { 'text/xml': { schema: { type: 'string' as const, description: '<errors><error><code/><description/></error></errors>' } } };
  return (target, key, descriptor) => {
    for (const status of statuses) ApiResponse({ status, description: ERRORS_ABOUT[status], content })(target, key, descriptor);
  };
}

/** POST /requests: the GeoReport v2 fields (form-urlencoded, JSON, or multipart with a `media` picture). */
export const open311PostBody = z.object({
  api_key: z.string().describe("the client's API key (issued by the district; 403 when missing or unknown)"),
  service_code: z.string().describe('a service_code of services.json'),
  lat: z.number().optional().describe('WGS-84 latitude; with long'),
  long: z.number().optional().describe('WGS-84 longitude; with lat'),
  address_string: z.string().optional().describe('where, in words, when lat/long are not known'),
  description: z.string().max(4000).optional(),
  media_url: z.string().optional().describe('a picture on the client’s storage, kept as a reference'),
  email: z.string().optional().describe('personal data: kept for staff, never published'),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  phone: z.string().optional(),
  device_id: z.string().optional().describe('the reporting phone or kiosk, as the client names it'),
  account_id: z.string().optional().describe('the reporter’s account at the client'),
});

export const open311PostedSchema = z.array(
  z.object({
    service_request_id: z.string().optional().describe('the case number, when the case is opened already'),
    token: z.string().optional().describe('else: ask GET /tokens/{token}.json for the case number later'),
    service_notice: z.string(),
    account_id: z.string().nullable(),
  }),
);

export const open311TokenSchema = z.array(z.object({ service_request_id: z.string().nullable(), token: z.string() }));

export const open311DiscoverySchema = z.object({
  changeset: z.string(),
  contact: z.string(),
  key_service: z.string(),
  endpoints: z.array(
    z.object({
      specification: z.string(),
      url: z.string(),
      changeset: z.string(),
      type: z.enum(['production', 'test']),
      formats: z.array(z.string()),
    }),
  ),
});

const postSchema = openApiSchemaOf(open311PostBody, 'input');
/** The same fields in every body type; multipart may add the `media` picture. */
const POST_BODY_DOC = {
  required: true,
  description: 'GeoReport v2 request fields (form-urlencoded as the spec says, JSON, or multipart with a `media` picture)',
  schema: {
    ...postSchema,
    properties: { ...(postSchema.properties ?? {}), media: { type: 'string' as const, format: 'binary', description: 'multipart only: a picture' } },
  },
};

/**
 * Open311 GeoReport v2, public: no login and no personal data in any answer, so any origin may read it (CORS).
 * JSON and XML alike (GeoReport v2 requires XML); errors in GeoReport form (Open311ErrorsFilter). POST needs a
 * client's API key, checked by the service (public at the HTTP-auth level: the key is the client's credential).
 */
@ApiTags('open311')
@ApiAccess()
@UseFilters(Open311ErrorsFilter)
@Controller('open311/v2')
export class Open311Controller {
  constructor(
    private readonly open311: Open311ReadService,
    private readonly intake: Open311IntakeService,
  ) {}

  @Get('discovery.json')
  @Header('Access-Control-Allow-Origin', '*')
  @Access.public()
  @ZodResponse(200, open311DiscoverySchema, 'where the GeoReport v2 endpoint is, its formats and whom to ask for a key')
  discovery() {
    return this.intake.discovery();
  }

  @Get('discovery.xml')
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Content-Type', XML)
  @Access.public()
  @ContentResponse(200, 'text/xml', 'discovery as XML (`<discovery>`)', { type: 'string' })
  discoveryXml() {
    return this.intake.discoveryXml();
  }

  @Get('services.json')
  @Header('Access-Control-Allow-Origin', '*')
  @Access.public()
  @ZodResponse(200, open311ServicesSchema, 'the service types (case categories)')
  services() {
    return this.open311.services();
  }

  @Get('services.xml')
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Content-Type', XML)
  @Access.public()
  @ContentResponse(200, 'text/xml', 'the service types as XML (`<services><service>…`)', { type: 'string' })
  servicesXml() {
    return this.open311.servicesXml();
  }

  /** Filters: service_request_id, service_code, status (open|closed), start_date, end_date; at most 1000. */
  @Get('requests.json')
  @Open311Errors('json', 400)
  @Header('Access-Control-Allow-Origin', '*')
  @Access.public()
  @DocumentQuery(open311RequestsQuery)
  @ZodResponse(200, open311RequestsSchema, 'reviewed cases, at most 1000')
  requests(@Query() query: Record<string, unknown>) {
    return this.open311.requests(query);
  }

  /** The same filters as requests.json. */
  @Get('requests.xml')
  @Open311Errors('xml', 400)
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Content-Type', XML)
  @Access.public()
  @DocumentQuery(open311RequestsQuery)
  @ContentResponse(200, 'text/xml', 'reviewed cases as XML (`<service_requests><request>…`), at most 1000', { type: 'string' })
  requestsXml(@Query() query: Record<string, unknown>) {
    return this.open311.requestsXml(query);
  }

  @Get('requests/:id.json')
  @Open311Errors('json', 404)
  @Header('Access-Control-Allow-Origin', '*')
  @Access.public()
  @ZodResponse(200, open311RequestsSchema, 'the one request, in a list (GeoReport v2)')
  request(@Param('id') id: string) {
    return this.open311.request(id);
  }

  @Get('requests/:id.xml')
  @Open311Errors('xml', 404)
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Content-Type', XML)
  @Access.public()
  @ContentResponse(200, 'text/xml', 'the one request as XML, in `<service_requests>`', { type: 'string' })
  requestXml(@Param('id') id: string) {
    return this.open311.requestXml(id);
  }

  /** A client (hotline, citizen app) reports an issue; 403 wrong key, 429 over the client's rate, 400 bad fields. */
  @Post('requests.json')
  @Open311Errors('json', 400, 403, 413, 429)
  @Header('Access-Control-Allow-Origin', '*')
  @Access.public()
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json', 'multipart/form-data')
  @ApiBody(POST_BODY_DOC)
  @ZodResponse(201, open311PostedSchema, 'the case number, or a token while the case number is not known yet')
  submit(@Req() req: Request) {
    return this.intake.submit(open311Form(req));
  }

  @Post('requests.xml')
  @Open311Errors('xml', 400, 403, 413, 429)
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Content-Type', XML)
  @Access.public()
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json', 'multipart/form-data')
  @ApiBody(POST_BODY_DOC)
  @ContentResponse(201, 'text/xml', 'as requests.json, in `<service_requests><request>`', { type: 'string' })
  submitXml(@Req() req: Request) {
    return this.intake.submitXml(open311Form(req));
  }

  @Get('tokens/:token.json')
  @Open311Errors('json', 404)
  @Header('Access-Control-Allow-Origin', '*')
  @Access.public()
  @ZodResponse(200, open311TokenSchema, "the request's case number once known (null until then)")
  token(@Param('token') token: string) {
    return this.intake.token(token);
  }

  @Get('tokens/:token.xml')
  @Open311Errors('xml', 404)
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Content-Type', XML)
  @Access.public()
  @ContentResponse(200, 'text/xml', 'as tokens/{token}.json, in `<service_requests><request>`', { type: 'string' })
  tokenXml(@Param('token') token: string) {
    return this.intake.tokenXml(token);
  }
}
