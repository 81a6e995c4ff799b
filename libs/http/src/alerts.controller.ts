import { Controller, MessageEvent, Sse } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, AlertService, CASE_READERS, CurrentActor } from '@app/core';
import type { Actor } from '@app/domain';
import { map, Observable } from 'rxjs';

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertService) {}

  /** Server-Sent Events: one `data:` JSON line per alert. Bearer header, or `?token=` from /auth/stream-token. */
  @Sse('stream')
  @Access(...CASE_READERS)
  stream(@CurrentActor() actor: Actor): Observable<MessageEvent> {
    return this.alerts.stream(actor).pipe(map((alert) => ({ data: alert, type: 'alert' })));
  }
}
