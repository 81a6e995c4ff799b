import { BadRequestException, PipeTransform } from '@nestjs/common';
import { describeZodError } from '@app/domain';
import { z } from 'zod';

/** Validates a body or query against a schema; a 400 names every bad field. */
export class ZodValidationPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: z.ZodType<T>) {}
  transform(value: unknown): T {
    // PostgreSQL text and jsonb cannot hold U+0000: refused here, with the field, rather than failing in SQL (500).
    const nul = pathToNul(value);
    if (nul !== undefined) throw new BadRequestException(`${nul.slice(0, 200)}: must not contain NUL characters`);
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) throw new BadRequestException(describeZodError(parsed.error));
    return parsed.data;
  }
}

/** The path of the first string (value or key) holding U+0000, or undefined. Iterative: any depth is fine. */
function pathToNul(value: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: '(root)' }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop() as { value: unknown; path: string };
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: path === '(root)' ? String(i) : `${path}.${i}` }));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        const at = path === '(root)' ? key : `${path}.${key}`;
        if (key.includes('\u0000')) return at.split('\u0000').join('\\u0000');
        stack.push({ value: item, path: at });
      }
    }
  }
  return undefined;
}
