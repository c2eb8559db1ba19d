package sqldb

import (
	"time"

	"github.com/caisse/caisse/internal/store"
)

// sessionTable is the sessions table. A new session field is one entry here
// (plus a migration per engine): the SELECT lists, the INSERT, its arguments
// and the scan all follow, and storetest's SessionEveryField case fails until
// the field round-trips.
var sessionTable = table[store.Session]{name: "sessions", columns: scoped(
	func(s *store.Session) (*int64, *string, *store.Scope) { return &s.Seq, &s.ID, &s.Scope },
	value("status", func(s *store.Session) *store.Status { return &s.Status }),
	value("amount", func(s *store.Session) *int64 { return &s.Amount }),
	value("currency", func(s *store.Session) *string { return &s.Currency }),
	value("user_phone", func(s *store.Session) *string { return &s.UserPhone }),
	value("payment_id", func(s *store.Session) *string { return &s.PaymentID }),
	value("customer_id", func(s *store.Session) *string { return &s.CustomerID }),
	value("description", func(s *store.Session) *string { return &s.Description }),
	jsonText("metadata", func(s *store.Session) *map[string]string { return &s.Metadata }, "{}"),
	value("transaction_fee", func(s *store.Session) *int64 { return &s.TransactionFee }),
	value("failure_reason", func(s *store.Session) *string { return &s.FailureReason }),
	timestamp("created_at", func(s *store.Session) *time.Time { return &s.CreatedAt }),
	timestamp("updated_at", func(s *store.Session) *time.Time { return &s.UpdatedAt }),
	timestamp("expires_at", func(s *store.Session) *time.Time { return &s.ExpiresAt }),
	nullTimestamp("completed_at", func(s *store.Session) **time.Time { return &s.CompletedAt }),
	value("success_url", func(s *store.Session) *string { return &s.SuccessURL }),
	value("cancel_url", func(s *store.Session) *string { return &s.CancelURL }),
	value("customer_email", func(s *store.Session) *string { return &s.CustomerEmail }),
	value("locale", func(s *store.Session) *string { return &s.Locale }),
	commaList("payment_method_types", func(s *store.Session) *[]string { return &s.PaymentMethodTypes }),
	jsonText("line_items", func(s *store.Session) *[]store.LineItem { return &s.LineItems }, "[]"), // store.LineItem's tags
	value("channel", func(s *store.Session) *string { return &s.Channel }),
	value("connector_ref", func(s *store.Session) *string { return &s.ConnectorRef }),
	value("attempt", func(s *store.Session) *string { return &s.Attempt }),
	value("connector_url", func(s *store.Session) *string { return &s.ConnectorURL }),
	value("connector_check", func(s *store.Session) *string { return &s.ConnectorCheck }),
	value("customer_creation", func(s *store.Session) *string { return &s.CustomerCreation }),
)}

// connectorTable is the connectors table.
var connectorTable = table[store.Connector]{name: "connectors", columns: scoped(
	func(c *store.Connector) (*int64, *string, *store.Scope) { return &c.Seq, &c.ID, &c.Scope },
	value("channel", func(c *store.Connector) *string { return &c.Channel }),
	value("kind", func(c *store.Connector) *string { return &c.Kind }),
	value("base_url", func(c *store.Connector) *string { return &c.BaseURL }),
	value("credentials", func(c *store.Connector) *string { return &c.Credentials }),
	timestamp("created_at", func(c *store.Connector) *time.Time { return &c.CreatedAt }),
	timestamp("updated_at", func(c *store.Connector) *time.Time { return &c.UpdatedAt }),
)}

// eventTable is the events table; data is the session as the event saw it (snapshot.go).
var eventTable = table[store.Event]{name: "events", columns: scoped(
	func(e *store.Event) (*int64, *string, *store.Scope) { return &e.Seq, &e.ID, &e.Scope },
	value("type", func(e *store.Event) *store.EventType { return &e.Type }),
	insertOnly("session_id", func(e *store.Event) any { return e.Session.ID }),
	codec("data", func(e *store.Event) *store.Session { return &e.Session }, encodeSnapshot, decodeSnapshot),
	timestamp("created_at", func(e *store.Event) *time.Time { return &e.CreatedAt }),
	generated("xid", func(e *store.Event) *int64 { return &e.Txn }), // the writer's transaction (0009_event_stream.sql)
)}

// endpointTable is the webhook_endpoints table.
var endpointTable = table[store.Endpoint]{name: "webhook_endpoints", columns: scoped(
	func(e *store.Endpoint) (*int64, *string, *store.Scope) { return &e.Seq, &e.ID, &e.Scope },
	value("url", func(e *store.Endpoint) *string { return &e.URL }),
	value("description", func(e *store.Endpoint) *string { return &e.Description }),
	jsonText("enabled_events", func(e *store.Endpoint) *[]string { return &e.EnabledEvents }, ""),
	value("status", func(e *store.Endpoint) *string { return &e.Status }),
	value("secret", func(e *store.Endpoint) *string { return &e.Secret }),
	value("api_version", func(e *store.Endpoint) *string { return &e.APIVersion }),
	value("payload_format", func(e *store.Endpoint) *string { return &e.PayloadFormat }),
	jsonText("metadata", func(e *store.Endpoint) *map[string]string { return &e.Metadata }, "{}"),
	timestamp("created_at", func(e *store.Endpoint) *time.Time { return &e.CreatedAt }),
	timestamp("updated_at", func(e *store.Endpoint) *time.Time { return &e.UpdatedAt }),
)}

