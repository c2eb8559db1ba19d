package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// Where a webhook may go. An endpoint held to the public rule (every live
// one, and test ones when private test targets are off) reaches only
// addresses that are globally reachable: it is checked when the endpoint is
// saved and again at each connection, after DNS, so a name that resolves
// elsewhere later is still refused.

// reserved is a block of addresses no public-only endpoint may reach, with
// its name in the registry that lists it.
type reserved struct {
	prefix netip.Prefix
	name   string
}

// notGlobal lists every block of the IANA IPv4 and IPv6 Special-Purpose
// Address Registries that is not marked globally reachable (or is
// deprecated, or N/A), plus multicast and the deprecated IPv4-compatible
// block. Sources, as of 2025-04:
//
//	https://www.iana.org/assignments/iana-ipv4-special-registry/
//	https://www.iana.org/assignments/iana-ipv6-special-registry/
//	https://www.iana.org/assignments/multicast-addresses/ (224.0.0.0/4, RFC 5771)
//	https://www.iana.org/assignments/ipv6-multicast-addresses/ (ff00::/8, RFC 4291)
//
// Deliberately stricter than the registries: 192.0.0.0/24 and 2001::/23 are
// refused whole, with the anycast, AMT and ORCHIDv2 sub-blocks the registry
// marks reachable (no webhook receiver lives there), and so is 64:ff9b::/96,
// marked reachable, because a NAT64 gateway would carry it to any IPv4
// address, private ones included. IPv4-mapped addresses (::ffff:0:0/96) are
// judged as the IPv4 address they carry, and IPv6 addresses outside the
// global unicast space 2000::/3 are refused after this table (see
// notPublic). A block inside another comes first, so the name is the precise
// one; every entry has a case in ssrf_test.go.
var notGlobal = []reserved{
	// IPv4 Special-Purpose Address Registry.
	{netip.MustParsePrefix("0.0.0.0/8"), `"This network" (RFC 791)`},
	{netip.MustParsePrefix("10.0.0.0/8"), "Private-Use (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "Shared Address Space (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "Loopback (RFC 1122)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "Link Local (RFC 3927)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "Private-Use (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/29"), "IPv4 Service Continuity Prefix (RFC 7335)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF Protocol Assignments (RFC 6890)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "Documentation (TEST-NET-1) (RFC 5737)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "Deprecated (6to4 Relay Anycast) (RFC 7526)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "Private-Use (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "Benchmarking (RFC 2544)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "Documentation (TEST-NET-2) (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "Documentation (TEST-NET-3) (RFC 5737)"},
	{netip.MustParsePrefix("255.255.255.255/32"), "Limited Broadcast (RFC 919)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "Reserved (RFC 1112)"},
	// IPv4 Multicast Address Space Registry.
	{netip.MustParsePrefix("224.0.0.0/4"), "Multicast (RFC 5771)"},

	// IPv6 Special-Purpose Address Registry.
	{netip.MustParsePrefix("::/128"), "Unspecified Address (RFC 4291)"},
	{netip.MustParsePrefix("::1/128"), "Loopback Address (RFC 4291)"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible, deprecated (RFC 4291)"},
	{netip.MustParsePrefix("64:ff9b::/96"), "IPv4-IPv6 Translat. (NAT64) (RFC 6052)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "IPv4-IPv6 Translat. (local NAT64) (RFC 8215)"},
	{netip.MustParsePrefix("100::/64"), "Discard-Only Address Block (RFC 6666)"},
	{netip.MustParsePrefix("100:0:0:1::/64"), "Dummy IPv6 Prefix (RFC 9780)"},
	{netip.MustParsePrefix("2001::/32"), "TEREDO (RFC 4380)"},
	{netip.MustParsePrefix("2001:2::/48"), "Benchmarking (RFC 5180)"},
	{netip.MustParsePrefix("2001:10::/28"), "Deprecated (previously ORCHID) (RFC 4843)"},
	{netip.MustParsePrefix("2001:20::/28"), "ORCHIDv2 (RFC 7343)"},
	{netip.MustParsePrefix("2001::/23"), "IETF Protocol Assignments (RFC 2928)"},
	{netip.MustParsePrefix("2001:db8::/32"), "Documentation (RFC 3849)"},
	{netip.MustParsePrefix("2002::/16"), "6to4 (RFC 3056)"},
	{netip.MustParsePrefix("3fff::/20"), "Documentation (RFC 9637)"},
	{netip.MustParsePrefix("5f00::/16"), "Segment Routing (SRv6) SIDs (RFC 9602)"},
	{netip.MustParsePrefix("fc00::/7"), "Unique-Local (RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "Link-Local Unicast (RFC 4291)"},
	// IPv6 Multicast Address Space Registry.
	{netip.MustParsePrefix("ff00::/8"), "Multicast (RFC 4291)"},
}

// globalUnicast is the IPv6 space IANA allocates for global unicast (IPv6
// Address Space registry); the rest is reserved by the IETF, site-local
// fec0::/10 among it.
var globalUnicast = netip.MustParsePrefix("2000::/3")

// notPublic says why a is not a permitted public target, or "" when it is
// one: its block and that block's registry name.
func notPublic(a netip.Addr) string {
	a = a.WithZone("").Unmap() // a zoned address matches no prefix
	if !a.IsValid() {
		return "not an IP address"
	}
	for _, r := range notGlobal {
		if r.prefix.Contains(a) {
			return r.prefix.String() + ", " + r.name
		}
	}
	if a.Is6() && !globalUnicast.Contains(a) {
		return "outside " + globalUnicast.String() + ", the IPv6 global unicast space"
	}
	return ""
}

// errNotAllowed refuses a connection to an address that is not public; the
// attempt log shows only its text.
var errNotAllowed = errors.New("address not allowed")

// dialPublic is a dialer's Control: it runs after DNS, on the address about
// to be connected to, and refuses it unless it is public.
func dialPublic(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || notPublic(ap.Addr()) != "" {
		return errNotAllowed
	}
	return nil
}

// checkHost refuses host, a literal address or a name resolved now with r,
// unless every address it stands for is public. The message of a name does
// not say what it resolves to: that could be a map of someone's network.
func checkHost(ctx context.Context, r *net.Resolver, host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		if why := notPublic(a); why != "" {
			return fmt.Errorf("address %s is not public (%s)", a, why)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("host %s does not resolve", host)
	}
	for _, a := range addrs {
		if notPublic(a) != "" {
			return fmt.Errorf("host %s resolves to an address that is not public", host)
		}
	}
	return nil
}
