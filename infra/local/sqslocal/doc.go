// Package sqslocal is an in-process stand-in for Amazon SQS (standard queues)
// that speaks the AWS JSON 1.0 protocol of current SDKs, so the real
// aws-sdk-go-v2 sqs client, the real adapters and the local event source
// mapping run against it unchanged.
//
// It exists instead of goaws because the local stack and the tests start many
// independent stacks in one process: goaws keeps its queues in package-level
// globals, reads the wall clock directly and serialises every queue behind one
// lock. Here every Server owns its queues, each queue has its own lock, and
// visibility timeouts, delays, retention and purge cool-downs read an
// injectable Clock, so a test can move time (infra/local/vclock) and watch a
// message come back after its visibility timeout or land in the dead-letter
// queue. Long polling alone waits on real time, as a network client does, and
// returns as soon as a message becomes available.
//
// What is modelled: queue attributes (VisibilityTimeout, DelaySeconds,
// MessageRetentionPeriod, MaximumMessageSize, ReceiveMessageWaitTimeSeconds,
// RedrivePolicy, RedriveAllowPolicy, Policy and the encryption settings, which
// are stored but change nothing), receive counts, receipt handles that change
// on every receive (a stale handle deletes nothing, as in SQS), redrive to a
// dead-letter queue on the receive attempt after maxReceiveCount receives,
// batch calls with per-entry results, message attributes with the MD5 digests
// SQS computes, typed errors with the status codes and x-amzn-query-error
// codes of the service model, and the 60-second purge cool-down.
//
// What is not: FIFO queues (names ending in .fifo are refused), tags,
// permissions, message move tasks, the 60-second ban on re-creating a deleted
// queue, signature checking (any SigV4 credentials are accepted) and SQS's
// sampling of servers on short polls (a short poll here returns every visible
// message up to the requested maximum). Ordering is first-in first-out as far
// as the data structures make it, which standard queues do not promise.
//
// A Server accepts any credentials and so must only listen on loopback.
package sqslocal
