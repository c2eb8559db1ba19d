package stripeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
)

// maxParamDepth is how deeply a parameter may nest: a[1]…[8] has depth 8.
const maxParamDepth = 8

// maxListIndex is the largest list index accepted: lists hold at most 1000 elements.
const maxListIndex = 999

// nodeKind is the shape of one value in a parameter tree.
type nodeKind uint8

// The shapes a parameter value can take.
const (
	kindString nodeKind = iota // text, JSON number or boolean literal
	kindObject                 // named fields, in order of first appearance
	kindList                   // elements, in index order
	kindNull                   // JSON null
)

// node is one value of a parameter tree decoded from a form or JSON body.
type node struct {
	kind   nodeKind
	text   string           // kindString
	keys   []string         // kindObject: keys in order of first appearance
	fields map[string]*node // kindObject
	items  []*node          // kindList
	read   bool             // a params reader has consumed this value
}

// newObject returns an empty object node.
func newObject() *node { return &node{kind: kindObject, fields: map[string]*node{}} }

// add appends the field key to an object node.
func (n *node) add(key string, child *node) {
	n.keys = append(n.keys, key)
	n.fields[key] = child
}

// paramPath is the bracket name of key inside the parameter at path.
func paramPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "[" + key + "]"
}

// parseForm decodes an application/x-www-form-urlencoded body or URL query in
// bracket notation (a, a[b][c], a[], a[0][b]) into an object tree.
func parseForm(raw string) (*node, error) {
	root := newObject()
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		if err := root.insertPair(pair); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// insertPair decodes one key=value pair into the root object.
func (n *node) insertPair(pair string) error {
	rawKey, rawValue, _ := strings.Cut(pair, "=")
	key, err := url.QueryUnescape(rawKey)
	if err != nil {
		return httpapi.Invalid("", "", "Invalid URL encoding in a parameter name: %v.", err)
	}
	value, err := url.QueryUnescape(rawValue)
	if err != nil {
		return httpapi.Invalid(key, "", "Invalid URL encoding in the value of %s: %v.", key, err)
	}
	segs, ok := splitFormKey(key)
	switch {
	case !ok:
		return httpapi.Invalid(key, "", "Invalid parameter name: %q.", key)
	case len(segs) > maxParamDepth:
		return httpapi.Invalid(key, "", "Parameter %s nests deeper than %d levels.", key, maxParamDepth)
	}
	return n.insert(segs, value)
}

// splitFormKey splits a[b][c] into a, b, c; a trailing [] gives an empty last
// segment. It refuses empty names, unbalanced brackets, text after a bracket
// and [] anywhere but at the end.
func splitFormKey(key string) ([]string, bool) {
	name, rest, open := strings.Cut(key, "[")
	if name == "" || strings.ContainsRune(name, ']') {
		return nil, false
	}
	segs := []string{name}
	for open {
		seg, after, closed := strings.Cut(rest, "]")
		if !closed || strings.ContainsRune(seg, '[') || (seg == "" && after != "") {
			return nil, false
		}
		segs = append(segs, seg)
		if after == "" {
			break
		}
		if after[0] != '[' {
			return nil, false
		}
		rest = after[1:]
	}
	return segs, true
}

// insert stores value under the path segs of the root object n. Each
// container takes the shape its next segment asks for: [] a list, anything
// else (a[0] included) an object; reading decides later whether an object
// keyed 0, 1, … is a list.
func (n *node) insert(segs []string, value string) error {
	parent, path := n, ""
	for i, seg := range segs {
		if seg == "" {
			parent.items = append(parent.items, &node{kind: kindString, text: value})
			return nil
		}
		path = paramPath(path, seg)
		want := kindString
		if i+1 < len(segs) {
			want = kindObject
			if segs[i+1] == "" {
				want = kindList
			}
		}
		child, err := parent.formChild(seg, want, path)
		if err != nil {
			return err
		}
		parent = child
	}
	parent.text = value
	return nil
}

// formChild returns the field key of object n, creating it with kind want;
// an existing field of another shape, or a value given twice, is refused.
func (n *node) formChild(key string, want nodeKind, path string) (*node, error) {
	child := n.fields[key]
	switch {
	case child == nil:
		child = &node{kind: want}
		if want == kindObject {
			child = newObject()
		}
		n.add(key, child)
	case child.kind != want:
		return nil, httpapi.Invalid(path, "", "Received %s in two shapes: %s and %s; use one.",
			path, formShape(child.kind, path), formShape(want, path))
	case want == kindString:
		return nil, httpapi.Invalid(path, "", "Received %s more than once.", path)
	}
	return child, nil
}

// formShape names the form syntax that gives path the shape k.
func formShape(k nodeKind, path string) string {
	switch k {
	case kindObject:
		return "bracketed fields (" + path + "[…]=…)"
	case kindList:
		return "a list (" + path + "[]=…)"
	}
	return "a value (" + path + "=…)"
}

// parseJSON decodes a JSON object body into an object tree, keeping key order
// and the literal text of numbers; booleans become the strings true and false.
func parseJSON(body []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonSyntax(err)
	}
	if tok != json.Delim('{') {
		return nil, httpapi.Invalid("", "", "The request body must be a JSON object.")
	}
	root, err := readJSONObject(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, httpapi.Invalid("", "", "The request body has data after the JSON object.")
	}
	return root, nil
}

