// Command publisher consumes the table's DynamoDB stream: each new outbox
// item (a domain event a case change raised in the same transaction) is
// put on the EventBridge bus, then removed from the outbox; the first
// record it cannot finish is reported as a batch item failure, so the
// stream retries from there (issue 15). A schedule invokes it too, to
// redrive the events the stream gave up on.
package main

import (
	"context"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.Publisher, func(ctx context.Context, cfg config.Config) (any, error) {
		f, err := wire.PublisherFunction(ctx, cfg, wire.Deps{})
		if err != nil {
			return nil, err
		}
		return f.Invoke, nil
	})
}
