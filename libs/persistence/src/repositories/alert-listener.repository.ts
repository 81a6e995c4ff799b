import { Client } from 'pg';
import { ALERT_CHANNEL } from './ingest.repository';

/**
 * Listens for committed alert notifications (pg_notify from the ingest transaction), so an API process
 * pushes live alerts for cases any worker stored. Reconnects after the database comes back.
 */
export class AlertListener {
  private client?: Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    private readonly onPayload: (payload: string) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: 'cloudpatrol-alerts' });
    client.on('notification', (msg) => {
      if (msg.channel === ALERT_CHANNEL && msg.payload) this.onPayload(msg.payload);
    });
    client.on('error', (err) => {
      this.onError(err);
      this.scheduleReconnect();
    });
    client.on('end', () => this.scheduleReconnect());
    try {
      await client.connect();
      await client.query(`LISTEN ${ALERT_CHANNEL}`);
      this.client = client;
    } catch (err) {
      this.onError(err as Error);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retry) return;
    this.client = undefined;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => undefined);
  }
}