// jsonSyntax is the problem for a body that is not well-formed JSON.
func jsonSyntax(err error) error {
	return httpapi.Invalid("", "", "The request body is not valid JSON: %v.", err)
}

// readJSONObject reads the fields of an object whose '{' was consumed; path
// and depth are the object's own.
func readJSONObject(dec *json.Decoder, path string, depth int) (*node, error) {
	obj := newObject()
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonSyntax(err)
		}
		key, _ := tok.(string) // the decoder refuses any other token as an object key
		keyPath := paramPath(path, key)
		if _, dup := obj.fields[key]; dup {
			return nil, httpapi.Invalid(keyPath, "", "Received %s more than once.", keyPath)
		}
		child, err := readJSONValue(dec, keyPath, depth+1)
		if err != nil {
			return nil, err
		}
		obj.add(key, child)
	}
	return obj, closeJSON(dec)
}

// readJSONList reads the elements of an array whose '[' was consumed.
func readJSONList(dec *json.Decoder, path string, depth int) (*node, error) {
	list := &node{kind: kindList}
	for i := 0; dec.More(); i++ {
		child, err := readJSONValue(dec, paramPath(path, strconv.Itoa(i)), depth+1)
		if err != nil {
			return nil, err
		}
		list.items = append(list.items, child)
	}
	return list, closeJSON(dec)
}

// closeJSON consumes the '}' or ']' that ends a container.
func closeJSON(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil {
		return jsonSyntax(err)
	}
	return nil
}

