// Package aftersales is the domain of the after-sales service: cases (refund
// only, return and refund, exchange, claim), the order snapshots they are
// raised against, money, the case status machine, and the ports through which
// the domain reaches storage, clocks and identifiers.
//
// The package imports the standard library only. Adapters (DynamoDB, S3, API
// Gateway, Step Functions, payment providers) live in sibling packages and
// convert between their own record types and the types declared here, which
// is why no type in this package carries struct tags.
package aftersales
