package hosted

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

func TestLanguagesHaveEveryText(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{{"fr", "en"}, {"en", "fr"}} {
		for k := range languages[pair[0]] {
			if languages[pair[1]][k] == "" {
				t.Errorf("%q is in %s but not in %s", k, pair[0], pair[1])
			}
		}
	}
	for _, sc := range connector.TestScenarios {
		if languages["fr"]["scenario_"+sc.Name] == "" {
			t.Errorf("test scenario %s has no text", sc.Name)
		}
	}
	for _, c := range connector.Channels {
		if channelNames[c] == "" {
			t.Errorf("channel %s has no name", c)
		}
	}
}

func TestPickLanguage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ locale, accept, want string }{
		{"en", "fr", "en"}, {"fr-CI", "en", "fr"}, {"", "en-US,en;q=0.8", "en"}, {"auto", "de, en;q=0.5", "en"},
		{"", "", "fr"}, {"", "de", "fr"}, {"es", "", "fr"}, {"", "not a header;;", "fr"},
	} {
		r := httptest.NewRequest("GET", "/pay/x", nil)
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		if got := pickLanguage(c.locale, r); got != c.want {
			t.Errorf("locale %q, Accept-Language %q: %s, want %s", c.locale, c.accept, got, c.want)
		}
	}
}

func TestTimeLeftAndMask(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{-time.Minute: "0 min", 29*time.Minute + 40*time.Second: "30 min",
		24 * time.Hour: "24 h 00 min", 65 * time.Minute: "1 h 05 min"} {
		if got := timeLeft(d); got != want {
			t.Errorf("timeLeft(%s) = %q, want %q", d, got, want)
		}
	}
	if got := maskPhone("+2250707000001"); got != "+225••••••••01" {
		t.Errorf("maskPhone = %q", got)
	}
}
