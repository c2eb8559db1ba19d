package checkout

import (
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
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
		if n := plainE164(digits); n != nil && phonenumbers.IsValidNumber(n) {
			return phonenumbers.Format(n, phonenumbers.E164), true
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

// plainE164 is the number phonenumbers.Parse makes of "+" and digits (at
// most 15, checked by the caller), built without Parse's regular
// expressions, which are most of a create's phone check. It is nil unless
// that is exact: the digits must begin with a country calling code whose
// numbers have no national prefix to strip (Parse strips one, a "0" or a
// carrier code, even after a "+"), as in Côte d'Ivoire and every XOF
// country. The number's validity is left to phonenumbers.IsValidNumber.
func plainE164(digits string) *phonenumbers.PhoneNumber {
	if digits == "" || digits[0] == '0' {
		return nil
	}
	for i := 1; i <= 3 && i < len(digits); i++ {
		cc, _ := strconv.Atoi(digits[:i])
		if phonenumbers.GetRegionCodeForCountryCode(cc) == UnknownRegion {
			continue // not a calling code: Parse tries the next length too
		}
		nsn := digits[i:]
		if !noNationalPrefix()[cc] || len(nsn) < 2 {
			return nil
		}
		n := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(int32(cc))}
		// As Parse: the national number's leading zeros are kept apart.
		if nsn[0] == '0' {
			n.ItalianLeadingZero = proto.Bool(true)
			zeros := 1
			for zeros < len(nsn)-1 && nsn[zeros] == '0' {
				zeros++
			}
			if zeros != 1 {
				n.NumberOfLeadingZeros = proto.Int32(int32(zeros))
			}
		}
		national, err := strconv.ParseUint(nsn, 10, 64)
		if err != nil {
			return nil
		}
		n.NationalNumber = proto.Uint64(national)
		return n
	}
	return nil
}

// noNationalPrefix is the set of calling codes whose metadata (that of the
// code's main region, as Parse reads) has no national prefix, neither to
// dial nor to strip when parsing.
var noNationalPrefix = sync.OnceValue(func() map[int]bool {
	set := map[int]bool{}
	all, err := phonenumbers.MetadataCollection()
	if err != nil {
		return set // Parse for every number
	}
	for _, md := range all.GetMetadata() {
		cc := int(md.GetCountryCode())
		if md.GetId() == phonenumbers.GetRegionCodeForCountryCode(cc) &&
			md.GetNationalPrefix() == "" && md.GetNationalPrefixForParsing() == "" {
			set[cc] = true
		}
	}
	return set
})

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
