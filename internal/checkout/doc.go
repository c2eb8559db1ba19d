// Package checkout owns checkout sessions: the canonical status machine, the
// rules a new session must satisfy, and the use-cases every API dialect calls
// (create, get, search, cancel). It imports store and merchant; it never
// imports an HTTP, engine or dialect package.
package checkout
