// Package emulators starts the stand-ins for AWS services that the local
// stack and the adapter tests run against: in-process servers on loopback
// ports that speak the real services' wire protocols, so the real SDK clients
// and the real adapters are exercised without an AWS account or Docker.
//
// Emulators listen on loopback only: they accept any credentials, so they
// must never be reachable from another machine.
package emulators
