package stack

import (
	"context"
	"fmt"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// PutOrder stores an order through the case service, as the mall's order
// events do: the benchmark (infra/local/bench) creates its orders with it.
// A snapshot the service ignores (not newer than the stored one) is an
// error here: the benchmark's orders are new.
func (s *Stack) PutOrder(ctx context.Context, o *aftersales.Order) error {
	stored, err := s.svc.Orders.PutOrder(ctx, o)
	if err == nil && !stored {
		err = fmt.Errorf("order %s version %d: %w", o.ID, o.Version, aftersales.ErrOrderNotNewer)
	}
	return err
}

// Case reads a case from the store, bypassing the HTTP API: the benchmark
// checks every case's final state with it.
func (s *Stack) Case(ctx context.Context, id string) (*aftersales.Case, error) {
	return s.store.GetCase(ctx, id)
}

// ExecutionTasks counts the Lambda task invocations an execution of a case
// made so far (TaskStarted and LambdaFunctionStarted history events).
func (s *Stack) ExecutionTasks(caseID string) (int, error) {
	e, err := s.Execution(caseID)
	if err != nil {
		return 0, err
	}
	h, err := s.SFN.History(e.ARN)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ev := range h {
		if ev.Type == "TaskStarted" || ev.Type == "LambdaFunctionStarted" {
			n++
		}
	}
	return n, nil
}
