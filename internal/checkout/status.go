package checkout

// The seven canonical statuses (seed 001).
const (
	StatusCreated    = "created"
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
	StatusExpired    = "expired"
	StatusCancelled  = "cancelled"
)

// Statuses lists every canonical status in lifecycle order.
var Statuses = []string{StatusCreated, StatusPending, StatusProcessing, StatusCompleted, StatusFailed, StatusExpired, StatusCancelled}

// transitions is the status machine: the statuses each status may move to.
var transitions = map[string][]string{
	StatusCreated:    {StatusPending, StatusExpired, StatusCancelled},
	StatusPending:    {StatusProcessing, StatusFailed, StatusExpired, StatusCancelled},
	StatusProcessing: {StatusCompleted, StatusFailed},
}

// CanMove reports whether a session may go from one status to another.
func CanMove(from, to string) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// ValidStatus reports whether s is one of the seven canonical statuses.
func ValidStatus(s string) bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Terminal reports whether no transition leaves the status.
func Terminal(s string) bool { return len(transitions[s]) == 0 }

// Path returns the shortest chain of transitions from one status to another,
// without from itself: Path(created, completed) is [pending processing
// completed]. It is nil when to cannot be reached (or equals from).
func Path(from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, next := range transitions[cur] {
			if _, seen := prev[next]; seen {
				continue
			}
			prev[next] = cur
			if next == to {
				var path []string
				for s := to; s != from; s = prev[s] {
					path = append([]string{s}, path...)
				}
				return path
			}
			queue = append(queue, next)
		}
	}
	return nil
}
