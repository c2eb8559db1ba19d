// Package money holds amounts as integer minor units of an ISO 4217 currency,
// and formats them for people. It imports no other caisse package.
package money

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/currency"
)

// Currency is an upper-case ISO 4217 code such as "XOF".
type Currency string

// ParseCurrency validates an ISO 4217 code (any case) and returns it upper-cased.
func ParseCurrency(code string) (Currency, error) {
	u, err := currency.ParseISO(code)
	if err != nil || len(code) != 3 {
		return "", fmt.Errorf("money: %q is not an ISO 4217 currency code", code)
	}
	return Currency(u.String()), nil
}

// All lists every current ISO 4217 tender currency, sorted by code.
func All() []string {
	var out []string
	for it := currency.Query(); it.Next(); {
		out = append(out, it.Unit().String())
	}
	slices.Sort(out)
	return out
}

// Digits is the number of minor-unit digits of the currency: 0 for XOF, 2 for EUR.
func (c Currency) Digits() int {
	u, err := currency.ParseISO(string(c))
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

// Symbol is how French-speaking customers read the currency: FCFA for the CFA francs.
func (c Currency) Symbol() string {
	switch c {
	case "XOF", "XAF":
		return "FCFA"
	}
	return string(c)
}

// FormatFrench renders minor units the French way: "5 000 FCFA", "12,50 EUR".
func FormatFrench(minor int64, c Currency) string {
	return format(minor, c.Digits(), "\u202f", ",") + " " + c.Symbol()
}

// FormatEnglish renders minor units the English way: "XOF 5,000", "EUR 12.50".
func FormatEnglish(minor int64, c Currency) string {
	return string(c) + " " + format(minor, c.Digits(), ",", ".")
}

func format(minor int64, digits int, group, point string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := fmt.Sprintf("%0*d", digits+1, minor)
	whole, frac := s[:len(s)-digits], s[len(s)-digits:]
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	if digits > 0 {
		b.WriteString(point + frac)
	}
	return sign + b.String()
}
