package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/seal"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/webhook"
)

// DefaultAPIVersion is the Stripe API version an endpoint records when its
// creator names none: the version of the object descriptions caisse follows.
const DefaultAPIVersion = "2026-08-26.dahlia"

// Payload formats: the shape of an event's data.object.
const (
	FormatStripe      = "stripe"       // a Stripe checkout.session
	FormatMobileMoney = "mobile_money" // the session object of the mobile-money API
)

// Endpoint statuses.
const (
	StatusEnabled  = "enabled"
	StatusDisabled = "disabled"
)

// DefaultSchedule is how long a failed delivery waits before each retry: 12
// retries over about 3 days (1m, 5m, 30m, 1h, 2h, 4h, 8h, then 12h five
// times), each delay varied by up to 10 % either way.
var DefaultSchedule = []time.Duration{
	time.Minute, 5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour,
	12 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour,
}

// DeliverArgs is the job that sends one event to one endpoint.
type DeliverArgs struct {
	MerchantID string `json:"merchant_id"`
	Livemode   bool   `json:"livemode"`
	EventID    string `json:"event_id"`
	EndpointID string `json:"endpoint_id"`
}

// Kind names the job in River's tables.
func (DeliverArgs) Kind() string { return "deliver_webhook" }

// Queue is the River queue deliveries run in, apart from the other jobs: a
// backlog of deliveries or endpoints slow to answer do not hold up payments,
// and payments do not hold up deliveries.
const Queue = "webhooks"

// InsertOpts puts every delivery in Queue, however it is inserted.
func (DeliverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: Queue} }

// Service is webhook endpoints and the delivery of events to them.
type Service struct {
	Store store.Store
	Now   func() time.Time
	Jobs  checkout.Enqueuer
	Log   *slog.Logger
	// Payload renders an event as sent to an endpoint of the given format and API version.
	Payload func(format string, e store.Event, apiVersion string) ([]byte, error)
	// Schedule is the wait before each retry; nil means DefaultSchedule.
	Schedule []time.Duration
	// Box seals endpoint secrets at rest. Without one, secrets are stored
	// clear and live endpoints are refused (ErrNoSecretKey).
	Box *seal.Box
	// Sender posts deliveries and resolves endpoint hosts; nil means NewSender(nil).
	Sender *Sender
	// NoPrivateTestTargets holds test-mode endpoints to the live rule, public
	// addresses only (CAISSE_WEBHOOK_PRIVATE_TEST_TARGETS=false, for a shared
	// deployment). By default test mode may reach any address, localhost included.
	NoPrivateTestTargets bool

	attempts attemptLog // records the attempts of concurrent deliveries together
	hub      hub        // wakes this node's event streams
	streams  streams    // event streams open per key
}

// ErrNotFound means no such endpoint or event in the caller's scope.
var ErrNotFound = errors.New("notify: not found")

// EndpointParams creates or updates an endpoint; nil fields are left as they are.
type EndpointParams struct {
	URL           *string
	Description   *string
	EnabledEvents []string          // nil: unchanged
	Disabled      *bool             // update only
	Metadata      map[string]string // merged: an empty value removes its key
	ClearMetadata bool              // remove every key before merging Metadata
	APIVersion    string            // create only
	PayloadFormat string            // create only
}

