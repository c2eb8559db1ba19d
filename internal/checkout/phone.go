package checkout

import (
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// UnknownRegion is the region to give NormalizePhone when the number may be
// written for people (with spaces, dots, dashes, parentheses) but no
// country is known for a local number: only the international form is
// accepted. It is libphonenumber's own name for no region.
const UnknownRegion = "ZZ"

// NormalizePhone checks that s is a valid phone number and returns its
// canonical E.164 form.
//
// With region "" (the API dialects) s must be E.164 already: "+" and digits,
// nothing else. With a region (an ISO 3166 alpha-2 code such as "CI", or
// UnknownRegion), s is a number as a person types it: spaces, dots, dashes
// and parentheses are ignored, and a number without "+" is a local number of
// that region ("07 07 00 00 01" in "CI" is +2250707000001).
//
// Côte d'Ivoire's 8-digit mobile numbers (before the 2021 renumbering, as in
// the mobile-money API's "+22507987654", or "07 98 76 54" typed in "CI") are rewritten to
// the 10-digit plan by the ARTCI rule: the second digit picks the operator
// prefix (0–3 → 01, 4–6 → 05, 7–9 → 07).
func NormalizePhone(s, region string) (string, bool) {
	if region != "" {
		if len(s) > 40 {
			return "", false
		}
		s = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || strings.ContainsRune(".-‐‑–—()", r) {
				return -1
			}
			return r
		}, s)
		region = strings.ToUpper(region)
	}
	international := strings.HasPrefix(s, "+")
	digits := strings.TrimPrefix(s, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" || len(digits) > 15 {
		return "", false
	}
	switch {
	case international && len(digits) < 7:
		return "", false
	case international:
		if strings.HasPrefix(digits, "225") && len(digits) == 11 && digits[3] == '0' {
			digits = "225" + ivorianPrefix[digits[4]] + digits[3:]
		}
		s = "+" + digits
	case region == "" || region == UnknownRegion:
		return "", false // a local number, and no region to read it in
	default:
		if region == "CI" && len(digits) == 8 && digits[0] == '0' {
			digits = ivorianPrefix[digits[1]] + digits
		}
		s = digits
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

var ivorianPrefix = map[byte]string{
	'0': "01", '1': "01", '2': "01", '3': "01",
	'4': "05", '5': "05", '6': "05",
	'7': "07", '8': "07", '9': "07",
}

// currencyRegions is the country a session's currency points to when nothing
// better says where the customer is: the country whose numbers the hosted
// page reads a local number in, and whose time its receipt shows. A currency
// shared by several countries (the CFA francs) names the largest
// mobile-money market that uses it.
var currencyRegions = map[string]string{
	"XOF": "CI", // franc CFA (BCEAO): Côte d'Ivoire, Senegal, Mali, Burkina Faso, …
	"XAF": "CM", // franc CFA (BEAC): Cameroon, Gabon, Congo, Chad, …
	"GNF": "GN", // Guinea
	"GHS": "GH", // Ghana
	"NGN": "NG", // Nigeria
	"KES": "KE", // Kenya
	"UGX": "UG", // Uganda
	"TZS": "TZ", // Tanzania
	"RWF": "RW", // Rwanda
	"ZMW": "ZM", // Zambia
	"CDF": "CD", // DR Congo
	"SLE": "SL", // Sierra Leone
	"GMD": "GM", // The Gambia
	"MGA": "MG", // Madagascar
}

// Region is the country (ISO 3166 alpha-2) a session's customer most likely
// is in, for reading a phone number typed without its country code and for
// showing times: the country of the session's own phone number if it has
// one, else the one its currency implies (currencyRegions), else "".
func Region(s Session) string {
	if s.UserPhone != "" {
		if n, err := phonenumbers.Parse(s.UserPhone, ""); err == nil {
			if r := phonenumbers.GetRegionCodeForNumber(n); r != "" && r != UnknownRegion {
				return r
			}
		}
	}
	// The merchant's own country, once merchants have one, goes here: ahead
	// of the currency, which several countries share.
	return currencyRegions[s.Currency]
}