// attemptTable is the webhook_attempts table.
var attemptTable = table[store.Attempt]{name: "webhook_attempts", columns: scoped(
	func(a *store.Attempt) (*int64, *string, *store.Scope) { return &a.Seq, &a.ID, &a.Scope },
	value("event_id", func(a *store.Attempt) *string { return &a.EventID }),
	value("endpoint_id", func(a *store.Attempt) *string { return &a.EndpointID }),
	value("job_id", func(a *store.Attempt) *int64 { return &a.JobID }),
	value("attempt", func(a *store.Attempt) *int { return &a.Attempt }),
	value("status_code", func(a *store.Attempt) *int { return &a.StatusCode }),
	micros("latency_us", func(a *store.Attempt) *time.Duration { return &a.Latency }),
	value("error", func(a *store.Attempt) *string { return &a.Error }),
	value("succeeded", func(a *store.Attempt) *bool { return &a.Succeeded }),
	timestamp("created_at", func(a *store.Attempt) *time.Time { return &a.CreatedAt }),
)}

// productTable is the products table.
var productTable = table[store.Product]{name: "products", columns: scoped(
	func(p *store.Product) (*int64, *string, *store.Scope) { return &p.Seq, &p.ID, &p.Scope },
	value("name", func(p *store.Product) *string { return &p.Name }),
	value("description", func(p *store.Product) *string { return &p.Description }),
	value("active", func(p *store.Product) *bool { return &p.Active }),
	jsonText("metadata", func(p *store.Product) *map[string]string { return &p.Metadata }, "{}"),
	timestamp("created_at", func(p *store.Product) *time.Time { return &p.CreatedAt }),
	timestamp("updated_at", func(p *store.Product) *time.Time { return &p.UpdatedAt }),
)}

// priceTable is the prices table; lookup_key is NULL when empty, so that its
// unique index holds only the keys that are set.
var priceTable = table[store.Price]{name: "prices", columns: scoped(
	func(p *store.Price) (*int64, *string, *store.Scope) { return &p.Seq, &p.ID, &p.Scope },
	value("product_id", func(p *store.Price) *string { return &p.ProductID }),
	value("active", func(p *store.Price) *bool { return &p.Active }),
	value("currency", func(p *store.Price) *string { return &p.Currency }),
	value("unit_amount", func(p *store.Price) *int64 { return &p.UnitAmount }),
	nullText("lookup_key", func(p *store.Price) *string { return &p.LookupKey }),
	value("nickname", func(p *store.Price) *string { return &p.Nickname }),
	value("recurring_interval", func(p *store.Price) *string { return &p.Interval }),
	value("recurring_interval_count", func(p *store.Price) *int64 { return &p.IntervalCount }),
	jsonText("metadata", func(p *store.Price) *map[string]string { return &p.Metadata }, "{}"),
	timestamp("created_at", func(p *store.Price) *time.Time { return &p.CreatedAt }),
	timestamp("updated_at", func(p *store.Price) *time.Time { return &p.UpdatedAt }),
)}

// customerTable is the customers table.
var customerTable = table[store.Customer]{name: "customers", columns: scoped(
	func(c *store.Customer) (*int64, *string, *store.Scope) { return &c.Seq, &c.ID, &c.Scope },
	value("email", func(c *store.Customer) *string { return &c.Email }),
	value("name", func(c *store.Customer) *string { return &c.Name }),
	value("phone", func(c *store.Customer) *string { return &c.Phone }),
	value("description", func(c *store.Customer) *string { return &c.Description }),
	jsonText("metadata", func(c *store.Customer) *map[string]string { return &c.Metadata }, "{}"),
	timestamp("created_at", func(c *store.Customer) *time.Time { return &c.CreatedAt }),
	timestamp("updated_at", func(c *store.Customer) *time.Time { return &c.UpdatedAt }),
)}

// The column lists every SELECT and RETURNING of a table uses, in scan order.
var (
	// SessionColumns are the sessions columns.
	SessionColumns = sessionTable.list()
	// SessionWritten are the sessions columns an insert writes (all but
	// seq), in the order of Store.SessionArgs.
	SessionWritten = sessionTable.written()
	// EventColumns are the events columns (session_id is written, not read).
	EventColumns = eventTable.list()
	// EndpointColumns are the webhook_endpoints columns.
	EndpointColumns = endpointTable.list()
	// AttemptColumns are the webhook_attempts columns.
	AttemptColumns = attemptTable.list()
	// ConnectorColumns are the connectors columns.
	ConnectorColumns = connectorTable.list()
	// ProductColumns are the products columns.
	ProductColumns = productTable.list()
	// PriceColumns are the prices columns.
	PriceColumns = priceTable.list()
	// CustomerColumns are the customers columns.
	CustomerColumns = customerTable.list()
)
