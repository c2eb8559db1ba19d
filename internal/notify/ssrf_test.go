package notify

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// in names the refusal of a literal address in block prefix of notGlobal,
// as CheckURL's message gives it.
func in(prefix string) string { return "is not public (" + prefix + ", " }

// Refusals of a URL whose host is a name: they never say what it resolves to.
const (
	resolvesPrivate  = "resolves to an address that is not public"
	noSuchHost       = "does not resolve"
	notGlobalUnicast = "is not public (outside 2000::/3, "
)

// targetCases are webhook URLs and whether an endpoint held to the public
// rule may have them: want is "" for a public target, else a part of the
// refusal. Names resolve through testNames (and the hosts file: localhost).
var targetCases = []struct{ url, want string }{
	// IPv4 Special-Purpose Address Registry, and multicast.
	{"http://0.0.0.0/", in("0.0.0.0/8")},
	{"http://0.1.2.3:8080/hook", in("0.0.0.0/8")},
	{"http://10.0.0.1/", in("10.0.0.0/8")},
	{"http://10.255.255.255:8443/x", in("10.0.0.0/8")},
	{"http://100.64.0.1/", in("100.64.0.0/10")},
	{"http://100.127.255.254/", in("100.64.0.0/10")},
	{"http://127.0.0.1:3000/webhooks", in("127.0.0.0/8")},
	{"http://127.255.255.254/", in("127.0.0.0/8")},
	{"http://169.254.169.254/latest/meta-data/", in("169.254.0.0/16")},
	{"http://172.16.0.1/", in("172.16.0.0/12")},
	{"http://172.31.255.255/", in("172.16.0.0/12")},
	{"http://192.0.0.1/", in("192.0.0.0/29")},
	{"http://192.0.0.9/", in("192.0.0.0/24")}, // PCP anycast: reachable per IANA, refused here
	{"http://192.0.0.170/", in("192.0.0.0/24")},
	{"http://192.0.2.10/", in("192.0.2.0/24")},
	{"http://192.88.99.1/", in("192.88.99.0/24")},
	{"http://192.168.1.1/", in("192.168.0.0/16")},
	{"http://198.18.0.1/", in("198.18.0.0/15")},
	{"http://198.19.255.255/", in("198.18.0.0/15")},
	{"http://198.51.100.1/", in("198.51.100.0/24")},
	{"http://203.0.113.7/", in("203.0.113.0/24")},
	{"http://224.0.0.1/", in("224.0.0.0/4")},
	{"http://239.255.255.250:1900/", in("224.0.0.0/4")},
	{"http://240.0.0.1/", in("240.0.0.0/4")},
	{"http://255.255.255.254/", in("240.0.0.0/4")},
	{"http://255.255.255.255/", in("255.255.255.255/32")},

	// IPv6 Special-Purpose Address Registry, multicast and the rest of the
	// space outside 2000::/3; bracketed, with ports and zones.
	{"http://[::]/", in("::/128")},
	{"http://[::1]:3000/webhooks", in("::1/128")},
	{"http://[0:0:0:0:0:0:0:1]/", in("::1/128")},
	{"http://[::127.0.0.1]/", in("::/96")}, // IPv4-compatible
	{"http://[::a9fe:a9fe]/", in("::/96")},
	{"http://[::ffff:10.0.0.1]/", in("10.0.0.0/8")}, // IPv4-mapped: judged as the IPv4 address
	{"http://[::ffff:7f00:1]/", in("127.0.0.0/8")},
	{"http://[0:0:0:0:0:ffff:a9fe:a9fe]/", in("169.254.0.0/16")},
	{"http://[::ffff:0:7f00:1]/", notGlobalUnicast}, // IPv4-translated (RFC 6145)
	{"http://[64:ff9b::a9fe:a9fe]/", in("64:ff9b::/96")},
	{"http://[64:ff9b::8.8.8.8]/", in("64:ff9b::/96")}, // NAT64 is refused whatever it carries
	{"http://[64:ff9b:1::a00:1]/", in("64:ff9b:1::/48")},
	{"http://[100::1]/", in("100::/64")},
	{"http://[100:0:0:1::1]/", in("100:0:0:1::/64")},
	{"http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", in("2001::/32")}, // Teredo
	{"http://[2001:1::1]/", in("2001::/23")},                            // PCP anycast
	{"http://[2001:2::1]/", in("2001:2::/48")},
	{"http://[2001:10::1]/", in("2001:10::/28")},
	{"http://[2001:20::1]/", in("2001:20::/28")},
	{"http://[2001:db8::1]/", in("2001:db8::/32")},
	{"http://[2002:7f00:1::]/", in("2002::/16")}, // 6to4 of 127.0.0.1
	{"http://[2002:a9fe:a9fe::1]/", in("2002::/16")},
	{"http://[3fff::1]/", in("3fff::/20")},
	{"http://[5f00::1]/", in("5f00::/16")},
	{"http://[fc00::1]/", in("fc00::/7")},
	{"http://[fd12:3456:789a::1]:8080/", in("fc00::/7")},
	{"http://[fe80::1]/", in("fe80::/10")},
	{"http://[fe80::1%25eth0]/", in("fe80::/10")}, // a zone matches no prefix: stripped first
	{"http://[ff02::1]/", in("ff00::/8")},
	{"http://[fec0::1]/", notGlobalUnicast}, // site-local, deprecated
	{"http://[4000::1]/", notGlobalUnicast},

	// Other spellings of 127.0.0.1. Neither url.Parse nor netip/net.ParseIP
	// takes them as addresses, so they are names: Go's resolver refuses an
	// all-numeric name, and a resolver that reads them as inet_aton does
	// (glibc's, under cgo) answers 127.0.0.1, which 0x7f.1 plays here.
	{"http://2130706433/", noSuchHost},
	{"http://017700000001/", noSuchHost},
	{"http://127.1/", noSuchHost},
	{"http://0/", noSuchHost},
	{"http://0x7f.1/", resolvesPrivate},

	// Names.
	{"http://localhost:3000/webhooks", resolvesPrivate}, // the hosts file
	{"http://private.test/hook", resolvesPrivate},
	{"http://mixed.test/hook", resolvesPrivate}, // one private address is enough
	{"http://ula.test/hook", resolvesPrivate},
	{"http://mapped.test/hook", resolvesPrivate},
	{"http://nat64.test/hook", resolvesPrivate},
	{"http://sixtofour.test/hook", resolvesPrivate},
	{"http://nowhere.test/hook", noSuchHost},

	// Public: globally reachable, next to refused blocks.
	{"http://8.8.8.8/", ""},
	{"http://1.1.1.1:8443/hook", ""},
	{"http://9.255.255.255/", ""},
	{"http://11.0.0.1/", ""},
	{"http://100.63.255.255/", ""},
	{"http://100.128.0.1/", ""},
	{"http://172.32.0.1/", ""},
	{"http://192.0.1.1/", ""},
	{"http://192.31.196.1/", ""}, // AS112-v4: globally reachable
	{"http://198.20.0.1/", ""},
	{"http://223.255.255.254/", ""},
	{"http://[::ffff:8.8.8.8]/", ""},
	{"http://[2606:4700::1111]/", ""},
	{"http://[2001:4860:4860::8888]/", ""},
	{"http://[2001:200::1]/", ""}, // just past 2001::/23
	{"http://[2620:4f:8000::1]/", ""},
	{"http://public.test/hook", ""},
	{"http://PUBLIC.test./hook", ""},
}

