import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, Open311ReadService } from '@app/core';
import { ApiAccess, DocumentQuery, ZodResponse } from '../openapi';
import { open311RequestsQuery, open311RequestsSchema, open311ServicesSchema } from '../openapi/loop.schemas';

/** Open311 GeoReport v2, read only, public: no login and no personal data, so any origin may read it (CORS). */
@ApiTags('open311')
@ApiAccess()
@Controller('open311/v2')
export class Open311Controller {
  constructor(private readonly open311: Open311ReadService) {}

  @Get('services.json')
  @Header('Access-Control-Allow-Origin', '*')
  @Access.public()
  @ZodResponse(200, open311ServicesSchema, 'the service types (case categories)')
  services() {
    return this.open311.services();
  }

  /** Filters: service_request_id, service_code, status (open|closed), start_date, end_date; at most 1000. */
  @Get('requests.json')
  @Header('Access-Control-Allow-Origin', '*')
  @Access.public()
  @DocumentQuery(open311RequestsQuery)
  @ZodResponse(200, open311RequestsSchema, 'reviewed cases, at most 1000')
  requests(@Query() query: Record<string, unknown>) {
    return this.open311.requests(query);
  }

  @Get('requests/:id.json')
  @Header('Access-Control-Allow-Origin', '*')
  @Access.public()
  @ZodResponse(200, open311RequestsSchema, 'the one request, in a list (GeoReport v2)')
  request(@Param('id') id: string) {
    return this.open311.request(id);
  }
}
