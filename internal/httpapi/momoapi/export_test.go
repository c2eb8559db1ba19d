package momoapi

// RoutePatterns is the pattern of every route Register mounts, for tests
// that check the OpenAPI document describes each.
func RoutePatterns() []string {
	var out []string
	for _, r := range (&API{}).routes() {
		out = append(out, r.pattern)
	}
	return out
}
