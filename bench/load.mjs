/* global process, performance */
// The load generator: autocannon in its own process, so the server under test does not share its
// event loop with the client, and the client costs as little CPU as a Node client can (it writes
// pre-built requests to raw sockets: on this 2-core machine a node:http client used to be the
// limit). Reads a JSON job on argv[2]; prints a JSON result.
//   { url, concurrency, seconds?, bodies: [string] | webhook: { secret, events, duplicateEvery },
//     apiVersion?, headers, expectStatus, expectText? }
// Errors are transport errors, timeouts, responses with another status, and bodies missing
// expectText.
import { createHmac } from 'node:crypto';
import autocannon from 'autocannon';

const job = JSON.parse(process.argv[2]);

/** Each distinct event once, every `duplicateEvery`-th again (as Stripe's retries would), shuffled. */
function signedDeliveries({ secret, events, duplicateEvery }) {
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
  return all.map((body) => ({
    body,
    signature: `t=${now},v1=${createHmac('sha256', secret).update(`${now}.${body}`).digest('hex')}`,
  }));
}

let wrongStatus = 0;
let lastResponseAt = 0;
const options = {
  url: job.url,
  connections: job.concurrency,
  method: 'POST',
  headers: { 'content-type': 'application/json', ...job.headers },
  timeout: 10,
  verifyBody: job.expectText ? (body) => body.includes(job.expectText) : undefined,
};
if (job.webhook) {
  const deliveries = signedDeliveries(job.webhook);
  let next = 0;
  options.amount = deliveries.length;
  options.requests = [
    {
      setupRequest: (req) => {
        const d = deliveries[next++ % deliveries.length];
        return { ...req, body: d.body, headers: { ...req.headers, 'stripe-signature': d.signature } };
      },
    },
  ];
} else {
  options.duration = job.seconds;
  let next = 0;
  options.requests = [{ setupRequest: (req) => ({ ...req, body: job.bodies[next++ % job.bodies.length] }) }];
}
options.requests[0].onResponse = (status) => {
  lastResponseAt = performance.now();
  if (status !== job.expectStatus) wrongStatus++;
};

// autocannon ends a run on its once-a-second tick; the rate is timed from its start to the last
// response.
const t0 = performance.now();
const r = await autocannon(options);
const seconds = job.webhook ? (lastResponseAt - t0) / 1000 : r.duration;
process.stdout.write(
  JSON.stringify({
    count: r.requests.total,
    seconds,
    per_s: Math.round(r.requests.total / seconds),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors + r.timeouts + wrongStatus + (r.mismatches ?? 0),
  }),
);
