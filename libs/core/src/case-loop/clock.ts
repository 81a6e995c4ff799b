import { Injectable } from '@nestjs/common';

/**
 * The time the case loop acts at (transitions, deadlines, escalation). One injectable instance, so a test
 * can fix it (`jest.spyOn(app.get(Clock), 'now')`) and walk a case across a weekend or a holiday.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