// testNames is what the cases' names resolve to.
var testNames = map[string]string{
	"public.test":    "93.184.216.34 2606:2800:220:1:248:1893:25c8:1946",
	"private.test":   "10.1.2.3",
	"mixed.test":     "93.184.216.34 10.0.0.1",
	"ula.test":       "fd00::1",
	"mapped.test":    "::ffff:169.254.169.254",
	"nat64.test":     "64:ff9b::a9fe:a9fe",
	"sixtofour.test": "2002:c0a8:101::1",
	"0x7f.1":         "127.0.0.1",
}

// TestCheckURLTargets checks every case for live endpoints, for test ones
// with private test targets off (the same answers), and for test ones with
// them on (everything allowed).
func TestCheckURLTargets(t *testing.T) {
	t.Parallel()
	if len(targetCases) < 40 {
		t.Fatalf("%d cases", len(targetCases))
	}
	r := newFakeDNS(t, testNames).resolver()
	open := &Service{Sender: NewSender(r)}
	closed := &Service{Sender: NewSender(r), NoPrivateTestTargets: true}
	ctx := context.Background()
	for _, c := range targetCases {
		secure := "https" + strings.TrimPrefix(c.url, "http")
		for _, p := range []struct {
			mode string
			err  error
			want string
		}{
			{"live", open.CheckURL(ctx, secure, true), c.want},
			{"test, private targets off", closed.CheckURL(ctx, c.url, false), c.want},
			{"test, private targets on", open.CheckURL(ctx, c.url, false), ""},
		} {
			switch {
			case p.want == "" && p.err != nil:
				t.Errorf("%s %s: refused: %v", p.mode, c.url, p.err)
			case p.want != "" && (p.err == nil || !strings.Contains(p.err.Error(), p.want)):
				t.Errorf("%s %s: got %v, want an error with %q", p.mode, c.url, p.err, p.want)
			case p.err != nil && p.want == resolvesPrivate:
				for _, a := range strings.Fields(testNames[strings.ToLower(mustHost(t, c.url))]) {
					if strings.Contains(p.err.Error(), a) {
						t.Errorf("%s %s: %q names the address it resolves to", p.mode, c.url, p.err)
					}
				}
			}
		}
	}
}

// TestDialPublic checks the check made at each connection agrees with the
// one made when saving, on every literal address of the cases.
func TestDialPublic(t *testing.T) {
	t.Parallel()
	n := 0
	for _, c := range targetCases {
		a, err := netip.ParseAddr(mustHost(t, c.url))
		if err != nil {
			continue
		}
		n++
		err = dialPublic("tcp", netip.AddrPortFrom(a, 443).String(), nil)
		if (err != nil) != (c.want != "") || (err != nil && !errors.Is(err, errNotAllowed)) {
			t.Errorf("dialPublic(%s): %v, want refused: %t", a, err, c.want != "")
		}
	}
	if n < 60 {
		t.Fatalf("only %d literal addresses", n)
	}
	if err := dialPublic("tcp", "not an address", nil); !errors.Is(err, errNotAllowed) {
		t.Errorf("an address the dialer cannot have given: %v", err)
	}
}

// TestEveryBlockTested fails when a block of notGlobal has no case: a block
// added without one, or a case lost.
func TestEveryBlockTested(t *testing.T) {
	t.Parallel()
	for _, r := range notGlobal {
		found := false
		for _, c := range targetCases {
			found = found || c.want == in(r.prefix.String())
		}
		if !found {
			t.Errorf("no case of %s (%s)", r.prefix, r.name)
		}
	}
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname()
}
