// stripe-node against caisse, unmodified but for the base URL. Run by
// test/e2e/sdk_test.go: node conformance.mjs quickstart|checklist, with
// CAISSE_URL (the server) and CAISSE_KEY (a test secret key) set. It prints
// one line per check and exits non-zero at the first that fails.
import http from 'node:http';
import assert from 'node:assert/strict';
import Stripe from 'stripe';

const base = new URL(process.env.CAISSE_URL);
const connection = {host: base.hostname, port: Number(base.port), protocol: 'http', maxNetworkRetries: 0};
const stripe = new Stripe(process.env.CAISSE_KEY, connection);
const YOUR_DOMAIN = 'http://localhost:4242';

// webhookServer is the merchant's webhook route as Stripe's fulfilment guide
// writes it (with node's http instead of express): the raw body and the
// Stripe-Signature header go to stripe.webhooks.constructEvent. It resolves
// with the first checkout.session.completed event whose session is sessionId.
async function webhookServer() {
  let resolve;
  const completed = new Map();
  const waiters = new Map();
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (c) => chunks.push(c));
    request.on('end', () => {
      let event;
      try {
        event = stripe.webhooks.constructEvent(Buffer.concat(chunks), request.headers['stripe-signature'], server.secret);
      } catch (err) {
        response.writeHead(400).end(`Webhook Error: ${err.message}`);
        return;
      }
      if (event.type === 'checkout.session.completed') {
        const id = event.data.object.id;
        completed.set(id, event);
        waiters.get(id)?.(event);
      }
      response.writeHead(200).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = await stripe.webhookEndpoints.create({
    url: `http://127.0.0.1:${server.address().port}/webhook`,
    enabled_events: ['checkout.session.completed'],
  });
  server.secret = endpoint.secret;
  server.completedEvent = (id) => completed.has(id) ? Promise.resolve(completed.get(id)) : new Promise((r) => waiters.set(id, r));
  return server;
}

// pay completes a session through caisse's test helper, as a customer paying would.
function pay(id) {
  return stripe.rawRequest('POST', `/v1/test_helpers/checkout/sessions/${id}/complete`, {});
}

const checks = [];
function check(name, fn) { checks.push([name, fn]); }

// The quickstart: products, prices, a session with price, payment, fulfilment.
async function quickstart() {
  const hooks = await webhookServer();
  // https://docs.stripe.com/products-prices/manage-prices
  const product = await stripe.products.create({name: 'T-shirt'});
  const price = await stripe.prices.create({product: product.id, unit_amount: 2000, currency: 'usd'});
  // https://docs.stripe.com/checkout/quickstart
  const session = await stripe.checkout.sessions.create({
    line_items: [{price: price.id, quantity: 1}],
    mode: 'payment',
    success_url: `${YOUR_DOMAIN}/success.html`,
  });
  assert.equal(session.amount_total, 2000);
  assert.ok(session.url);
  await pay(session.id);
  const event = await hooks.completedEvent(session.id);
  assert.equal(event.data.object.payment_status, 'paid');
  hooks.close();
}

const inline = (name, amount) => ({
  price_data: {currency: 'xof', unit_amount: amount, product_data: {name}}, quantity: 1,
});

check('routine parameters are accepted and echoed', async () => {
  const s = await stripe.checkout.sessions.create({
    mode: 'payment', line_items: [inline('Attiéké', 2500)], success_url: `${YOUR_DOMAIN}/success.html`,
    phone_number_collection: {enabled: true}, ui_mode: 'hosted_page', automatic_tax: {enabled: false},
    customer_creation: 'if_required',
  });
  assert.equal(s.ui_mode, 'hosted_page');
  assert.equal(s.customer_creation, 'if_required');
  assert.equal(s.phone_number_collection.enabled, true);
  assert.equal(s.automatic_tax.enabled, false);
  for (const field of ['permissions', 'integration_identifier', 'managed_payments', 'origin_context']) {
    assert.ok(field in s, `session has no ${field}`);
    assert.equal(s[field], null);
  }
});

check('typed errors', async () => {
  await assert.rejects(stripe.checkout.sessions.create({mode: 'payment', line_items: [inline('x', 2500)], ui_mode: 'popup'}),
    (err) => err instanceof Stripe.errors.StripeInvalidRequestError && err.param === 'ui_mode' && err.statusCode === 400);
  await assert.rejects(stripe.checkout.sessions.create({mode: 'payment', line_items: [inline('x', 2500)], discounts: [{coupon: 'SOLDES'}]}),
    (err) => err instanceof Stripe.errors.StripeInvalidRequestError && err.param === 'discounts' &&
      err.message.includes('caisse does not support discounts'));
  await assert.rejects(stripe.checkout.sessions.retrieve('cs_test_nope'),
    (err) => err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing' && err.statusCode === 404);
  const bogus = new Stripe(process.env.CAISSE_KEY, {...connection, apiVersion: '2026-13-45.endive'});
  await assert.rejects(bogus.checkout.sessions.list(),
    (err) => err instanceof Stripe.errors.StripeInvalidRequestError && err.message === 'Invalid Stripe API version: 2026-13-45.endive');
});

check('an unserved URL', async () => {
  await assert.rejects(stripe.refunds.list(),
    (err) => err instanceof Stripe.errors.StripeInvalidRequestError && err.type === 'StripeInvalidRequestError' &&
      err.rawType === 'invalid_request_error' && err.statusCode === 404 &&
      err.message.startsWith('Unrecognized request URL (GET: /v1/refunds).'));
});

check('idempotency', async () => {
  const key = `node-${Date.now()}-${Math.random()}`;
  const p = {mode: 'payment', line_items: [inline('Alloco', 1500)]};
  const a = await stripe.checkout.sessions.create(p, {idempotencyKey: key});
  const b = await stripe.checkout.sessions.create(p, {idempotencyKey: key});
  assert.equal(b.id, a.id);
  await assert.rejects(stripe.checkout.sessions.create({...p, line_items: [inline('Alloco', 1600)]}, {idempotencyKey: key}),
    (err) => err instanceof Stripe.errors.StripeIdempotencyError);
});

check('expand', async () => {
  const s = await stripe.checkout.sessions.create({mode: 'payment', line_items: [inline('Garba', 1200), inline('Bissap', 300)]});
  const got = await stripe.checkout.sessions.retrieve(s.id, {expand: ['line_items']});
  assert.deepEqual(got.line_items.data.map((li) => li.description), ['Garba', 'Bissap']);
  const page = await stripe.checkout.sessions.list({limit: 1, expand: ['data.line_items']});
  assert.ok(page.data[0].line_items.data.length > 0);
  // A price's product through the line items, and the session's PaymentIntent once paid.
  const product = await stripe.products.create({name: 'Thieboudienne'});
  const price = await stripe.prices.create({product: product.id, unit_amount: 3500, currency: 'xof'});
  const paid = await stripe.checkout.sessions.create({mode: 'payment', line_items: [{price: price.id, quantity: 2}]});
  const items = await stripe.checkout.sessions.listLineItems(paid.id, {expand: ['data.price.product']});
  assert.equal(items.data[0].price.product.name, 'Thieboudienne');
  assert.equal((await stripe.checkout.sessions.retrieve(paid.id, {expand: ['payment_intent']})).payment_intent, null);
  await pay(paid.id);
  const pi = (await stripe.checkout.sessions.retrieve(paid.id, {expand: ['payment_intent']})).payment_intent;
  assert.equal(pi.object, 'payment_intent');
  assert.equal(pi.status, 'succeeded');
  assert.equal(pi.amount, 7000);
});

check('auto-pagination', async () => {
  const customer = (await stripe.customers.create({email: 'awa@example.com'})).id;
  const made = [];
  for (let i = 0; i < 5; i++) {
    made.push((await stripe.checkout.sessions.create({mode: 'payment', customer, line_items: [inline(`n${i}`, 1000 + i)]})).id);
  }
  const seen = [];
  for await (const s of stripe.checkout.sessions.list({customer, limit: 2})) seen.push(s.id);
  assert.deepEqual(seen, made.reverse());
  const all = await stripe.checkout.sessions.list({customer, limit: 2}).autoPagingToArray({limit: 10});
  assert.equal(all.length, 5);
});

check('checkout.session.completed verified by constructEvent', async () => {
  const hooks = await webhookServer();
  const s = await stripe.checkout.sessions.create({mode: 'payment', line_items: [inline('Kedjenou', 4000)]});
  await pay(s.id);
  const event = await hooks.completedEvent(s.id);
  assert.equal(event.data.object.amount_total, 4000);
  assert.equal(event.api_version, '2026-10-28.endive'); // the endpoint's, pinned from stripe-node's version
  assert.deepEqual(event.data.object.allowed_payment_method_types, ['mobile_money']); // endive's field
  hooks.close();
  assert.throws(() => stripe.webhooks.constructEvent('{}', 't=1,v1=00', hooks.secret),
    (err) => err instanceof Stripe.errors.StripeSignatureVerificationError);
});

const mode = process.argv[2];
if (mode === 'quickstart') {
  await quickstart();
  console.log('ok quickstart');
} else {
  for (const [name, fn] of checks) {
    try {
      await fn();
      console.log(`ok ${name}`);
    } catch (err) {
      console.log(`FAIL ${name}: ${err.stack ?? err}`);
      process.exit(1);
    }
  }
}
