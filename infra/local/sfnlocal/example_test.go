package sfnlocal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aftersales/aftersales/infra/local/sfnlocal"
	"github.com/aftersales/aftersales/infra/local/vclock"
)

// The local stack wires the service like this: one virtual clock shared
// with the domain, handlers registered by function name, a definition with
// CDK-style substitutions, and Advance to skip a two-day wait.
func Example() {
	clock := vclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	svc := sfnlocal.New(sfnlocal.Options{Clock: clock, Workers: 4})
	defer svc.Close()

	svc.RegisterFunction("refund", func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var in struct{ Amount int }
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		if in.Amount > 10000 {
			return nil, &sfnlocal.TaskError{Name: "AfterSales.NeedsReview", Cause: "amount above the automatic limit"}
		}
		return json.RawMessage(`{"refunded":true}`), nil
	})

	machine, err := svc.CreateStateMachine("case", `{
	  "StartAt": "Cooling",
	  "States": {
	    "Cooling": {"Type": "Wait", "Seconds": 172800, "Next": "Refund"},
	    "Refund": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	      "Parameters": {"FunctionName": "${RefundFunction}", "Payload.$": "$"},
	      "ResultSelector": {"refunded.$": "$.Payload.refunded"}, "ResultPath": "$.result",
	      "Catch": [{"ErrorEquals": ["AfterSales.NeedsReview"], "ResultPath": "$.review", "Next": "Review"}],
	      "End": true},
	    "Review": {"Type": "Pass", "End": true}
	  }}`, map[string]string{"RefundFunction": "arn:aws:lambda:us-east-1:123456789012:function:refund"})
	if err != nil {
		panic(err)
	}
	small, _ := svc.StartExecution(machine.ARN, "case-1", `{"Amount":1999}`)
	large, _ := svc.StartExecution(machine.ARN, "case-2", `{"Amount":25000}`)

	clock.Advance(48 * time.Hour) // fires both Wait states; returns once the work they started is done

	for _, arn := range []string{small.ARN, large.ARN} {
		d, _ := svc.DescribeExecution(arn)
		fmt.Println(d.Name, d.Status, d.Output, "transitions:", d.BilledTransitions)
	}
	// Output:
	// case-1 SUCCEEDED {"Amount":1999,"result":{"refunded":true}} transitions: 2
	// case-2 SUCCEEDED {"Amount":25000,"review":{"Error":"AfterSales.NeedsReview","Cause":"{\"errorMessage\":\"amount above the automatic limit\",\"errorType\":\"AfterSales.NeedsReview\"}"}} transitions: 3
}
