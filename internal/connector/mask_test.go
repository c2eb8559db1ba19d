package connector

import "testing"

func TestMaskPhone(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"+2250707000001": "+*********0001",
		"2250707000001":  "*********0001",
		"+12345":         "+*2345",
		"+1234":          "+****", // too short to show any digit
		"123":            "***",
		"":               "",
	}
	for in, want := range cases {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}
