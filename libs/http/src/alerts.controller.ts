import { Controller, MessageEvent, Sse } from '@nestjs/common';
import { ApiExtension, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Access, AlertService, CASE_READERS, CurrentActor, type LiveAlert } from '@app/core';
import type { Actor } from '@app/domain';
import type { z } from 'zod';
import { map, Observable } from 'rxjs';
import { ApiAccess, ContentResponse, openApiSchemaOf, STREAM_TOKEN_AUTH, type Jsonified, type SameShape } from './openapi';
import { liveAlertSchema } from './openapi/cases.schemas';

// The event data is documented from liveAlertSchema; it must say what the service streams.
const _alertDocumented: SameShape<Jsonified<LiveAlert>, z.output<typeof liveAlertSchema>> = true;

@ApiTags('alerts')
@ApiAccess()
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertService) {}

  /** Server-Sent Events: one `data:` JSON line per alert. Bearer header, or `?token=` from /auth/stream-token. */
  @Sse('stream')
  @Access(...CASE_READERS)
  @ApiSecurity(STREAM_TOKEN_AUTH)
  @ContentResponse(200, 'text/event-stream', 'Server-Sent Events: one `alert` event per alert, its `data` a JSON alert (schema in x-event-data)', {
    type: 'string',
  })
  @ApiExtension('x-event-data', openApiSchemaOf(liveAlertSchema, 'output'))
  stream(@CurrentActor() actor: Actor): Observable<MessageEvent> {
    return this.alerts.stream(actor).pipe(map((alert) => ({ data: alert, type: 'alert' })));
  }
}
