package pgstore

import "github.com/caisse/caisse/internal/store/sqldb"

// queries are the statements caisse runs on PostgreSQL: the portable ones as
// written. PostgreSQL needs none of its own: it types each JSON parameter
// jsonb from the column it is stored in or compared with, as a ::jsonb cast
// would, and plans every statement from the same indexes (plan_test.go).
var queries = sqldb.PortableQueries()
