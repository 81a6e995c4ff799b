import { z } from 'zod';

/** Response schemas of the events log and the dead letters (what devices sent, and what became of it). */

const instant = z.string().describe('ISO 8601 instant');
const reasonCounts = z.array(z.object({ reason: z.string(), count: z.number().int() }));

const payloadView = {
  payloadBytes: z.number().int().describe('size of the whole payload as kept'),
  payloadEncoding: z.enum(['utf8', 'base64']).describe('utf8 when the payload is UTF-8 text, else base64'),
  payload: z.string().describe('the payload as received, its first 16 KiB'),
  truncated: z.boolean().describe('only the first 16 KiB are in `payload`'),
};

export const eventLogSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      source: z.string(),
      sourceEventId: z.string().describe('the id the source gave the event'),
      sourceKind: z.string(),
      deviceId: z.string(),
      occurredAt: instant.describe('source time'),
      receivedAt: instant,
      location: z.object({ lat: z.number(), lng: z.number() }).nullable(),
      zones: z.array(z.string()),
      rawPayload: z.string().describe('the payload exactly as received, its first 16,384 characters'),
      rawPayloadChars: z.number().int().describe('characters of the whole raw payload'),
      outcome: z
        .enum(['case', 'suppressed', 'none'])
        .describe(
          'case: part of a case (opened or joined); suppressed: met a rule but did not become a case; none: no rule matched (or a dwell not yet long enough)',
        ),
      cases: z.array(
        z.object({
          id: z.string(),
          caseNumber: z.string(),
          status: z.string(),
          categoryCode: z.string(),
          opened: z.boolean().describe('the event is the case’s first occurrence (else it joined an open case)'),
        }),
      ),
      suppressions: z
        .array(
          z.object({
            reason: z.string(),
            detail: z.string(),
            categoryCode: z.string(),
            count: z.number().int().describe('detections in this tally'),
            firstSeenAt: instant,
            lastSeenAt: instant,
            matchedBy: z.enum(['latest', 'span']).describe('latest: the tally’s latest event; span: in the tally’s time span for this device and in no case'),
          }),
        )
        .describe('suppressions are tallied per reason and identity, not per event'),
    }),
  ),
  total: z.number().int().describe('events matching the filter (exact)'),
  deadLetters: z
    .object({ total: z.number().int(), byReason: reasonCounts })
    .describe('messages of the same device and window (arrival time) kept aside as dead letters: GET /api/v1/dead-letters lists them'),
});

export const deadLetterListSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      transport: z.enum(['mqtt', 'kafka', 'http']),
      source: z.string(),
      topic: z.string().describe('the topic (MQTT, Kafka) or path (HTTP) it arrived on'),
      reason: z.string(),
      detail: z.string(),
      deviceId: z.string().nullable().describe('when the message named a device'),
      receivedAt: instant,
      ...payloadView,
      replay: z.object({
        state: z.enum(['not-replayed', 'replaying', 'replayed']),
        startedAt: instant.nullable(),
        replayedAt: instant.nullable(),
        by: z.string().nullable(),
        outcome: z.record(z.string(), z.unknown()).nullable().describe('what ingest made of it: stored (event ids), duplicate, ignored, rejected'),
      }),
    }),
  ),
  total: z.number().int().describe('dead letters matching the filter (exact)'),
  byReason: reasonCounts.describe('dead letters matching every filter but the reason, per reason'),
});
