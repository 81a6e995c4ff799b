import { Inject, Injectable } from '@nestjs/common';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

/** What goes out for one delivery of a notice: the text the party reads and the link to the party page. */
export interface NoticeMessage {
  schema: 'cloudpatrol.party-notice.v1';
  /** Stable across retries: the receiving gateway deduplicates by it (also sent as Idempotency-Key). */
  deliveryId: string;
  caseNumber: string;
  noticeNumber: string;
  /** Who to reach, as staff gave it (a phone number, an account) or the vehicle plate; the gateway resolves it. */
  recipient: { contact: string | null; plate: string | null };
  text: string;
  link: string;
  language: 'zh' | 'en';
}

export type NotifyOutcome = { ok: true; detail: string } | { ok: false; retry: boolean; error: string };

/**
 * The outbound notification seam: how a notice reaches a party (an SMS gateway, a government messaging
 * platform). One implementation posts to an HTTP endpoint; another transport plugs in here without touching
 * the notice service.
 */
export abstract class PartyNotifier {
  /** Off when no endpoint is configured: notices are then delivered by hand or post and recorded by staff. */
  abstract readonly enabled: boolean;
  /** Where it sends, for the delivery record (no credentials). */
  abstract readonly channel: string;
  abstract send(message: NoticeMessage): Promise<NotifyOutcome>;
}

/**
 * POSTs the message as JSON to NOTIFY_HTTP_URL (bearer NOTIFY_HTTP_TOKEN when set). 2xx is delivered; 408, 425,
 * 429, 5xx and network errors are retried; any other status is a refusal that retrying will not change.
 */
@Injectable()
export class HttpPartyNotifier extends PartyNotifier {
  readonly enabled: boolean;
  readonly channel: string;
  private readonly url: string | undefined;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(@Inject(RUNTIME_OPTIONS) runtime: RuntimeOptions) {
    super();
    this.url = runtime.env.NOTIFY_HTTP_URL;
    this.token = runtime.env.NOTIFY_HTTP_TOKEN;
    this.timeoutMs = runtime.env.NOTIFY_TIMEOUT_MS;
    this.enabled = this.url !== undefined;
    this.channel = this.url ? `http ${new URL(this.url).origin}${new URL(this.url).pathname}` : 'http (off)';
  }

  async send(message: NoticeMessage): Promise<NotifyOutcome> {
    if (!this.url) return { ok: false, retry: false, error: 'no notifier endpoint configured (NOTIFY_HTTP_URL)' };
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'idempotency-key': message.deliveryId,
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      return { ok: false, retry: true, error: `request failed: ${(err as Error).message}` };
    }
    // The body is read (and bounded) only for the record; a gateway's answer is short.
    const body = (await res.text().catch(() => '')).slice(0, 300);
    if (res.ok) return { ok: true, detail: `${res.status}${body ? ` ${body}` : ''}` };
    const retry = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500;
    return { ok: false, retry, error: `HTTP ${res.status}${body ? `: ${body}` : ''}` };
  }
}

/** Next try after `attempts` failed ones: base × 2^(attempts-1), at most an hour. */
export function noticeRetryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 3_600_000);
}
