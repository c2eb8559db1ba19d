// Package layers holds no code: its test checks that caisse's packages import
// one another only along the layering of docs/architecture.md
// (cli → server → httpapi/*, hosted → checkout, notify … → store).
package layers
