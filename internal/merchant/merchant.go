// Package merchant owns tenants and their secret keys: creation, hashing at
// rest, authentication in constant time, revocation, and fee schedules.
// It imports store, never an HTTP or engine package.
package merchant

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/caisse/caisse/internal/money"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// Key prefixes; the rest of a key is 32 base62 characters (190 bits).
const (
	TestKeyPrefix = "sk_test_"
	LiveKeyPrefix = "sk_live_"
)

// DefaultFee is the schedule of a merchant created without one: 0.5 %, so 5000 → 25.
var DefaultFee = store.FeeSchedule{BasisPoints: 50}

// ErrUnauthorized means the key is malformed, unknown or revoked.
var ErrUnauthorized = errors.New("merchant: invalid API key")

// Principal is who a request acts for: a merchant, in the mode of the key used.
type Principal struct {
	Merchant store.Merchant
	KeyID    string
	Livemode bool
}

// Scope is the principal's tenant boundary.
func (p Principal) Scope() store.Scope {
	return store.Scope{MerchantID: p.Merchant.ID, Livemode: p.Livemode}
}

// Service creates merchants and keys and authenticates requests.
type Service struct {
	Store store.Store
	Now   func() time.Time

	// DevKeys is caisse dev's key rule: any well-formed test key (DevKey)
	// that no merchant holds is made, on its first use, the key of a merchant
	// of its own accepting every currency, and live keys are refused. Off,
	// the default (caisse serve), only keys made by KeyCreate authenticate.
	DevKeys bool

	mu    sync.Mutex
	known map[string]knownKey // by the hash of the secret: principals seen within PrincipalTTL
}

// PrincipalTTL is how long Authenticate trusts a key it has looked up
// without looking again: a key revoked (on any node, by any process) is
// refused everywhere within this time.
const PrincipalTTL = time.Second

// maxKnown bounds the principals Authenticate remembers; when full it forgets them all.
const maxKnown = 10_000

// knownKey is a principal Authenticate looked up, until when it may be reused.
type knownKey struct {
	p     Principal
	until time.Time
}

// Created is a new merchant with its first two keys, shown only this once.
type Created struct {
	Merchant      store.Merchant
	TestSecretKey string
	LiveSecretKey string
}

// Create makes a merchant with a test key and a live key. Currencies default
// to XOF and the fee schedule to DefaultFee.
func (s *Service) Create(ctx context.Context, name string, currencies []string, fee *store.FeeSchedule) (Created, error) {
	if len(currencies) == 0 {
		currencies = []string{"XOF"}
	}
	if fee == nil {
		fee = &DefaultFee
	}
	m := store.Merchant{ID: randid.New("mer_"), Name: name, Currencies: currencies, Fee: *fee, CreatedAt: s.Now().UTC()}
	if err := validate(&m); err != nil {
		return Created{}, err
	}
	if err := s.Store.MerchantCreate(ctx, m); err != nil {
		return Created{}, err
	}
	out := Created{Merchant: m}
	var err error
	if out.TestSecretKey, _, err = s.KeyCreate(ctx, m.ID, false); err != nil {
		return out, err
	}
	out.LiveSecretKey, _, err = s.KeyCreate(ctx, m.ID, true)
	return out, err
}

// Changes are what Update changes of a merchant; a nil field is kept.
type Changes struct {
	Name       *string
	Currencies []string
	Fee        *store.FeeSchedule
}

// Update changes a merchant's name, currencies or fee schedule, checked as
// Create checks them, and returns the merchant as stored. Servers see the
// change with the merchant's next key look-up: within PrincipalTTL.
func (s *Service) Update(ctx context.Context, id string, c Changes) (store.Merchant, error) {
	m, err := s.Store.MerchantGet(ctx, id)
	if err != nil {
		return m, fmt.Errorf("merchant %s: %w", id, err)
	}
	if c.Name != nil {
		m.Name = *c.Name
	}
	if c.Currencies != nil {
		m.Currencies = c.Currencies
	}
	if c.Fee != nil {
		m.Fee = *c.Fee
	}
	if err := validate(&m); err != nil {
		return m, err
	}
	return m, s.Store.MerchantUpdate(ctx, m)
}

// validate checks a merchant's name, currencies (made canonical, upper case)
// and fee schedule.
func validate(m *store.Merchant) error {
	if strings.TrimSpace(m.Name) == "" {
		return errors.New("merchant: a name is required")
	}
	if len(m.Currencies) == 0 {
		return errors.New("merchant: at least one currency is required")
	}
	for i, c := range m.Currencies {
		cur, err := money.ParseCurrency(c)
		if err != nil {
			return err
		}
		m.Currencies[i] = string(cur)
	}
	return validateFee(m.Fee)
}

func validateFee(f store.FeeSchedule) error {
	switch {
	case f.BasisPoints < 0 || f.BasisPoints > 10000:
		return errors.New("merchant: fee basis points must be within 0..10000")
	case f.Fixed < 0 || f.Minimum < 0 || f.Maximum < 0:
		return errors.New("merchant: fee amounts must not be negative")
	case f.Maximum != 0 && f.Maximum < f.Minimum:
		return errors.New("merchant: fee maximum is below the minimum")
	}
	return nil
}

