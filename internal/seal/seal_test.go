package seal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenRotate(t *testing.T) {
	t.Parallel()
	oldKey, newKey := NewKey(), NewKey()
	old, err := New(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed := old.Seal([]byte("whsec_abc"))
	if !Sealed(sealed) || strings.Contains(sealed, "whsec_abc") || sealed == old.Seal([]byte("whsec_abc")) {
		t.Fatalf("sealed value %q shows the secret or repeats its nonce", sealed)
	}
	rotated, err := Parse(newKey + "," + oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(sealed); err != nil || string(got) != "whsec_abc" {
		t.Fatalf("old value under the rotated keys: %q %v", got, err)
	}
	if fresh := rotated.Seal([]byte("x")); strings.Split(fresh, ":")[2] == strings.Split(sealed, ":")[2] {
		t.Fatal("the rotated box seals with the old key, not the newest")
	}
	if _, err := New(newKey); err != nil {
		t.Fatal(err)
	}
	onlyNew, _ := New(newKey)
	if _, err := onlyNew.Open(sealed); err != ErrNoKey {
		t.Fatalf("a value sealed with a retired key: %v, want ErrNoKey", err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := rotated.Open(tampered); err == nil {
		t.Fatal("a tampered value opened")
	}
	if got, err := rotated.Open("whsec_legacy"); err != nil || string(got) != "whsec_legacy" {
		t.Fatalf("a clear legacy value: %q %v", got, err)
	}
	for _, bad := range []string{"", "zz", strings.Repeat("a", 63), oldKey + "00"} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

func TestLoadOrCreate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "caisse.db.key")
	b, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first load: created %v, %v", created, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	sealed := b.Seal([]byte("s"))
	again, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second load: created %v, %v", created, err)
	}
	if got, err := again.Open(sealed); err != nil || string(got) != "s" {
		t.Fatalf("the key file's key does not open what it sealed: %q %v", got, err)
	}
}
