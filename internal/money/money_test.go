package money

import "testing"

func TestFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		minor  int64
		cur    Currency
		fr, en string
	}{
		{5000, "XOF", "5\u202f000 FCFA", "XOF 5,000"},
		{100, "XOF", "100 FCFA", "XOF 100"},
		{1234567, "XAF", "1\u202f234\u202f567 FCFA", "XAF 1,234,567"},
		{1250, "EUR", "12,50 EUR", "EUR 12.50"},
		{5, "EUR", "0,05 EUR", "EUR 0.05"},
	}
	for _, c := range cases {
		if got := FormatFrench(c.minor, c.cur); got != c.fr {
			t.Errorf("FormatFrench(%d, %s) = %q, want %q", c.minor, c.cur, got, c.fr)
		}
		if got := FormatEnglish(c.minor, c.cur); got != c.en {
			t.Errorf("FormatEnglish(%d, %s) = %q, want %q", c.minor, c.cur, got, c.en)
		}
	}
}

func TestParseCurrency(t *testing.T) {
	t.Parallel()
	if c, err := ParseCurrency("xof"); err != nil || c != "XOF" || c.Digits() != 0 {
		t.Fatalf("ParseCurrency(xof) = %q, %v (digits %d)", c, err, c.Digits())
	}
	if c, _ := ParseCurrency("EUR"); c.Digits() != 2 {
		t.Fatalf("EUR digits = %d", c.Digits())
	}
	for _, bad := range []string{"", "XX", "ZZZ", "XOFF", "usd1"} {
		if _, err := ParseCurrency(bad); err == nil {
			t.Errorf("ParseCurrency(%q) accepted", bad)
		}
	}
}