// EndpointCreate registers an endpoint; its secret is in the result, the only
// time it is shown. apiVersion is the request's Stripe-Version header, used
// when in.APIVersion is empty.
func (s *Service) EndpointCreate(ctx context.Context, p merchant.Principal, in EndpointParams, headerVersion string) (store.Endpoint, error) {
	if in.URL == nil {
		return store.Endpoint{}, checkout.Invalid("url", "is required")
	}
	if in.EnabledEvents == nil {
		return store.Endpoint{}, checkout.Invalid("enabled_events", "is required")
	}
	version := cmp.Or(in.APIVersion, headerVersion, DefaultAPIVersion)
	if !ValidAPIVersion(version, s.now()) {
		return store.Endpoint{}, checkout.Invalid("api_version", "%s is not a Stripe API version (such as %s)", version, DefaultAPIVersion)
	}
	format := cmp.Or(in.PayloadFormat, FormatStripe)
	if format != FormatStripe && format != FormatMobileMoney {
		return store.Endpoint{}, checkout.Invalid("payload_format", "must be stripe or mobile_money")
	}
	if p.Livemode && s.Box == nil {
		return store.Endpoint{}, ErrNoSecretKey
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return store.Endpoint{}, err
	}
	now := s.now()
	e := store.Endpoint{ID: randid.New("we_"), Scope: p.Scope(), Status: StatusEnabled, Secret: s.sealSecret(secret),
		APIVersion: version, PayloadFormat: format, Metadata: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	if err := s.apply(ctx, &e, in); err != nil {
		return e, err
	}
	e, err = s.Store.EndpointCreate(ctx, e)
	e.Secret = secret // shown once, in clear, to its creator
	return e, err
}

// ErrNoSecretKey means a live endpoint was asked for while caisse has no key
// to seal its secret with (CAISSE_SECRET_KEY).
var ErrNoSecretKey = errors.New("notify: live webhook endpoints need a secret key (CAISSE_SECRET_KEY) to seal their signing secrets")

// sealSecret is a signing secret as stored: sealed when there is a Box.
func (s *Service) sealSecret(secret string) string {
	if s.Box == nil {
		return secret
	}
	return s.Box.Seal([]byte(secret))
}

// openSecret is an endpoint's signing secret in clear.
func (s *Service) openSecret(ep store.Endpoint) (string, error) {
	if s.Box == nil {
		if seal.Sealed(ep.Secret) {
			return "", fmt.Errorf("notify: endpoint %s: its secret is sealed and no key is configured", ep.ID)
		}
		return ep.Secret, nil
	}
	plain, err := s.Box.Open(ep.Secret)
	return string(plain), err
}

// EndpointUpdate changes an endpoint's url, events, description, metadata or
// status (re-enabling a disabled one).
func (s *Service) EndpointUpdate(ctx context.Context, p merchant.Principal, id string, in EndpointParams) (store.Endpoint, error) {
	e, err := s.EndpointGet(ctx, p, id)
	if err != nil {
		return e, err
	}
	if err := s.apply(ctx, &e, in); err != nil {
		return e, err
	}
	if in.Disabled != nil {
		e.Status = map[bool]string{true: StatusDisabled, false: StatusEnabled}[*in.Disabled]
	}
	e.UpdatedAt = s.now()
	out, err := s.Store.EndpointUpdate(ctx, e)
	return out, notFound(err)
}

// apply validates and sets the fields create and update share.
func (s *Service) apply(ctx context.Context, e *store.Endpoint, in EndpointParams) error {
	if in.URL != nil {
		if err := s.CheckURL(ctx, *in.URL, e.Livemode); err != nil {
			return &checkout.InvalidError{Field: "url", Reason: checkout.ReasonURL, Message: err.Error()}
		}
		e.URL = *in.URL
	}
	if in.Description != nil {
		if utf8.RuneCountInString(*in.Description) > 5000 || !checkout.Storable(*in.Description) {
			return checkout.Invalid("description", "must be text of at most 5000 characters")
		}
		e.Description = *in.Description
	}
	if in.EnabledEvents != nil {
		if err := checkEvents(in.EnabledEvents); err != nil {
			return err
		}
		e.EnabledEvents = slices.Compact(slices.Sorted(slices.Values(in.EnabledEvents)))
	}
	next := maps.Clone(e.Metadata)
	if in.ClearMetadata {
		next = map[string]string{}
	}
	for k, v := range in.Metadata {
		if v == "" {
			delete(next, k)
		} else {
			next[k] = v
		}
	}
	if err := checkout.ValidateMetadata(next); err != nil {
		return err
	}
	e.Metadata = next
	return nil
}

// eventTypeList names every event type caisse sends, for messages.
var eventTypeList = strings.Join(strings.Fields(strings.Trim(fmt.Sprint(checkout.EventTypes), "[]")), ", ")

func checkEvents(events []string) error {
	if len(events) == 0 {
		return checkout.Invalid("enabled_events", "must name at least one event type, or *")
	}
	for _, t := range events {
		if t != "*" && !slices.Contains(checkout.EventTypes, checkout.EventType(t)) {
			return checkout.Invalid("enabled_events", "%q is not an event type caisse sends; use * or one of %s", t, eventTypeList)
		}
	}
	return nil
}

// EndpointGet reads one of the principal's endpoints.
func (s *Service) EndpointGet(ctx context.Context, p merchant.Principal, id string) (store.Endpoint, error) {
	if !checkout.Storable(id) {
		return store.Endpoint{}, ErrNotFound
	}
	e, err := s.Store.EndpointGet(ctx, p.Scope(), id)
	return e, notFound(err)
}

// EndpointDelete removes one of the principal's endpoints; deliveries still
// queued for it are dropped.
func (s *Service) EndpointDelete(ctx context.Context, p merchant.Principal, id string) error {
	if !checkout.Storable(id) {
		return ErrNotFound
	}
	return notFound(s.Store.EndpointDelete(ctx, p.Scope(), id))
}

// EndpointList returns a keyset page of the principal's endpoints, newest first.
func (s *Service) EndpointList(ctx context.Context, p merchant.Principal, limit int, startingAfter, endingBefore string) ([]store.Endpoint, bool, error) {
	k, err := checkout.Cursor(checkout.KindEndpoint, startingAfter, endingBefore, ErrNotFound, func(id string) (int64, time.Time, error) {
		e, err := s.EndpointGet(ctx, p, id)
		return e.Seq, e.CreatedAt, err
	})
	if err != nil {
		return nil, false, err
	}
	list, err := s.Store.EndpointList(ctx, p.Scope(), limit+1, k)
	page, more := checkout.Trim(list, limit, k)
	return page, more, err
}

// EventGet reads one of the principal's events.
func (s *Service) EventGet(ctx context.Context, p merchant.Principal, id string) (store.Event, error) {
	if !checkout.Storable(id) {
		return store.Event{}, ErrNotFound
	}
	e, err := s.Store.EventGet(ctx, p.Scope(), id)
	return e, notFound(err)
}

// EventList returns a keyset page of the principal's events matching f, newest first.
func (s *Service) EventList(ctx context.Context, p merchant.Principal, f store.EventFilter, startingAfter, endingBefore string) ([]store.Event, bool, error) {
	for _, t := range f.Types {
		if err := checkEvents([]string{string(t)}); err != nil || t == "*" {
			return nil, false, checkout.Invalid("type", "%q is not an event type caisse sends", t)
		}
	}
	k, err := checkout.Cursor(checkout.KindEvent, startingAfter, endingBefore, ErrNotFound, func(id string) (int64, time.Time, error) {
		e, err := s.EventGet(ctx, p, id)
		return e.Seq, e.CreatedAt, err
	})
	if err != nil {
		return nil, false, err
	}
	limit := f.Limit
	f.Limit++
	list, err := s.Store.EventList(ctx, p.Scope(), f, k)
	page, more := checkout.Trim(list, limit, k)
	return page, more, err
}

// Attempts lists every attempt to deliver one of the principal's events, oldest first.
func (s *Service) Attempts(ctx context.Context, p merchant.Principal, eventID string) ([]store.Attempt, error) {
	if _, err := s.EventGet(ctx, p, eventID); err != nil {
		return nil, err
	}
	return s.Store.AttemptList(ctx, p.Scope(), eventID)
}

// Resend queues one more delivery of an event: to one endpoint, or to every
// enabled endpoint that takes its type when endpointID is empty. It reports
// how many deliveries it queued.
func (s *Service) Resend(ctx context.Context, p merchant.Principal, eventID, endpointID string) (int, error) {
	e, err := s.EventGet(ctx, p, eventID)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		endpoints, err := tx.EndpointsEnabled(ctx, p.Scope())
		if err != nil {
			return err
		}
		if endpointID != "" {
			endpoints = slices.DeleteFunc(endpoints, func(ep store.Endpoint) bool { return ep.ID != endpointID })
			if len(endpoints) == 0 {
				return checkout.Unknown("webhook_endpoint", checkout.KindEndpoint, endpointID)
			}
		}
		jobs := s.deliveries([]store.Event{e}, endpoints, endpointID != "")
		n = len(jobs)
		return s.insert(ctx, tx, jobs)
	})
	return n, err
}

