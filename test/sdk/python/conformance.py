"""stripe-python against caisse, unmodified but for the base URL.

Run by test/e2e/sdk_test.go with Debian's /usr/bin/python3 and python3-stripe:
python3 conformance.py quickstart|checklist, with CAISSE_URL (the server) and
CAISSE_KEY (a test secret key) set. It prints one line per check and exits
non-zero at the first that fails. stripe-python 5 sends no Stripe-Version
(the account's version applies) and booleans as True/False.
"""

import http.server
import os
import queue
import sys
import threading
import time
import traceback

import stripe

stripe.api_key = os.environ["CAISSE_KEY"]
stripe.api_base = os.environ["CAISSE_URL"]
stripe.max_network_retries = 0
YOUR_DOMAIN = "http://localhost:4242"


class WebhookServer:
    """The merchant's webhook route as Stripe's fulfilment guide writes it
    (with http.server instead of Flask): the raw body and the Stripe-Signature
    header go to stripe.Webhook.construct_event."""

    def __init__(self):
        self.events = queue.Queue()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                payload = self.rfile.read(int(self.headers["Content-Length"]))
                sig_header = self.headers["Stripe-Signature"]
                try:
                    event = stripe.Webhook.construct_event(payload, sig_header, outer.secret)
                except (ValueError, stripe.error.SignatureVerificationError) as e:
                    self.send_response(400)
                    self.end_headers()
                    return
                if event["type"] == "checkout.session.completed":
                    outer.events.put(event)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        endpoint = stripe.WebhookEndpoint.create(
            url="http://127.0.0.1:%d/webhook" % self.httpd.server_address[1],
            enabled_events=["checkout.session.completed"],
        )
        self.secret = endpoint.secret

    def completed(self, session_id):
        """The checkout.session.completed event of session_id."""
        deadline = time.time() + 60
        while time.time() < deadline:
            event = self.events.get(timeout=deadline - time.time())
            if event.data.object.id == session_id:
                return event
        raise AssertionError("no checkout.session.completed for %s" % session_id)

    def close(self):
        self.httpd.shutdown()


def pay(session_id):
    """Completes a session through caisse's test helper, as a customer paying would."""
    stripe.api_requestor.APIRequestor().request(
        "post", "/v1/test_helpers/checkout/sessions/%s/complete" % session_id, {})


def quickstart():
    hooks = WebhookServer()
    # https://docs.stripe.com/products-prices/manage-prices
    product = stripe.Product.create(name="T-shirt")
    price = stripe.Price.create(product=product.id, unit_amount=2000, currency="usd")
    # https://docs.stripe.com/checkout/quickstart
    checkout_session = stripe.checkout.Session.create(
        line_items=[{"price": price.id, "quantity": 1}],
        mode="payment",
        success_url=YOUR_DOMAIN + "/success.html",
    )
    assert checkout_session.amount_total == 2000
    assert checkout_session.url
    pay(checkout_session.id)
    event = hooks.completed(checkout_session.id)
    assert event.data.object.payment_status == "paid"
    hooks.close()


def inline(name, amount):
    return {"price_data": {"currency": "xof", "unit_amount": amount, "product_data": {"name": name}}, "quantity": 1}


def expect(error_class, fn, check=lambda e: True):
    try:
        fn()
    except error_class as e:
        assert check(e), "unexpected %r: %s %s %s" % (e, e.http_status, e.code, e.user_message)
        return
    raise AssertionError("no %s raised" % error_class.__name__)


def routine_parameters():
    s = stripe.checkout.Session.create(
        mode="payment", line_items=[inline("Attiéké", 2500)], success_url=YOUR_DOMAIN + "/success.html",
        phone_number_collection={"enabled": True}, ui_mode="hosted_page", automatic_tax={"enabled": False},
        customer_creation="if_required",
    )
    assert s.ui_mode == "hosted_page"
    assert s.customer_creation == "if_required"
    assert s.phone_number_collection.enabled is True
    assert s.automatic_tax.enabled is False
    assert s.permissions is None  # attribute access: the field is present, null
    assert s.integration_identifier is None and s.managed_payments is None and s.origin_context is None


