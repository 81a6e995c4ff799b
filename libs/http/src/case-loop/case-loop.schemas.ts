import { CASE_ACTIONS } from '@app/domain';
import { DELIVERY_METHODS, FIGURE_GROUPINGS } from '@app/core';
import { z } from 'zod';

/** Free text: bounded, and without NUL (PostgreSQL text and jsonb cannot hold it). */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

/**
 * Shape only; which fields an action needs, and whether they make sense, is the state machine's call
 * (it answers 422 with the reason), so every action shares one body.
 */
export const transitionBody = z
  .object({
    action: z.enum(CASE_ACTIONS),
    reason: text(4000).optional(),
    note: text(4000).optional(),
    unit: text(100).min(1).optional(),
    townshipCode: text(50).min(1).optional(),
    evidenceUsableForPenalty: z.boolean().optional(),
    resultNote: text(4000).optional(),
    photos: z.array(text(512).min(1)).max(20).optional(),
    to: z.enum(['in_progress', 'dispatched']).optional(),
  })
  .strict();
export type TransitionBody = z.infer<typeof transitionBody>;

/** Read by FiguresService: a date alone is the district's day (00:00 +08:00), not UTC midnight. */
const periodBound = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .describe('a date (YYYY-MM-DD: 00:00 of that day in the district, +08:00) or an instant with its offset; the period is [from, to)');

export const figuresQuery = z
  .object({
    from: periodBound,
    to: periodBound,
    by: z.enum(FIGURE_GROUPINGS).default('township'),
  })
  .strict();
export type FiguresQuery = z.infer<typeof figuresQuery>;

export const figuresExportQuery = figuresQuery
  .extend({
    format: z.enum(['xlsx', 'csv']),
    sheet: z.enum(['figures', 'overdue']).default('figures').describe('csv only: which table (the workbook holds both)'),
    lang: z.enum(['zh', 'en']).default('zh'),
  })
  .strict();
export type FiguresExportQuery = z.infer<typeof figuresExportQuery>;

export const partyLookupBody = z
  .object({
    caseNumber: text(40).refine((s) => s.trim().length > 0, 'the case number from the notice'),
    verification: text(40).refine((s) => s.trim().length > 0, 'the plate, or the code from the notice letter'),
  })
  .strict();
export type PartyLookupBody = z.infer<typeof partyLookupBody>;

export const partyStatementBody = partyLookupBody
  .extend({
    statement: text(10_000).refine((s) => s.trim().length > 0, 'say what you want to state'),
    contact: text(200).optional(),
  })
  .strict();
export type PartyStatementBody = z.infer<typeof partyStatementBody>;

/** Printed documents: Chinese by default, English on request. */
export const documentQuery = z.object({ lang: z.enum(['zh', 'en']).default('zh') }).strict();
export type DocumentQuery = z.infer<typeof documentQuery>;

export const noticeDeliveryBody = z
  .object({
    method: z.enum(DELIVERY_METHODS),
    recipient: text(200).min(1).optional(),
    note: text(2000).optional(),
    deliveredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type NoticeDeliveryBody = z.infer<typeof noticeDeliveryBody>;

/** A case file's verification code as printed (12 symbols in groups of four), dashes and case optional. */
export const dossierCode = z
  .string()
  .max(30)
  .regex(/^[0-9A-Za-z-]+$/, 'the code printed on the case file')
  .refine((s) => s.replace(/-/g, '').length === 12, 'the code has 12 letters and digits');

export const dossierVerifyBody = z
  .object({
    code: dossierCode,
    sha256: z
      .array(z.string().regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 in hex'))
      .max(500)
      .optional(),
  })
  .strict();
export type DossierVerifyBody = z.infer<typeof dossierVerifyBody>;
