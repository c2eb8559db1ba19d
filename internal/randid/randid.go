// Package randid makes unguessable identifiers and secrets from crypto/rand,
// written in base62 so they are safe in URLs and easy to copy.
package randid

import "crypto/rand"

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// unbiased is the largest multiple of len(alphabet) a byte can hold: a byte
// below it picks a character uniformly (byte % 62); the others are drawn again.
const unbiased = 256 - 256%len(alphabet)

// String returns n random base62 characters (about 5.95 bits each).
func String(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/8+4) // 3 % of bytes are drawn again: usually one read
	for len(out) < n {
		rand.Read(buf) //nolint:errcheck // crypto/rand.Read never fails (it crashes the program instead)
		for _, v := range buf {
			if int(v) < unbiased && len(out) < n {
				out = append(out, alphabet[int(v)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// New returns prefix followed by 24 random base62 characters (142 bits).
func New(prefix string) string { return prefix + String(24) }