// Notify queues a delivery of each event to each enabled endpoint of its
// scope that takes its type, in the transaction that wrote the events.
func (s *Service) Notify(ctx context.Context, tx store.Tx, events []store.Event) error {
	if len(events) == 0 {
		return nil
	}
	endpoints, err := tx.EndpointsEnabled(ctx, events[0].Scope)
	if err != nil {
		return err
	}
	return s.insert(ctx, tx, s.deliveries(events, endpoints, false))
}

// deliveries makes the delivery jobs of events to endpoints; any ignores the
// endpoints' event types (an explicit resend).
func (s *Service) deliveries(events []store.Event, endpoints []store.Endpoint, any bool) []river.InsertManyParams {
	var jobs []river.InsertManyParams
	for _, e := range events {
		for _, ep := range endpoints {
			if ep.Scope != e.Scope || !(any || takes(ep, e.Type)) {
				continue
			}
			jobs = append(jobs, river.InsertManyParams{
				Args:       DeliverArgs{MerchantID: e.MerchantID, Livemode: e.Livemode, EventID: e.ID, EndpointID: ep.ID},
				InsertOpts: &river.InsertOpts{MaxAttempts: len(s.schedule()) + 1},
			})
		}
	}
	return jobs
}

func (s *Service) insert(ctx context.Context, tx store.Tx, jobs []river.InsertManyParams) error {
	if len(jobs) == 0 {
		return nil
	}
	sqlTx, err := tx.SQL(ctx)
	if err != nil {
		return err
	}
	_, err = s.Jobs.InsertManyTx(ctx, sqlTx, jobs)
	return err
}

