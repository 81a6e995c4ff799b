/**
 * QoS 1 publisher for the benchmark: a few MQTT.js connections used round-robin, each with a window of
 * publishes awaiting their PUBACK (so "as fast as QoS 1 allows" without queueing everything in memory).
 */
import { connect, MqttClient } from 'mqtt';
import { sleep } from './services';

export class MqttPublisher {
  acked = 0;
  failed = 0;
  lastError = '';
  private inflight = 0;
  private next = 0;

  private constructor(
    private readonly clients: MqttClient[],
    private readonly window: number,
  ) {}

  static async open(url: string, connections: number, window = 1000, clientIdPrefix = 'bench-pub'): Promise<MqttPublisher> {
    const clients = await Promise.all(
      Array.from(
        { length: connections },
        (_, i) =>
          new Promise<MqttClient>((resolve, reject) => {
            const c = connect(url, {
              clientId: `${clientIdPrefix}-${process.pid}-${i}`,
              protocolVersion: 5,
              clean: true,
              reconnectPeriod: 0,
              connectTimeout: 10_000,
            });
            c.once('connect', () => resolve(c));
            c.once('error', reject);
          }),
      ),
    );
    return new MqttPublisher(clients, window * connections);
  }

  get pending(): number {
    return this.inflight;
  }

  /** Hands one message to the next connection; waits while the window is full. */
  async send(topic: string, payload: string): Promise<void> {
    while (this.inflight >= this.window) await sleep(1);
    const client = this.clients[this.next++ % this.clients.length];
    this.inflight++;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      this.inflight--;
      if (err) {
        this.failed++;
        this.lastError = err.message;
      } else this.acked++;
    });
  }

  async drain(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.inflight > 0 && Date.now() < until) await sleep(2);
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}
