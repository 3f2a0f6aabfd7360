// Package platform is the HTTP foundation shared by every ASTRA BASTION
// module: the Echo server and its middleware, RFC 7807 errors backed by a
// documented error catalogue, the {data, meta, errors} response envelope,
// cursor pagination, strict JSON binding and validation, Prometheus metrics,
// and a route registry from which the OpenAPI document is generated.
//
// Routes are declared once, as Route values in a Registry, and both the Echo
// router and the OpenAPI document are derived from those declarations, so the
// published contract cannot silently miss a route. The platformtest package
// checks real responses against that contract in tests.
package platform
