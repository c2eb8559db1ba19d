// Package seal encrypts caisse's secrets at rest (webhook signing secrets,
// stored idempotent responses) with AES-256-GCM under keys from the
// configuration. A sealed value names the key that sealed it, so keys can be
// rotated: seal with the newest, open with any configured. It imports no
// caisse package.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// prefix marks a sealed value: "sealed:v1:<key id>:<base64 of nonce and ciphertext>".
const prefix = "sealed:v1:"

// KeySize is the length of a key: 32 bytes, written as 64 hex digits.
const KeySize = 32

// ErrNoKey means a sealed value names a key that is not configured.
var ErrNoKey = errors.New("seal: the key that sealed this value is not configured")

// Box seals with its first key and opens with any of its keys.
type Box struct {
	ids   []string // id of each key: the first 8 hex digits of its SHA-256
	aeads map[string]cipher.AEAD
}

// New makes a Box from keys, the newest first; each is 64 hex digits.
func New(keys ...string) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	b := &Box{aeads: map[string]cipher.AEAD{}}
	for i, k := range keys {
		raw, err := hex.DecodeString(strings.TrimSpace(k))
		if err != nil || len(raw) != KeySize {
			return nil, fmt.Errorf("seal: key %d must be %d hex digits", i+1, 2*KeySize)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		id := hex.EncodeToString(sum[:4])
		b.ids = append(b.ids, id)
		b.aeads[id] = aead
	}
	return b, nil
}

// Parse makes a Box from a comma-separated list of keys, the newest first.
func Parse(list string) (*Box, error) { return New(strings.Split(list, ",")...) }

// NewKey returns a fresh random key, as 64 hex digits.
func NewKey() string {
	k := make([]byte, KeySize)
	rand.Read(k) // never fails: crypto/rand crashes the program instead
	return hex.EncodeToString(k)
}

// Load reads the keys in the file at path: one or more keys, the newest
// first, separated by spaces, commas or newlines.
func Load(path string) (*Box, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: read key file: %w", err)
	}
	return Parse(strings.Join(strings.FieldsFunc(string(raw), isSeparator), ","))
}

func isSeparator(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }

// LoadOrCreate reads the keys in the file at path, or, when there is no such
// file, writes a new key there (mode 0600) and reports that it did.
func LoadOrCreate(path string) (b *Box, created bool, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := NewKey()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("seal: create key file: %w", err)
		}
		_, werr := f.WriteString(key + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, false, fmt.Errorf("seal: write key file: %w", err)
		}
		b, err := New(key)
		return b, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("seal: read key file: %w", err)
	}
	b, err = Parse(strings.Join(strings.FieldsFunc(string(raw), isSeparator), ","))
	return b, false, err
}

// Seal encrypts plain with the newest key.
func (b *Box) Seal(plain []byte) string {
	id := b.ids[0]
	aead := b.aeads[id]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, plain, []byte(id))
	return prefix + id + ":" + base64.RawStdEncoding.EncodeToString(sealed)
}

// Sealed reports whether s is a sealed value (anything else is stored clear,
// as caisse wrote secrets before it sealed them).
func Sealed(s string) bool { return strings.HasPrefix(s, prefix) }

// Open decrypts a sealed value; a value that is not sealed is returned as it is.
func (b *Box) Open(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return []byte(s), nil
	}
	id, data, ok := strings.Cut(rest, ":")
	aead := b.aeads[id]
	if !ok || aead == nil {
		return nil, ErrNoKey
	}
	raw, err := base64.RawStdEncoding.DecodeString(data)
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, errors.New("seal: malformed sealed value")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, errors.New("seal: the sealed value does not open (tampered, or another key with the same id)")
	}
	return plain, nil
}