def typed_errors():
    expect(stripe.error.InvalidRequestError,
           lambda: stripe.checkout.Session.create(mode="payment", line_items=[inline("x", 2500)], ui_mode="popup"),
           lambda e: e.param == "ui_mode" and e.http_status == 400)
    expect(stripe.error.InvalidRequestError,
           lambda: stripe.checkout.Session.create(mode="payment", line_items=[inline("x", 2500)],
                                                  automatic_tax={"enabled": True}),
           lambda e: e.param == "automatic_tax" and "caisse does not support automatic_tax" in e.user_message)
    expect(stripe.error.InvalidRequestError, lambda: stripe.checkout.Session.retrieve("cs_test_nope"),
           lambda e: e.code == "resource_missing" and e.http_status == 404)
    expect(stripe.error.InvalidRequestError,
           lambda: stripe.checkout.Session.list(stripe_version="2026-13-45.endive"),
           lambda e: e.user_message == "Invalid Stripe API version: 2026-13-45.endive")


def unserved_url():
    expect(stripe.error.InvalidRequestError, lambda: stripe.Refund.list(),
           lambda e: e.http_status == 404 and e.error.type == "invalid_request_error"
           and e.user_message.startswith("Unrecognized request URL (GET: /v1/refunds)."))


def idempotency():
    key = "python-%f" % time.time()
    a = stripe.checkout.Session.create(mode="payment", line_items=[inline("Alloco", 1500)], idempotency_key=key)
    b = stripe.checkout.Session.create(mode="payment", line_items=[inline("Alloco", 1500)], idempotency_key=key)
    assert a.id == b.id
    expect(stripe.error.IdempotencyError,
           lambda: stripe.checkout.Session.create(mode="payment", line_items=[inline("Alloco", 1600)],
                                                  idempotency_key=key))


def expand():
    s = stripe.checkout.Session.create(mode="payment", line_items=[inline("Garba", 1200), inline("Bissap", 300)])
    got = stripe.checkout.Session.retrieve(s.id, expand=["line_items"])
    assert [li.description for li in got.line_items.data] == ["Garba", "Bissap"]
    page = stripe.checkout.Session.list(limit=1, expand=["data.line_items"])
    assert len(page.data[0].line_items.data) > 0
    # A price's product through the line items, and the session's PaymentIntent once paid.
    product = stripe.Product.create(name="Thieboudienne")
    price = stripe.Price.create(product=product.id, unit_amount=3500, currency="xof")
    s = stripe.checkout.Session.create(mode="payment", line_items=[{"price": price.id, "quantity": 2}])
    items = stripe.checkout.Session.list_line_items(s.id, expand=["data.price.product"])
    assert items.data[0].price.product.name == "Thieboudienne", items
    assert stripe.checkout.Session.retrieve(s.id, expand=["payment_intent"]).payment_intent is None
    pay(s.id)
    got = stripe.checkout.Session.retrieve(s.id, expand=["payment_intent"])
    assert got.payment_intent.object == "payment_intent" and got.payment_intent.status == "succeeded", got.payment_intent
    assert got.payment_intent.amount == 7000


def auto_pagination():
    customer = stripe.Customer.create(email="awa@example.com").id
    made = [stripe.checkout.Session.create(mode="payment", customer=customer,
                                           line_items=[inline("p%d" % i, 1000 + i)]).id for i in range(5)]
    seen = [s.id for s in stripe.checkout.Session.list(customer=customer, limit=2).auto_paging_iter()]
    assert seen == made[::-1], (seen, made)


def webhook():
    hooks = WebhookServer()
    s = stripe.checkout.Session.create(mode="payment", line_items=[inline("Kedjenou", 4000)])
    pay(s.id)
    event = hooks.completed(s.id)
    assert event.data.object.amount_total == 4000
    assert event.api_version == "2026-08-26.dahlia", event.api_version  # no Stripe-Version sent: caisse's
    assert "allowed_payment_method_types" not in event.data.object  # an endive field, not dahlia's
    hooks.close()
    expect(stripe.error.SignatureVerificationError,
           lambda: stripe.Webhook.construct_event("{}", "t=1,v1=00", hooks.secret))


CHECKS = [
    ("routine parameters are accepted and echoed", routine_parameters),
    ("typed errors", typed_errors),
    ("an unserved URL", unserved_url),
    ("idempotency", idempotency),
    ("expand", expand),
    ("auto-pagination", auto_pagination),
    ("checkout.session.completed verified by construct_event", webhook),
]

if __name__ == "__main__":
    print("stripe-python", stripe.version.VERSION)
    if sys.argv[1] == "quickstart":
        quickstart()
        print("ok quickstart")
    else:
        for name, fn in CHECKS:
            try:
                fn()
            except Exception:
                print("FAIL %s: %s" % (name, traceback.format_exc()))
                sys.exit(1)
            print("ok " + name)
