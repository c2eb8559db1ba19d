package stripeapi

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/caisse/caisse/internal/httpapi"
)

// renderTree writes a tree in order: objects {k:v,…}, lists [v,…], strings
// quoted, JSON null as null.
func renderTree(n *node) string {
	var parts []string
	switch n.kind {
	case kindString:
		return fmt.Sprintf("%q", n.text)
	case kindNull:
		return "null"
	case kindList:
		for _, item := range n.items {
			parts = append(parts, renderTree(item))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	for _, k := range n.keys {
		parts = append(parts, k+":"+renderTree(n.fields[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// wantProblem fails unless err is a 400 invalid_request_error with code and
// param, and (when message is not empty) that message.
func wantProblem(t *testing.T, err error, code, param, message string) {
	t.Helper()
	var prob *httpapi.Problem
	if !errors.As(err, &prob) {
		t.Fatalf("error = %v, want a *httpapi.Problem", err)
	}
	if prob.Status != http.StatusBadRequest || prob.Type != httpapi.TypeInvalidRequest {
		t.Errorf("status, type = %d, %q; want 400, %q", prob.Status, prob.Type, httpapi.TypeInvalidRequest)
	}
	if prob.Code != code || prob.Param != param {
		t.Errorf("code, param = %q, %q; want %q, %q (message %q)", prob.Code, prob.Param, code, param, prob.Message)
	}
	if message != "" && prob.Message != message {
		t.Errorf("message = %q, want %q", prob.Message, message)
	}
}

// mustForm parses a form body that must be valid.
func mustForm(t *testing.T, raw string) *node {
	t.Helper()
	root, err := parseForm(raw)
	if err != nil {
		t.Fatalf("parseForm(%q): %v", raw, err)
	}
	return root
}

// mustJSON parses a JSON body that must be valid.
func mustJSON(t *testing.T, body string) *node {
	t.Helper()
	root, err := parseJSON([]byte(body))
	if err != nil {
		t.Fatalf("parseJSON(%s): %v", body, err)
	}
	return root
}

// mustBody parses body as JSON when it starts with '{', else as a form.
func mustBody(t *testing.T, body string) *node {
	t.Helper()
	if strings.HasPrefix(body, "{") {
		return mustJSON(t, body)
	}
	return mustForm(t, body)
}

// wantNoErr fails when the reader recorded an error or left a parameter unread.
func wantNoErr(t *testing.T, p *params) {
	t.Helper()
	if err := p.Err(); err != nil {
		t.Fatalf("Err() = %v, want nil", err)
	}
}

func TestParseForm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, raw, want string }{
		{"flat", "mode=payment&success_url=https%3A%2F%2Fx.test%2Fok%3Fa%3D1",
			`{mode:"payment",success_url:"https://x.test/ok?a=1"}`},
		{"nested in order", "line_items[0][price]=p0&line_items[0][quantity]=2&line_items[1][price]=p1",
			`{line_items:{0:{price:"p0",quantity:"2"},1:{price:"p1"}}}`},
		{"escaped key and value, plus is a space", "metadata%5Bk%5D=a%2Bb&name=Ada+Lovelace&x%20y=%26",
			`{metadata:{k:"a+b"},name:"Ada Lovelace",x y:"&"}`},
		{"append list", "expand[]=a&expand[]=&expand[]=c", `{expand:["a","","c"]}`},
		{"nested append list", "line_items[0][tax_rates][]=t1&line_items[0][tax_rates][]=t2",
			`{line_items:{0:{tax_rates:["t1","t2"]}}}`},
		{"empty pairs ignored", "&&a=1&&b=2&", `{a:"1",b:"2"}`},
		{"empty value", "metadata=", `{metadata:""}`},
		{"no equals sign", "a", `{a:""}`},
		{"equals in value", "a=b=c", `{a:"b=c"}`},
		{"semicolon is text", "a=1;b=2", `{a:"1;b=2"}`},
		{"key order is first appearance", "z=1&a[y]=2&m=3&a[b]=4", `{z:"1",a:{y:"2",b:"4"},m:"3"}`},
		{"depth 8", "a[2][3][4][5][6][7][8]=x", `{a:{2:{3:{4:{5:{6:{7:{8:"x"}}}}}}}}`},
		{"empty body", "", `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := renderTree(mustForm(t, tc.raw)); got != tc.want {
				t.Errorf("parseForm(%q) = %s, want %s", tc.raw, got, tc.want)
			}
		})
	}
}

func TestParseFormErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, raw, param, message string }{
		{"unclosed bracket", "a[b=1", "a[b", `Invalid parameter name: "a[b".`},
		{"stray close", "a]=1", "a]", ""},
		{"no name", "[x]=1", "[x]", ""},
		{"empty key", "=1", "", `Invalid parameter name: "".`},
		{"text after bracket", "a[b]c=1", "a[b]c", ""},
		{"text between brackets", "a[b]-c]=1", "a[b]-c]", ""},
		{"bracket inside bracket", "a[b[c]]=1", "a[b[c]]", ""},
		{"append not last", "a[][b]=1", "a[][b]", ""},
		{"depth 9", "a[2][3][4][5][6][7][8][9]=x", "a[2][3][4][5][6][7][8][9]",
			"Parameter a[2][3][4][5][6][7][8][9] nests deeper than 8 levels."},
		{"depth 9 escaped", "a%5B2%5D%5B3%5D%5B4%5D%5B5%5D%5B6%5D%5B7%5D%5B8%5D%5B9%5D=x",
			"a[2][3][4][5][6][7][8][9]", ""},
		{"duplicate scalar", "mode=payment&mode=setup", "mode", "Received mode more than once."},
		{"duplicate nested scalar", "line_items[0][price]=a&line_items[0][price]=b",
			"line_items[0][price]", "Received line_items[0][price] more than once."},
		{"value then fields", "metadata=x&metadata[k]=v", "metadata",
			"Received metadata in two shapes: a value (metadata=…) and bracketed fields (metadata[…]=…); use one."},
		{"fields then value", "metadata[k]=v&metadata=", "metadata",
			"Received metadata in two shapes: bracketed fields (metadata[…]=…) and a value (metadata=…); use one."},
		{"append then index", "expand[]=a&expand[0]=b", "expand",
			"Received expand in two shapes: a list (expand[]=…) and bracketed fields (expand[…]=…); use one."},
		{"index then append", "expand[0]=a&expand[]=b", "expand",
			"Received expand in two shapes: bracketed fields (expand[…]=…) and a list (expand[]=…); use one."},
		{"append then value", "expand[]=a&expand=b", "expand", ""},
		{"nested shape conflict", "line_items[0][price]=p&line_items[0]=x", "line_items[0]", ""},
		{"bad escape in value", "name=%zz", "name", `Invalid URL encoding in the value of name: invalid URL escape "%zz".`},
		{"bad escape in key", "na%zme=1", "", `Invalid URL encoding in a parameter name: invalid URL escape "%zm".`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root, err := parseForm(tc.raw)
			if root != nil {
				t.Errorf("parseForm(%q) tree = %s, want nil", tc.raw, renderTree(root))
			}
			wantProblem(t, err, "", tc.param, tc.message)
		})
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body, want string }{
		{"key order, numbers, booleans, null",
			`{"zeta":1.50,"alpha":{"z":"x","y":[-0,1e3,"s",true,false,null]},"mode":null}`,
			`{zeta:"1.50",alpha:{z:"x",y:["-0","1e3","s","true","false",null]},mode:null}`},
		{"empty object", `{}`, `{}`},
		{"white space around", " \n{ \"a\" : [ ] }\n\t", `{a:[]}`},
		{"escaped text", `{"k\u00e9y":"a\"b"}`, `{kéy:"a\"b"}`},
		{"depth 8", `{"a":{"b":{"c":{"d":{"e":{"f":{"g":["x"]}}}}}}}`, `{a:{b:{c:{d:{e:{f:{g:["x"]}}}}}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := renderTree(mustJSON(t, tc.body)); got != tc.want {
				t.Errorf("parseJSON(%s) = %s, want %s", tc.body, got, tc.want)
			}
		})
	}
}

func TestParseJSONErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body, param, message string }{
		{"array root", `["a"]`, "", "The request body must be a JSON object."},
		{"string root", `"a"`, "", "The request body must be a JSON object."},
		{"null root", `null`, "", "The request body must be a JSON object."},
		{"empty body", ``, "", "The request body is not valid JSON: EOF."},
		{"unterminated", `{"a":1`, "", "The request body is not valid JSON: EOF."},
		{"missing value", `{"a":}`, "", ""},
		{"trailing comma", `{"a":1,}`, "", ""},
		{"trailing object", `{"a":1}{}`, "", "The request body has data after the JSON object."},
		{"trailing text", `{"a":1} x`, "", "The request body has data after the JSON object."},
		{"duplicate key", `{"mode":"a","mode":"b"}`, "mode", "Received mode more than once."},
		{"duplicate nested key", `{"line_items":[{"price":"a"},{"price":"a","price":"b"}]}`,
			"line_items[1][price]", "Received line_items[1][price] more than once."},
		{"depth 9 object", `{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}`,
			"a[b][c][d][e][f][g][h][i]", "Parameter a[b][c][d][e][f][g][h][i] nests deeper than 8 levels."},
		{"depth 9 list", `{"a":[[[[[[[[1]]]]]]]]}`, "a[0][0][0][0][0][0][0][0]", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root, err := parseJSON([]byte(tc.body))
			if root != nil {
				t.Errorf("parseJSON(%s) tree = %s, want nil", tc.body, renderTree(root))
			}
			wantProblem(t, err, "", tc.param, tc.message)
		})
	}
}

func TestMergeParams(t *testing.T) {
	t.Parallel()
	query := mustForm(t, "expand[]=line_items&b=1")
	body := mustJSON(t, `{"mode":"payment","a":{"x":1}}`)
	merged, err := mergeParams(query, body)
	if err != nil {
		t.Fatalf("mergeParams: %v", err)
	}
	if got, want := renderTree(merged), `{expand:["line_items"],b:"1",mode:"payment",a:{x:"1"}}`; got != want {
		t.Errorf("merged = %s, want %s", got, want)
	}

	merged, err = mergeParams(mustForm(t, "a=1&mode=x"), body)
	if merged != nil {
		t.Errorf("conflicting merge = %s, want nil", renderTree(merged))
	}
	wantProblem(t, err, "", "mode", "Received mode both in the query string and in the body.")
}

func TestParamsListFormOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, raw string }{
		{"in order", "line_items[0][price]=p0&line_items[0][quantity]=1&line_items[1][price]=p1&line_items[1][quantity]=2"},
		{"out of order", "line_items[1][quantity]=2&line_items[0][price]=p0&line_items[1][price]=p1&line_items[0][quantity]=1"},
		{"json", `{"line_items":[{"price":"p0","quantity":1},{"quantity":2,"price":"p1"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newParams(mustBody(t, tc.raw))
			items, ok := p.List("line_items")
			if !ok || len(items) != 2 {
				t.Fatalf("List = %d items, %v; want 2, true (err %v)", len(items), ok, p.Err())
			}
			for i, item := range items {
				price, _ := item.String("price")
				qty, _ := item.Int("quantity")
				if want := fmt.Sprintf("p%d", i); price != want || qty != int64(i+1) {
					t.Errorf("item %d = %q × %d, want %q × %d", i, price, qty, want, i+1)
				}
				if got, want := item.Path("quantity"), fmt.Sprintf("line_items[%d][quantity]", i); got != want {
					t.Errorf("Path = %q, want %q", got, want)
				}
			}
			wantNoErr(t, p)
		})
	}
}

func TestParamsStrings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw string
		want      []string
	}{
		{"appended, order kept", "expand[]=e1&expand[]=e2&expand[]=e3&expand[]=e4&expand[]=e5&expand[]=e6",
			[]string{"e1", "e2", "e3", "e4", "e5", "e6"}},
		{"indexed", "expand[0]=a", []string{"a"}},
		{"indexed out of order", "expand[2]=c&expand[0]=a&expand[1]=b", []string{"a", "b", "c"}},
		{"escaped", "expand%5B%5D=line_items&expand%5B%5D=a+b", []string{"line_items", "a b"}},
		{"json", `{"expand":["b","a",7]}`, []string{"b", "a", "7"}},
		{"json empty", `{"expand":[]}`, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newParams(mustBody(t, tc.raw))
			got, ok := p.Strings("expand")
			if !ok || !slices.Equal(got, tc.want) || got == nil {
				t.Errorf("Strings = %q, %v; want %q, true", got, ok, tc.want)
			}
			wantNoErr(t, p)
		})
	}
}

func TestParamsMetadata(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw string
		want      map[string]string
		ok        bool
	}{
		{"set", "metadata[order]=42&metadata[note]=a+b", map[string]string{"order": "42", "note": "a b"}, true},
		{"escaped", "metadata%5Bk%5D=a%2Bb", map[string]string{"k": "a+b"}, true},
		{"remove a key", "metadata[order]=&metadata[keep]=x", map[string]string{"order": "", "keep": "x"}, true},
		{"clear all", "metadata=", nil, true},
		{"absent", "mode=payment", nil, false},
		{"numeric keys are keys", "metadata[0]=a&metadata[1000]=b", map[string]string{"0": "a", "1000": "b"}, true},
		{"json", `{"metadata":{"a":"1","n":2,"gone":null,"b":""}}`, map[string]string{"a": "1", "n": "2", "b": ""}, true},
		{"json clear all", `{"metadata":""}`, nil, true},
		{"json null is absent", `{"metadata":null}`, nil, false},
		{"json empty", `{"metadata":{}}`, map[string]string{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newParams(mustBody(t, tc.raw))
			p.String("mode")
			got, ok := p.Metadata("metadata")
			if ok != tc.ok || !maps.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Errorf("Metadata = %q (nil %v), %v; want %q (nil %v), %v", got, got == nil, ok, tc.want, tc.want == nil, tc.ok)
			}
			wantNoErr(t, p)
		})
	}
}

func TestParamsScalars(t *testing.T) {
	t.Parallel()
	p := newParams(mustJSON(t, `{"s":"x","n":12,"neg":"-7","zero":"0","t":true,"f":"false","num":12.50,"nul":null}`))
	if got, ok := p.String("s"); got != "x" || !ok {
		t.Errorf(`String("s") = %q, %v`, got, ok)
	}
	if got, ok := p.String("num"); got != "12.50" || !ok {
		t.Errorf(`String("num") = %q, %v`, got, ok)
	}
	for key, want := range map[string]int64{"n": 12, "neg": -7, "zero": 0} {
		if got, ok := p.Int(key); got != want || !ok {
			t.Errorf("Int(%q) = %d, %v; want %d, true", key, got, ok, want)
		}
	}
	if got, ok := p.String("t"); got != "true" || !ok {
		t.Errorf(`String("t") = %q, %v; a JSON true reads as "true"`, got, ok)
	}
	if got, ok := p.String("f"); got != "false" || !ok {
		t.Errorf(`String("f") = %q, %v`, got, ok)
	}
	if got, ok := p.String("nul"); got != "" || ok {
		t.Errorf(`String("nul") = %q, %v; want absent`, got, ok)
	}
	for name, read := range map[string]func(*params) bool{"String": readString("absent"), "Int": readInt("absent"),
		"Object": readObject("absent"), "List": readList("absent"),
		"Strings": readStrings("absent"), "Metadata": readMetadata("absent")} {
		if read(p) {
			t.Errorf(`%s("absent") reported ok`, name)
		}
	}
	wantNoErr(t, p)
}

func TestParamsObject(t *testing.T) {
	t.Parallel()
	p := newParams(mustForm(t, "customer_details[email]=a%40b.test&customer_details[phone]=1"))
	obj, ok := p.Object("customer_details")
	if !ok {
		t.Fatalf("Object: not ok (%v)", p.Err())
	}
	if got := obj.Path("email"); got != "customer_details[email]" {
		t.Errorf("Path = %q", got)
	}
	if got, _ := obj.String("email"); got != "a@b.test" {
		t.Errorf("email = %q", got)
	}
	wantProblem(t, p.Err(), "parameter_unknown", "customer_details[phone]",
		"Received unknown parameter: customer_details[phone]")
	obj.String("phone")
	wantNoErr(t, p)
}

func TestParamsReadErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body           string
		read                 func(p *params) bool
		code, param, message string
	}{
		{"int text", "amount=abc", readInt("amount"), "parameter_invalid_integer", "amount", "Invalid integer: abc"},
		{"int plus sign", "amount=%2B5", readInt("amount"), "parameter_invalid_integer", "amount", "Invalid integer: +5"},
		{"int decimal", `{"amount":1.5}`, readInt("amount"), "parameter_invalid_integer", "amount", "Invalid integer: 1.5"},
		{"int exponent", `{"amount":1e3}`, readInt("amount"), "parameter_invalid_integer", "amount", "Invalid integer: 1e3"},
		{"int overflow", "amount=9223372036854775808", readInt("amount"), "parameter_invalid_integer", "amount",
			"Invalid integer: 9223372036854775808"},
		{"int empty", "amount=", readInt("amount"), "parameter_invalid_integer", "amount", "Invalid integer: "},
		{"int object", "amount[x]=1", readInt("amount"), "parameter_invalid_integer", "amount", "Invalid integer: an object"},
		{"string object", "mode[x]=1", readString("mode"), "", "mode", "Invalid string: an object"},
		{"string list", `{"mode":["a"]}`, readString("mode"), "", "mode", "Invalid string: an array"},
		{"object string", "customer_details=x", readObject("customer_details"), "", "customer_details", "Invalid object"},
		{"object list", "customer_details[]=x", readObject("customer_details"), "", "customer_details", "Invalid object"},
		{"list string", "line_items=x", readList("line_items"), "", "line_items", "Invalid array"},
		{"list named keys", "line_items[a][price]=x", readList("line_items"), "", "line_items", "Invalid array"},
		{"list leading zero", "line_items[01][price]=x", readList("line_items"), "", "line_items", "Invalid array"},
		{"list element string", "line_items[0]=x", readList("line_items"), "", "line_items[0]", "Invalid object"},
		{"json list element string", `{"line_items":[{},"x"]}`, readList("line_items"), "", "line_items[1]", "Invalid object"},
		{"list gap", "line_items[0][price]=a&line_items[2][price]=b", readList("line_items"), "", "line_items",
			"Invalid array: the indices of line_items must run from 0 without gaps."},
		{"list not from 0", "expand[1]=a", readStrings("expand"), "", "expand",
			"Invalid array: the indices of expand must run from 0 without gaps."},
		{"index above 999", "expand[1000]=a", readStrings("expand"), "", "expand",
			"Invalid array: index 1000 of expand is above 999."},
		{"huge index", "expand[99999999999999999999]=a", readStrings("expand"), "", "expand", "Invalid array"},
		{"strings element object", "expand[0][x]=a", readStrings("expand"), "", "expand[0]", "Invalid string: an object"},
		{"strings element null", `{"expand":["a",null]}`, readStrings("expand"), "", "expand[1]", "Invalid string: null"},
		{"metadata string", "metadata=x", readMetadata("metadata"), "", "metadata", "Invalid object"},
		{"metadata list", "metadata[]=x", readMetadata("metadata"), "", "metadata", "Invalid object"},
		{"metadata nested", "metadata[a][b]=x", readMetadata("metadata"), "", "metadata[a]", "Invalid string: an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newParams(mustBody(t, tc.body))
			if tc.read(p) {
				t.Errorf("read reported ok, want false")
			}
			wantProblem(t, p.Err(), tc.code, tc.param, tc.message)
		})
	}
}

// readInt, readString, … read key with one typed reader and report its ok.
func readInt(key string) func(*params) bool {
	return func(p *params) bool { _, ok := p.Int(key); return ok }
}

func readString(key string) func(*params) bool {
	return func(p *params) bool { _, ok := p.String(key); return ok }
}

func readObject(key string) func(*params) bool {
	return func(p *params) bool { _, ok := p.Object(key); return ok }
}

func readList(key string) func(*params) bool {
	return func(p *params) bool { _, ok := p.List(key); return ok }
}

func readStrings(key string) func(*params) bool {
	return func(p *params) bool { _, ok := p.Strings(key); return ok }
}

func readMetadata(key string) func(*params) bool {
	return func(p *params) bool { _, ok := p.Metadata(key); return ok }
}

func TestParamsUnknown(t *testing.T) {
	t.Parallel()
	// read takes the known parameters of a checkout-like body.
	read := func(p *params) {
		p.String("mode")
		items, _ := p.List("line_items")
		for _, item := range items {
			item.String("price")
			item.Int("quantity")
		}
		p.Strings("expand")
	}
	for _, tc := range []struct{ name, body, param string }{
		{"root", "mode=payment&bogus=1&zzz=2", "bogus"},
		{"root before known", "zzz=2&mode=payment", "zzz"},
		{"inside a list element", "mode=payment&line_items[0][price]=p&line_items[1][price]=p&line_items[1][colour]=red&later=1",
			"line_items[1][colour]"},
		{"first element in index order", "line_items[1][b]=1&line_items[0][a]=1&line_items[0][price]=p&line_items[1][price]=p",
			"line_items[0][a]"},
		{"nested below an unread field", "line_items[0][price_data][currency]=eur&line_items[0][price]=p",
			"line_items[0][price_data]"},
		{"json deep", `{"line_items":[{"price":"p","quantity":1},{"price":"p","tax":{"x":1}}],"zz":1}`,
			"line_items[1][tax]"},
		{"json null is known only when read", `{"mode":"payment","customer":null}`, "customer"},
		{"unread list", "mode=payment&payment_method_types[]=card", "payment_method_types"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newParams(mustBody(t, tc.body))
			read(p)
			wantProblem(t, p.Err(), "parameter_unknown", tc.param, "Received unknown parameter: "+tc.param)
		})
	}
}

func TestParamsMissingAndFail(t *testing.T) {
	t.Parallel()
	custom := httpapi.Invalid("currency", "currency_unsupported", "Unsupported currency.")
	for _, tc := range []struct {
		name                 string
		act                  func(root, item *params)
		code, param, message string
	}{
		{"missing at root", func(root, _ *params) { root.Missing("mode") },
			"parameter_missing", "mode", "Missing required param: mode."},
		{"missing in element", func(_, item *params) { item.Missing("price") },
			"parameter_missing", "line_items[0][price]", "Missing required param: line_items[0][price]."},
		{"fail with a problem", func(_, item *params) { item.Fail("price", custom) },
			"currency_unsupported", "currency", "Unsupported currency."},
		{"fail with a wrapped problem", func(_, item *params) { item.Fail("price", fmt.Errorf("x: %w", custom)) },
			"currency_unsupported", "currency", "Unsupported currency."},
		{"fail with a plain error", func(_, item *params) { item.Fail("price", errors.New("too long")) },
			"", "line_items[0][price]", "Invalid line_items[0][price]: too long"},
		{"fail nil is nothing", func(root, _ *params) { root.Fail("mode", nil); root.Missing("mode") },
			"parameter_missing", "mode", ""},
		{"first error wins", func(root, item *params) { root.Missing("mode"); item.Fail("price", custom); root.Int("bogus") },
			"parameter_missing", "mode", ""},
		{"read error before unknown", func(root, _ *params) { root.Int("bogus") },
			"parameter_invalid_integer", "bogus", "Invalid integer: x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := newParams(mustForm(t, "line_items[0][quantity]=1&bogus=x"))
			items, ok := root.List("line_items")
			if !ok {
				t.Fatalf("List: %v", root.Err())
			}
			items[0].Int("quantity")
			tc.act(root, items[0])
			wantProblem(t, root.Err(), tc.code, tc.param, tc.message)
		})
	}
}
