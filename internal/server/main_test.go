package server_test

import (
	"os"
	"testing"

	"github.com/caisse/caisse/internal/testserver"
)

// TestMain runs every test of the package at once: each mostly waits, on the
// test connector's answer, a webhook's retries or a session's deadline.
func TestMain(m *testing.M) {
	testserver.Parallel(32)
	os.Exit(m.Run())
}
