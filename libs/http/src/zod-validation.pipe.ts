import { BadRequestException, PipeTransform } from '@nestjs/common';
import { describeZodError, jsonbSafeText, whyNotJsonbSafe } from '@app/domain';
import { z } from 'zod';

/** Validates a body or query against a schema; a 400 names every bad field. */
export class ZodValidationPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: z.ZodType<T>) {}
  transform(value: unknown): T {
    // PostgreSQL text and jsonb cannot hold U+0000, and jsonb refuses a lone surrogate (text would keep U+FFFD in its
    // place): refused here, with the field, rather than failing in SQL (a 500, or an audit entry not written).
    const bad = firstUnstorable(value);
    if (bad !== undefined) throw new BadRequestException(`${bad.path.slice(0, 200)}: ${bad.why}`);
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) throw new BadRequestException(describeZodError(parsed.error));
    return parsed.data;
  }
}

/** The path of the first string (value or key) PostgreSQL cannot store as it is, and why. Iterative: any depth. */
function firstUnstorable(value: unknown): { path: string; why: string } | undefined {
  const printable = (path: string) => jsonbSafeText(path.split('\u0000').join('\\u0000'));
  const stack: { value: unknown; path: string }[] = [{ value, path: '(root)' }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop() as { value: unknown; path: string };
    if (typeof v === 'string') {
      const why = whyNotJsonbSafe(v);
      if (why) return { path: printable(path), why };
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: path === '(root)' ? String(i) : `${path}.${i}` }));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        const at = path === '(root)' ? key : `${path}.${key}`;
        const why = whyNotJsonbSafe(key);
        if (why) return { path: printable(at), why };
        stack.push({ value: item, path: at });
      }
    }
  }
  return undefined;
}
