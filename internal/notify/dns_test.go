package notify

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// fakeDNS answers A and AAAA queries from a table the test changes as it
// goes, for a *net.Resolver that uses Go's own resolver over an in-memory
// connection: caisse's code resolves exactly as in production (the hosts
// file first, then DNS), only the DNS server is this one. Unknown names are
// NXDOMAIN.
type fakeDNS struct {
	mu    sync.Mutex
	names map[string][]netip.Addr // lower case, no trailing dot
}

func newFakeDNS(t *testing.T, names map[string]string) *fakeDNS {
	t.Helper()
	d := &fakeDNS{names: map[string][]netip.Addr{}}
	for name, addrs := range names {
		d.set(name, addrs)
	}
	return d
}

// set makes name resolve to addrs, a space-separated list.
func (d *fakeDNS) set(name, addrs string) {
	var list []netip.Addr
	for _, a := range strings.Fields(addrs) {
		list = append(list, netip.MustParseAddr(a))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.names[name] = list
}

func (d *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe() // not a PacketConn: the resolver frames messages as over TCP
		go d.serve(server)
		return client, nil
	}}
}

func (d *fakeDNS) serve(c net.Conn) {
	defer c.Close()
	for {
		var n uint16
		if binary.Read(c, binary.BigEndian, &n) != nil {
			return
		}
		q := make([]byte, n)
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		resp := d.answer(q)
		if resp == nil {
			return
		}
		if _, err := c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(resp)))); err != nil {
			return
		}
		if _, err := c.Write(resp); err != nil {
			return
		}
	}
}

// answer builds the response to one query, or nil if it cannot read it.
func (d *fakeDNS) answer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	end := i + 5 // the root label, type and class
	if end > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	d.mu.Lock()
	addrs, known := d.names[strings.ToLower(strings.Join(labels, "."))]
	d.mu.Unlock()

	resp := append([]byte{}, q[:2]...) // the query's id
	flags := uint16(0x8180)            // a response, recursion desired and available, no error
	if !known {
		flags |= 3 // NXDOMAIN
	}
	var answers []byte
	count := 0
	for _, a := range addrs {
		if (qtype == 1 && a.Is4()) || (qtype == 28 && a.Is6()) {
			answers = append(answers, 0xc0, 12) // the name: a pointer to the question's
			answers = binary.BigEndian.AppendUint16(answers, qtype)
			answers = binary.BigEndian.AppendUint16(answers, 1) // IN
			answers = binary.BigEndian.AppendUint32(answers, 0) // TTL
			answers = binary.BigEndian.AppendUint16(answers, uint16(len(a.AsSlice())))
			answers = append(answers, a.AsSlice()...)
			count++
		}
	}
	for _, v := range []uint16{flags, 1, uint16(count), 0, 0} {
		resp = binary.BigEndian.AppendUint16(resp, v)
	}
	resp = append(resp, q[12:end]...)
	return append(resp, answers...)
}

// TestFakeDNS checks the test resolver itself: names resolve to what the
// table says, and change when it does.
func TestFakeDNS(t *testing.T) {
	t.Parallel()
	d := newFakeDNS(t, map[string]string{"both.test": "192.0.2.1 2001:db8::1"})
	r := d.resolver()
	ctx := context.Background()
	got, err := r.LookupNetIP(ctx, "ip", "both.test")
	if err != nil || len(got) != 2 {
		t.Fatalf("both.test: %v, %v", got, err)
	}
	d.set("both.test", "198.51.100.7")
	if got, err := r.LookupNetIP(ctx, "ip", "BOTH.test."); err != nil || len(got) != 1 || got[0] != netip.MustParseAddr("198.51.100.7") {
		t.Fatalf("both.test after the change: %v, %v", got, err)
	}
	if got, err := r.LookupNetIP(ctx, "ip", "missing.test"); err == nil {
		t.Fatalf("missing.test resolved to %v", got)
	}
}
