import { BadRequestException, PipeTransform } from '@nestjs/common';
import { describeZodError } from '@app/domain';
import { z } from 'zod';

/** Validates a body or query against a schema; a 400 names every bad field. */
export class ZodValidationPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: z.ZodType<T>) {}
  transform(value: unknown): T {
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) throw new BadRequestException(describeZodError(parsed.error));
    return parsed.data;
  }
}
