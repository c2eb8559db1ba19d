package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/caisse/caisse/internal/store"
)

// txnCases check what a transaction whose writes wait for its commit
// (PostgreSQL pipelines them: sqldb.Pipeliner) still guarantees; on an engine
// that runs each write at once they hold trivially.
func txnCases() map[string]func(*testing.T, store.Store) {
	return map[string]func(*testing.T, store.Store){
		"TxConflictAtCommit": testTxConflictAtCommit,
		"TxReadsItsWrites":   testTxReadsItsWrites,
		"TxConcurrent":       testTxConcurrent,
	}
}

// testTxConflictAtCommit is an idempotent create whose key is taken: the
// session and the record go together, so the session is not stored either.
func testTxConflictAtCommit(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	rec := store.IdempotencyRecord{Scope: scope, Key: "key-taken", RequestHash: []byte("h"), Done: true,
		StatusCode: 201, Body: []byte(`{}`), CreatedAt: now(), LockedAt: now()}
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.IdempotencyPut(ctx, rec) }))
	sess := newSession(scope, now())
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.SessionCreate(ctx, sess); err != nil {
			return err
		}
		return tx.IdempotencyPut(ctx, rec)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("create under a taken key: %v, want ErrConflict", err)
	}
	if _, err := s.SessionGet(ctx, scope, sess.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the session of a create whose key was taken: %v, want ErrNotFound", err)
	}
	// The same create under a free key commits both.
	rec.Key = "key-free"
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.SessionCreate(ctx, sess); err != nil {
			return err
		}
		return tx.IdempotencyPut(ctx, rec)
	}))
	if _, err := s.SessionGet(ctx, scope, sess.ID); err != nil {
		t.Errorf("the session of a committed create: %v", err)
	}
	if got, owned, err := s.IdempotencyBegin(ctx, rec, now()); err != nil || owned || !got.Done {
		t.Errorf("the record of a committed create: %+v, owned %v, %v; want it done", got, owned, err)
	}
}

// testTxReadsItsWrites reads, in the transaction, a session it created and
// has not committed: the read sees it, and a rollback leaves nothing.
func testTxReadsItsWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	sess := newSession(scope, now())
	errRollback := errors.New("roll back")
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.SessionCreate(ctx, sess); err != nil {
			return err
		}
		got, err := tx.SessionGet(ctx, scope, sess.ID)
		if err != nil {
			t.Errorf("reading a session the transaction created: %v", err)
		} else if got.Seq == 0 {
			t.Error("a session read back has no Seq")
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx: %v, want fn's error", err)
	}
	if _, err := s.SessionGet(ctx, scope, sess.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a rolled-back session: %v, want ErrNotFound", err)
	}
}

// testTxConcurrent runs 48 idempotent creates at once, every key used by two
// of them (SQLite commits such transactions in groups, each in a savepoint):
// exactly one create of each key commits, with its session; the other gets
// ErrConflict and leaves no session.
func testTxConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	const n = 48
	sessions := make([]store.Session, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		sessions[i] = newSession(scope, now())
		rec := store.IdempotencyRecord{Scope: scope, Key: fmt.Sprintf("key-%d", i/2), RequestHash: []byte("h"), Done: true,
			StatusCode: 201, Body: []byte(`{}`), CreatedAt: now(), LockedAt: now()}
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(tx store.Tx) error {
				if _, err := tx.SessionCreate(ctx, sessions[i]); err != nil {
					return err
				}
				return tx.IdempotencyPut(ctx, rec)
			})
		})
	}
	wg.Wait()
	for k := 0; k < n; k += 2 {
		won := 0
		for _, i := range []int{k, k + 1} {
			_, err := s.SessionGet(ctx, scope, sessions[i].ID)
			switch {
			case errs[i] == nil && err == nil:
				won++
			case errors.Is(errs[i], store.ErrConflict) && errors.Is(err, store.ErrNotFound):
			default:
				t.Errorf("create %d: %v, its session: %v", i, errs[i], err)
			}
		}
		if won != 1 {
			t.Errorf("key-%d: %d creates committed, want 1", k/2, won)
		}
	}
}