// KeyCreate makes a secret key for the merchant and mode, stores its hash and returns the key.
func (s *Service) KeyCreate(ctx context.Context, merchantID string, live bool) (string, store.APIKey, error) {
	if _, err := s.Store.MerchantGet(ctx, merchantID); err != nil {
		return "", store.APIKey{}, fmt.Errorf("merchant %s: %w", merchantID, err)
	}
	prefix := TestKeyPrefix
	if live {
		prefix = LiveKeyPrefix
	}
	secret := prefix + randid.String(32)
	k := store.APIKey{ID: randid.New("key_"), MerchantID: merchantID, Livemode: live,
		Hash: hash(secret), Last4: Last4(secret), CreatedAt: s.Now().UTC()}
	return secret, k, s.Store.KeyCreate(ctx, k)
}

// Authenticate resolves a secret key to the merchant and mode it grants.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	live := strings.HasPrefix(secret, LiveKeyPrefix)
	if !live && !strings.HasPrefix(secret, TestKeyPrefix) || len(secret) > 128 {
		return Principal{}, ErrUnauthorized
	}
	h := hash(secret)
	now := s.Now()
	s.mu.Lock()
	known, ok := s.known[string(h)]
	s.mu.Unlock()
	if ok && now.Before(known.until) {
		return known.p, nil
	}
	if s.DevKeys && live {
		return Principal{}, ErrUnauthorized
	}
	k, m, err := s.Store.KeyGetByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) && s.DevKeys && DevKey(secret) {
		k, m, err = s.provision(ctx, secret)
	}
	if errors.Is(err, store.ErrNotFound) || err == nil && (subtle.ConstantTimeCompare(k.Hash, h) != 1 || k.Livemode != live) {
		return Principal{}, ErrUnauthorized
	}
	if err != nil {
		return Principal{}, err
	}
	p := Principal{Merchant: m, KeyID: k.ID, Livemode: k.Livemode}
	s.mu.Lock()
	if s.known == nil || len(s.known) >= maxKnown {
		s.known = map[string]knownKey{}
	}
	s.known[string(h)] = knownKey{p: p, until: now.Add(PrincipalTTL)}
	s.mu.Unlock()
	return p, nil
}

// DevKey reports whether secret is a well-formed Stripe-style test key, as
// caisse dev accepts: "sk_test_" then 1 to 100 ASCII letters and digits
// (sk_test_123, or a key copied from Stripe's dashboard).
func DevKey(secret string) bool {
	rest, ok := strings.CutPrefix(secret, TestKeyPrefix)
	if !ok || len(rest) == 0 || len(rest) > 100 {
		return false
	}
	for _, c := range []byte(rest) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// provision stores a dev key, and the merchant of its own it is made for,
// and returns them as KeyGetByHash then does. Their ids derive from the
// key's hash, so that requests racing on a key's first use, on any node,
// insert the same rows: the losers' inserts conflict and they read the
// winner's. A revoked dev key stays revoked: its key row is there.
func (s *Service) provision(ctx context.Context, secret string) (store.APIKey, store.Merchant, error) {
	h := hash(secret)
	sum := sha256.Sum256(append([]byte("caisse dev merchant\x00"), h...))
	id := hex.EncodeToString(sum[:12])
	now := s.Now().UTC()
	m := store.Merchant{ID: "mer_dev_" + id, Name: "caisse dev (key …" + Last4(secret) + ")", Currencies: money.All(),
		Fee: DefaultFee, CreatedAt: now}
	if err := s.Store.MerchantCreate(ctx, m); err != nil && !errors.Is(err, store.ErrConflict) {
		return store.APIKey{}, m, err
	}
	k := store.APIKey{ID: "key_dev_" + id, MerchantID: m.ID, Hash: h, Last4: Last4(secret), CreatedAt: now}
	if err := s.Store.KeyCreate(ctx, k); err != nil && !errors.Is(err, store.ErrConflict) {
		return k, m, err
	}
	return s.Store.KeyGetByHash(ctx, h)
}

// Last4 is the part of a key that may be shown: its last four characters.
func Last4(secret string) string {
	if len(secret) < 4 {
		return secret
	}
	return secret[len(secret)-4:]
}

func hash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// Fee is the transaction fee of an amount under a schedule, in the same minor
// units: the percentage rounded half up, plus the fixed part, then clamped to
// the minimum and maximum. Amounts are bounded well below overflow by callers.
func Fee(f store.FeeSchedule, amount int64) int64 {
	fee := (amount*f.BasisPoints+5000)/10000 + f.Fixed
	fee = max(fee, f.Minimum)
	if f.Maximum > 0 {
		fee = min(fee, f.Maximum)
	}
	return fee
}

// Accepts reports whether the merchant may charge in the currency.
func Accepts(m store.Merchant, currency string) bool {
	for _, c := range m.Currencies {
		if c == currency {
			return true
		}
	}
	return false
}