// readJSONValue reads the value at path, which sits depth levels below the root.
func readJSONValue(dec *json.Decoder, path string, depth int) (*node, error) {
	if depth > maxParamDepth {
		return nil, httpapi.Invalid(path, "", "Parameter %s nests deeper than %d levels.", path, maxParamDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonSyntax(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return readJSONObject(dec, path, depth)
		}
		return readJSONList(dec, path, depth)
	case string:
		return &node{kind: kindString, text: t}, nil
	case json.Number:
		return &node{kind: kindString, text: string(t)}, nil
	case bool:
		return &node{kind: kindString, text: strconv.FormatBool(t)}, nil
	}
	return &node{kind: kindNull}, nil
}

// mergeParams combines two root objects (the URL query and the body); a
// parameter given in both is refused.
func mergeParams(a, b *node) (*node, error) {
	merged := newObject()
	for _, src := range []*node{a, b} {
		for _, key := range src.keys {
			if _, dup := merged.fields[key]; dup {
				return nil, httpapi.Invalid(key, "", "Received %s both in the query string and in the body.", key)
			}
			merged.add(key, src.fields[key])
		}
	}
	return merged, nil
}

// paramReader is the state every params of one tree shares.
type paramReader struct {
	root *node
	err  *httpapi.Problem // the first error recorded
}

// params reads one object of the tree; path is its bracket name ("" at the
// root, "line_items[0][price_data]" deeper).
type params struct {
	obj  *node
	path string
	r    *paramReader
}

// newParams returns a reader of the root object of a parameter tree.
func newParams(root *node) *params {
	return &params{obj: root, r: &paramReader{root: root}}
}

// Path is the bracket name of the child key: "line_items[0][quantity]".
func (p *params) Path(key string) string { return paramPath(p.path, key) }

// record keeps prob unless an error is already recorded.
func (p *params) record(prob *httpapi.Problem) {
	if p.r.err == nil {
		p.r.err = prob
	}
}

// take marks key read and returns its value; absent and null give nil.
func (p *params) take(key string) *node {
	child := p.obj.fields[key]
	if child == nil {
		return nil
	}
	child.read = true
	if child.kind == kindNull {
		return nil
	}
	return child
}

// invalid records "Invalid <what>: <value>" about path and returns false.
func (p *params) invalid(path, code, what string, n *node) bool {
	p.record(httpapi.Invalid(path, code, "Invalid %s: %s", what, describeNode(n)))
	return false
}

// describeNode is how an error message shows a value.
func describeNode(n *node) string {
	switch n.kind {
	case kindObject:
		return "an object"
	case kindList:
		return "an array"
	case kindNull:
		return "null"
	}
	return n.text
}

// text is n's text, when n is a string every engine can store and compare;
// else it records why not about path.
func (p *params) text(path string, n *node) (string, bool) {
	if n.kind != kindString {
		return "", p.invalid(path, "", "string", n)
	}
	if !p.storable(path, n.text) {
		return "", false
	}
	return n.text, true
}

// storable reports whether every engine can store and compare s as text (no
// NUL character, valid UTF-8); else it records why not about path.
func (p *params) storable(path, s string) bool {
	if !checkout.Storable(s) {
		p.record(httpapi.Invalid(path, "", "Invalid %s: must be UTF-8 text without NUL characters.", path))
		return false
	}
	return true
}

// String reads key as text (a JSON number or boolean gives its literal text).
func (p *params) String(key string) (string, bool) {
	n := p.take(key)
	if n == nil {
		return "", false
	}
	return p.text(p.Path(key), n)
}

// Int reads key as a base-10 int64 with an optional leading '-'.
func (p *params) Int(key string) (int64, bool) {
	n := p.take(key)
	if n == nil {
		return 0, false
	}
	v, err := strconv.ParseInt(n.text, 10, 64)
	if n.kind != kindString || err != nil || strings.HasPrefix(n.text, "+") {
		return 0, p.invalid(p.Path(key), "parameter_invalid_integer", "integer", n)
	}
	return v, true
}

// Unix reads key as a Unix time in seconds from checkout.MinUnix to
// checkout.MaxUnix (1970 to the end of 9999).
func (p *params) Unix(key string) (int64, bool) {
	v, ok := p.Int(key)
	if ok && (v < checkout.MinUnix || v > checkout.MaxUnix) {
		p.record(httpapi.Invalid(p.Path(key), "parameter_invalid_integer",
			"Invalid %s: %d. A timestamp must be between %d (1970) and %d (the end of 9999).",
			p.Path(key), v, checkout.MinUnix, checkout.MaxUnix))
		return 0, false
	}
	return v, ok
}

// Object reads key as an object whose fields stay unread until read.
func (p *params) Object(key string) (*params, bool) {
	n := p.take(key)
	if n == nil {
		return nil, false
	}
	if n.kind != kindObject {
		p.record(httpapi.Invalid(p.Path(key), "", "Invalid object"))
		return nil, false
	}
	return &params{obj: n, path: p.Path(key), r: p.r}, true
}

// List reads key as a list of objects, in index order.
func (p *params) List(key string) ([]*params, bool) {
	items, ok := p.items(key)
	if !ok {
		return nil, false
	}
	out := make([]*params, len(items))
	for i, n := range items {
		n.read = true
		path := paramPath(p.Path(key), strconv.Itoa(i))
		if n.kind != kindObject {
			p.record(httpapi.Invalid(path, "", "Invalid object"))
			return nil, false
		}
		out[i] = &params{obj: n, path: path, r: p.r}
	}
	return out, true
}

// Strings reads key as a list of strings, in index order.
func (p *params) Strings(key string) ([]string, bool) {
	items, ok := p.items(key)
	if !ok {
		return nil, false
	}
	out := make([]string, len(items))
	for i, n := range items {
		n.read = true
		var ok bool
		if out[i], ok = p.text(paramPath(p.Path(key), strconv.Itoa(i)), n); !ok {
			return nil, false
		}
	}
	return out, true
}

// items reads key as a list: a JSON array, a[]=… pairs, or an object keyed 0…n-1.
func (p *params) items(key string) ([]*node, bool) {
	n := p.take(key)
	if n == nil {
		return nil, false
	}
	if err := n.asList(p.Path(key)); err != nil {
		p.record(err)
		return nil, false
	}
	return n.items, true
}

// asList turns an object keyed by the indices 0…n-1 (how forms spell a
// list: a[1]=y&a[0]=x) into a list in index order; path names n in errors.
func (n *node) asList(path string) *httpapi.Problem {
	switch n.kind {
	case kindList:
		return nil
	case kindString:
		return httpapi.Invalid(path, "", "Invalid array")
	}
	items := make([]*node, len(n.keys))
	for _, key := range n.keys {
		i, err := strconv.Atoi(key)
		switch {
		case err != nil || i < 0 || strconv.Itoa(i) != key:
			return httpapi.Invalid(path, "", "Invalid array")
		case i > maxListIndex:
			return httpapi.Invalid(path, "", "Invalid array: index %d of %s is above %d.", i, path, maxListIndex)
		case i >= len(items):
			return httpapi.Invalid(path, "", "Invalid array: the indices of %s must run from 0 without gaps.", path)
		}
		items[i] = n.fields[key]
	}
	n.kind, n.items, n.keys, n.fields = kindList, items, nil, nil
	return nil
}

// Metadata reads key as metadata[k]=v pairs. An empty string for the whole
// parameter (metadata=) gives (nil, true), "clear all"; a value "" stays ""
// ("remove this key"); a JSON null value is left out.
func (p *params) Metadata(key string) (map[string]string, bool) {
	n := p.take(key)
	switch {
	case n == nil:
		return nil, false
	case n.kind == kindString && n.text == "":
		return nil, true
	case n.kind != kindObject:
		p.record(httpapi.Invalid(p.Path(key), "", "Invalid object"))
		return nil, false
	}
	m := make(map[string]string, len(n.keys))
	for _, k := range n.keys {
		v := n.fields[k]
		v.read = true
		path := paramPath(p.Path(key), k)
		if v.kind == kindNull {
			continue // left out, as if absent
		}
		text, ok := p.text(path, v)
		if !ok || !p.storable(path, k) {
			return nil, false
		}
		m[k] = text
	}
	return m, true
}

// Missing records that the required parameter key is absent.
func (p *params) Missing(key string) {
	path := p.Path(key)
	p.record(httpapi.Invalid(path, "parameter_missing", "Missing required param: %s.", path))
}

// Fail records err about key unless an error is already recorded: a
// *httpapi.Problem as it is, any other error as a 400 naming key; nil is ignored.
func (p *params) Fail(key string, err error) {
	var prob *httpapi.Problem
	switch {
	case err == nil: // nothing to record
	case errors.As(err, &prob):
		p.record(prob)
	default:
		p.record(httpapi.Invalid(p.Path(key), "", "Invalid %s: %v", p.Path(key), err))
	}
}

// Err is the first recorded error, else the first parameter of the tree (in
// document order) that nothing read, as Stripe's unknown-parameter error.
func (p *params) Err() error {
	if p.r.err != nil {
		return p.r.err
	}
	if path, ok := firstUnread(p.r.root, ""); ok {
		return httpapi.Invalid(path, "parameter_unknown", "Received unknown parameter: %s", path)
	}
	return nil
}

// firstUnread is the path of the first unread value below n, which is at path.
func firstUnread(n *node, path string) (string, bool) {
	for i, child := range n.items {
		if found, ok := unread(child, paramPath(path, strconv.Itoa(i))); ok {
			return found, true
		}
	}
	for _, key := range n.keys {
		if found, ok := unread(n.fields[key], paramPath(path, key)); ok {
			return found, true
		}
	}
	return "", false
}

// unread is path when n was never read, else the first unread value below it.
func unread(n *node, path string) (string, bool) {
	if !n.read {
		return path, true
	}
	return firstUnread(n, path)
}
