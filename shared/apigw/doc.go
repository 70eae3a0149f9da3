// Package apigw is the HTTP entry point of the API: it turns API Gateway HTTP
// API (payload format 2.0) events into ordinary net/http requests, routes
// them, authenticates bearer JWTs, checks roles and object-level access,
// decodes and validates JSON, calls the use cases and writes responses,
// with errors as RFC 9457 problem+json and a request id on every response
// and every log line.
//
// The handlers are plain http.Handlers so the same code serves Lambda (via
// Lambda) and the local stack (which converts real HTTP requests to events
// with EventFromRequest first, so the Lambda path is what runs locally too).
package apigw
