/* global process, URL, Buffer, performance */
// A load generator in its own process (plain node:http, keep-alive), so the server under test does not
// share its event loop with the client. Reads a JSON job on argv[2]; prints a JSON result.
//   { url, concurrency, seconds?, bodies: [string] | { webhook: { secret, events, duplicateEvery } },
//     headers, expectStatus }
import { createHmac } from 'node:crypto';
import http from 'node:http';

const job = JSON.parse(process.argv[2]);
const url = new URL(job.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });

let bodies = job.bodies;
let signed;
if (job.webhook) {
  const { secret, events, duplicateEvery } = job.webhook;
  const now = Math.floor(Date.now() / 1000);
  const distinct = Array.from({ length: events }, (_, i) =>
    JSON.stringify({
      id: `evt_bench_${i}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: now,
      livemode: false,
      api_version: job.apiVersion,
      data: {
        object: {
          id: `pi_bench_${i % 500}`,
          object: 'payment_intent',
          status: 'succeeded',
          amount: 1000 + i,
        },
      },
    }),
  );
  const all = [...distinct, ...distinct.filter((_, i) => i % duplicateEvery === 0)];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  signed = all.map((body) => ({
    body,
    sig: `t=${now},v1=${createHmac('sha256', secret).update(`${now}.${body}`).digest('hex')}`,
  }));
}

function send(body, extra) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...job.headers,
          ...extra,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(body);
  });
}

const lat = [];
let errors = 0;
let next = 0;
const t0 = performance.now();
const until = job.seconds ? t0 + job.seconds * 1000 : Infinity;
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    for (;;) {
      let res;
      const s = performance.now();
      if (signed) {
        if (next >= signed.length) break;
        const d = signed[next++];
        res = await send(d.body, { 'stripe-signature': d.sig });
      } else {
        if (performance.now() >= until) break;
        res = await send(bodies[next++ % bodies.length]);
      }
      lat.push(performance.now() - s);
      if (res.status !== job.expectStatus || (job.expectText && !res.body.includes(job.expectText))) errors++;
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const at = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
process.stdout.write(
  JSON.stringify({
    count: lat.length,
    seconds,
    per_s: Math.round(lat.length / seconds),
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    errors,
  }),
);
agent.destroy();
