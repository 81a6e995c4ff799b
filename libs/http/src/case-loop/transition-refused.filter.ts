import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TransitionRefused } from '@app/core';
import type { TransitionErrorCode } from '@app/domain';

/** The HTTP status of each refusal: 403 role or scope, 409 state or the art. 41 review gate, 422 the input. */
export const TRANSITION_REFUSAL_HTTP_STATUS: Readonly<Record<TransitionErrorCode, 403 | 409 | 422>> = {
  'forbidden-role': 403,
  'out-of-scope': 403,
  'invalid-state': 409,
  'review-required': 409,
  'missing-reason': 422,
  'invalid-input': 422,
};

/** The error body clients get: the status, the domain's code as `error` and its message (the reason). */
export function transitionRefusalBody(refused: TransitionRefused): { statusCode: 403 | 409 | 422; error: TransitionErrorCode; message: string } {
  return { statusCode: TRANSITION_REFUSAL_HTTP_STATUS[refused.failure.code], error: refused.failure.code, message: refused.failure.message };
}

/** Answers a refused case transition with its status and body; the core that refuses knows nothing of HTTP. */
@Catch(TransitionRefused)
export class TransitionRefusedFilter implements ExceptionFilter<TransitionRefused> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(refused: TransitionRefused, host: ArgumentsHost): void {
    const body = transitionRefusalBody(refused);
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, body.statusCode);
  }
}
