package checkout

import (
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
)

// TestPlainE164 checks that NormalizePhone's fast path builds exactly the
// number phonenumbers.Parse makes, for the example numbers of every region
// and number type and of every non-geographical calling code, and for
// variations of each (a digit changed, one less, one more), and that it is
// taken for Ivorian numbers and refused where Parse strips a national prefix.
func TestPlainE164(t *testing.T) {
	t.Parallel()
	if plainE164("2250707987654") == nil {
		t.Fatal("no fast path for +2250707987654")
	}
	if plainE164("33612345678") != nil { // France's national prefix, 0, is stripped by Parse even after "+33"
		t.Fatal("a fast path for +33612345678")
	}
	var examples []*phonenumbers.PhoneNumber
	for region := range phonenumbers.GetSupportedRegions() {
		for typ := phonenumbers.FIXED_LINE; typ <= phonenumbers.VOICEMAIL; typ++ {
			if n := phonenumbers.GetExampleNumberForType(region, typ); n != nil {
				examples = append(examples, n)
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(cc); n != nil {
			examples = append(examples, n)
		}
	}
	fast, slow := 0, 0
	for _, ex := range examples {
		digits := phonenumbers.Format(ex, phonenumbers.E164)[1:]
		for _, v := range variants(digits) {
			got := plainE164(v)
			if got == nil {
				slow++
				continue
			}
			fast++
			want, err := phonenumbers.Parse("+"+v, "")
			if err != nil {
				t.Errorf("+%s: the fast path made %v, Parse refused it: %v", v, got, err)
				continue
			}
			if !proto.Equal(got, want) {
				t.Errorf("+%s: the fast path made %v, Parse %v", v, got, want)
			}
		}
	}
	t.Logf("%d numbers built without Parse, %d left to it", fast, slow)
	if fast < 1000 || slow < 1000 {
		t.Errorf("%d numbers built without Parse and %d left to it: want both paths tried", fast, slow)
	}
}

// variants are digits and numbers a digit away from it, of at most 15 digits.
func variants(digits string) []string {
	out := []string{digits, digits[:len(digits)-1]}
	if len(digits) < 15 {
		out = append(out, digits+"5")
	}
	for i := range len(digits) {
		d, _ := strconv.Atoi(digits[i : i+1])
		out = append(out, digits[:i]+strconv.Itoa((d+1)%10)+digits[i+1:])
	}
	return out
}

// BenchmarkNormalizePhone checks a number as the API dialects send it
// (E.164), an Ivorian one and a French one (whose national prefix keeps it
// on libphonenumber's Parse).
func BenchmarkNormalizePhone(b *testing.B) {
	for _, n := range []string{"+2250707987654", "+33612345678"} {
		b.Run(n, func(b *testing.B) {
			for b.Loop() {
				if _, ok := NormalizePhone(n, ""); !ok {
					b.Fatal("refused")
				}
			}
		})
	}
}
