/**
 * The broker's own limit, receiving side: one MQTT.js QoS 1 subscriber that does nothing with a message
 * (MQTT.js acknowledges as soon as the handler returns). Its own process, like CloudPatrol's worker.
 * argv: url topic expected. IPC: `{type:'ready'}` once subscribed; `{type:'done', ...}` when `expected`
 * messages arrived or when asked with `{type:'report'}`.
 */
import { connect } from 'mqtt';

const [url, topic, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);
let count = 0;
let firstAt = 0;
let lastAt = 0;
let reported = false;

const report = () => {
  if (reported) return;
  reported = true;
  process.send?.({ type: 'done', count, firstAt, lastAt });
};

const client = connect(url, { clientId: `bench-sink-${process.pid}`, protocolVersion: 5, clean: true, reconnectPeriod: 0 });
client.on('message', () => {
  const now = Date.now();
  if (count === 0) firstAt = now;
  lastAt = now;
  if (++count === expected) report();
});
client.on('error', (err) => {
  console.error(err.message);
  process.exit(1);
});
client.once('connect', () => {
  client.subscribe(topic, { qos: 1 }, (err) => {
    if (err) {
      console.error(err.message);
      process.exit(1);
    }
    process.send?.({ type: 'ready' });
  });
});
process.on('message', (m: { type?: string }) => {
  if (m.type === 'report') report();
});
process.on('SIGTERM', () => {
  client.end(true, {}, () => process.exit(0));
});
