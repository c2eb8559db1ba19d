package checkout

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NormalizePhone checks that s is a valid E.164 number and returns its canonical
// form. Côte d'Ivoire's 8-digit mobile numbers (before the 2021 renumbering, as
// in seed 001's "+22507987654") are rewritten to the 10-digit plan by the ARTCI
// rule: the second digit picks the operator prefix (0–3 → 01, 4–6 → 05, 7–9 → 07).
func NormalizePhone(s string) (string, bool) {
	if !strings.HasPrefix(s, "+") || len(s) < 8 || len(s) > 16 || strings.Trim(s[1:], "0123456789") != "" {
		return "", false
	}
	if strings.HasPrefix(s, "+225") && len(s) == 12 && s[4] == '0' {
		s = "+225" + ivorianPrefix[s[5]] + s[4:]
	}
	n, err := phonenumbers.Parse(s, "")
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
