// Command caisse is the checkout-sessions server; see internal/cli for its commands.
package main

import (
	"context"
	"os"

	"github.com/caisse/caisse/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
