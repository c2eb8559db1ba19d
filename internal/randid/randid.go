// Package randid makes unguessable identifiers and secrets from crypto/rand,
// written in base62 so they are safe in URLs and easy to copy.
package randid

import (
	"crypto/rand"
	"math/big"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// String returns n random base62 characters (about 5.95 bits each).
func String(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("randid: crypto/rand failed: " + err.Error())
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// New returns prefix followed by 24 random base62 characters (142 bits).
func New(prefix string) string { return prefix + String(24) }