// takes reports whether an endpoint subscribes to an event type.
func takes(ep store.Endpoint, eventType store.EventType) bool {
	return slices.Contains(ep.EnabledEvents, "*") || slices.Contains(ep.EnabledEvents, string(eventType))
}

func (s *Service) schedule() []time.Duration {
	if s.Schedule != nil {
		return s.Schedule
	}
	return DefaultSchedule
}

// RetryDelay is how long to wait after a delivery's attempt-th failure: the
// schedule's delay varied by up to 10 % either way.
func (s *Service) RetryDelay(attempt int) time.Duration {
	sched := s.schedule()
	d := sched[min(max(attempt, 1), len(sched))-1]
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// ErrGone means the endpoint answered 410 Gone: it is now disabled.
var ErrGone = errors.New("notify: endpoint answered 410 Gone; disabled")

// ErrDropped means a delivery has nowhere to go any more (its endpoint was
// deleted or disabled, or its event is gone); it is not retried.
var ErrDropped = errors.New("notify: delivery dropped")

// Deliver makes one attempt at a delivery job and records it. It does
// nothing if the job has already delivered (River may run a job again after a
// crash). An error means the attempt failed and should be retried, except
// ErrGone and ErrDropped.
func (s *Service) Deliver(ctx context.Context, a DeliverArgs, jobID int64, attempt int) error {
	scope := store.Scope{MerchantID: a.MerchantID, Livemode: a.Livemode}
	d, err := s.Store.DeliveryGet(ctx, scope, a.EndpointID, a.EventID, jobID)
	if errors.Is(err, store.ErrNotFound) { // the endpoint or the event is gone
		if done, err := s.Store.AttemptSucceeded(ctx, jobID); err != nil || done {
			return err
		}
		return ErrDropped
	}
	if err != nil || d.Done {
		return err
	}
	ep, e := d.Endpoint, d.Event
	if ep.Status != StatusEnabled {
		return ErrDropped
	}
	payload, err := s.Payload(ep.PayloadFormat, e, ep.APIVersion)
	if err != nil {
		return err
	}
	signing := ep
	if signing.Secret, err = s.openSecret(ep); err != nil {
		return err
	}
	res := s.sender().Send(ctx, signing, e.ID, payload, s.publicOnly(ep.Livemode))
	rec := store.Attempt{ID: randid.New("wha_"), Scope: scope, EventID: e.ID, EndpointID: ep.ID, JobID: jobID,
		Attempt: attempt, StatusCode: res.StatusCode, Latency: res.Latency, Error: res.Error, Succeeded: res.OK(),
		CreatedAt: s.now()}
	if err := s.attempts.record(ctx, s.Store, rec); err != nil {
		return err
	}
	switch {
	case res.OK():
		return nil
	case res.StatusCode == 410:
		ep.Status, ep.UpdatedAt = StatusDisabled, s.now()
		if _, err := s.Store.EndpointUpdate(ctx, ep); err != nil {
			return err
		}
		s.Log.Warn("webhook endpoint answered 410 Gone; disabled it", "endpoint", ep.ID)
		return ErrGone
	}
	return fmt.Errorf("notify: delivery of %s to %s failed: %s", e.ID, ep.ID, res.Summary())
}

func (s *Service) sender() *Sender {
	if s.Sender != nil {
		return s.Sender
	}
	return defaultSender
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// CheckURL reports why a webhook URL is refused: it must be an absolute
// http(s) URL; in live mode it must be https; and when the mode is held to
// the public rule (live mode always) its host must be, or resolve only to,
// globally reachable addresses (see ssrf.go).
func (s *Service) CheckURL(ctx context.Context, raw string, live bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") || len(raw) > checkout.MaxURL {
		return errors.New("must be an absolute http or https URL")
	}
	if live && u.Scheme != "https" {
		return errors.New("must be an https URL in live mode")
	}
	if !s.publicOnly(live) {
		return nil
	}
	return checkHost(ctx, s.sender().resolver, u.Hostname())
}

// publicOnly says whether endpoints of a mode may reach only public addresses.
func (s *Service) publicOnly(live bool) bool { return live || s.NoPrivateTestTargets }
