import { Catch, Controller, Get, type INestApplication, UseFilters } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA } from '@nestjs/common/constants';
import { BaseExceptionFilter } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { TransitionRefused } from '@app/core';
import { TRANSITION_ERROR_CODES, type TransitionErrorCode } from '@app/domain';
import { CaseLoopController } from './case-loop.controller';
import { CaseLoopHttpModule } from './case-loop-http.module';
import { TRANSITION_REFUSAL_HTTP_STATUS, TransitionRefusedFilter, transitionRefusalBody } from './transition-refused.filter';

describe('TRANSITION_REFUSAL_HTTP_STATUS', () => {
  it('gives every refusal code a status: 403 role or scope, 409 state or review, 422 input', () => {
    const expected: Record<TransitionErrorCode, number> = {
      'forbidden-role': 403,
      'out-of-scope': 403,
      'invalid-state': 409,
      'review-required': 409,
      'missing-reason': 422,
      'invalid-input': 422,
    };
    for (const code of TRANSITION_ERROR_CODES) expect(TRANSITION_REFUSAL_HTTP_STATUS[code]).toBe(expected[code]);
    expect(Object.keys(TRANSITION_REFUSAL_HTTP_STATUS).sort()).toEqual([...TRANSITION_ERROR_CODES].sort());
  });

  it('keeps the body clients had: statusCode, the code as error, the message', () => {
    const refused = new TransitionRefused({ ok: false, code: 'review-required', message: 'review it first (art. 41)' });
    expect(transitionRefusalBody(refused)).toEqual({ statusCode: 409, error: 'review-required', message: 'review it first (art. 41)' });
  });
});

/** Like DatabaseUnavailableFilter: catches everything and is added with useGlobalFilters. */
@Catch()
class CatchAll extends BaseExceptionFilter {}

@Controller('t')
@UseFilters(TransitionRefusedFilter)
class RefusingController {
  @Get()
  refuse(): never {
    throw new TransitionRefused({ ok: false, code: 'missing-reason', message: 'A reason is required to reject a case.' });
  }
}

describe('TransitionRefusedFilter', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [RefusingController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new CatchAll(app.getHttpAdapter()));
    await app.init();
  });

  afterAll(() => app.close());

  it('answers with the mapped status and body, ahead of a catch-all global filter', async () => {
    const res = await request(app.getHttpServer()).get('/t');
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ statusCode: 422, error: 'missing-reason', message: 'A reason is required to reject a case.' });
  });

  it('is bound to the case loop controllers by CaseLoopHttpModule', () => {
    expect(CaseLoopHttpModule).toBeDefined();
    expect(Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, CaseLoopController)).toContain(TransitionRefusedFilter);
  });
});
