package sfnlocal

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/vclock"
)

// benchMachine is a six-state Task/Choice/Pass workflow shaped like a
// refund case: two Lambda tasks (integration and plain ARN), two choices
// and two passes.
const benchMachine = `{"StartAt":"Validate","States":{
  "Validate":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"validate","Payload.$":"$"},"ResultSelector":{"ok.$":"$.Payload.ok"},"ResultPath":"$.validation","Next":"IsValid"},
  "IsValid":{"Type":"Choice","Choices":[{"Variable":"$.validation.ok","BooleanEquals":true,"Next":"Enrich"}],"Default":"Reject"},
  "Enrich":{"Type":"Pass","Parameters":{"amount.$":"$.amount","case.$":"$$.Execution.Name","note.$":"States.Format('refund {}', $.amount)"},"ResultPath":"$.enriched","Next":"Refund"},
  "Refund":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:refund","InputPath":"$.enriched","ResultPath":"$.refund","Next":"Large"},
  "Large":{"Type":"Choice","Choices":[{"Variable":"$.amount","NumericGreaterThan":100000,"Next":"Reject"}],"Default":"Done"},
  "Reject":{"Type":"Fail","Error":"AfterSales.Rejected"},
  "Done":{"Type":"Pass","End":true}}}`

func BenchmarkExecutions(b *testing.B) {
	c := vclock.New(conformanceStart)
	s := New(Options{Clock: c, Workers: 8})
	defer s.Close()
	s.RegisterFunction("validate", func(_ context.Context, p json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"ok":true}`), nil
	})
	s.RegisterFunction("refund", func(_ context.Context, p json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"refundId":"r-1"}`), nil
	})
	m, err := s.CreateStateMachine("bench", benchMachine, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	const batch = 512
	for i := 0; i < b.N; i++ {
		if _, err := s.StartExecution(m.ARN, "", `{"amount":1999}`); err != nil {
			b.Fatal(err)
		}
		if i%batch == batch-1 {
			if err := s.WaitIdle(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.WaitIdle(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	met := s.Metrics()
	if met.Succeeded != int64(b.N) {
		b.Fatalf("%d of %d executions succeeded (metrics %+v)", met.Succeeded, b.N, met)
	}
	b.ReportMetric(float64(b.N)/elapsed, "executions/s")
	b.ReportMetric(float64(met.BilledTransitions)/elapsed, "transitions/s")
}

// BenchmarkTransitions measures the interpreter alone: one execution loops
// through a Choice and a Pass state b.N times (two billed transitions per
// iteration), with no handler and no clock involved.
func BenchmarkTransitions(b *testing.B) {
	c := vclock.New(conformanceStart)
	s := New(Options{Clock: c, Workers: 2})
	defer s.Close()
	m, err := s.CreateStateMachine("loop", `{"StartAt":"Check","States":{
	  "Check":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericGreaterThanEquals":`+itoa(b.N)+`,"Next":"Done"}],"Default":"Inc"},
	  "Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)"},"Next":"Check"},
	  "Done":{"Type":"Succeed"}}}`, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	e, err := s.StartExecution(m.ARN, "", `{"i":0}`)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.WaitIdle(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	d, _ := s.DescribeExecution(e.ARN)
	if d.Status != StatusSucceeded {
		b.Fatalf("status %s: %s", d.Status, d.Cause)
	}
	b.ReportMetric(float64(d.BilledTransitions)/elapsed, "transitions/s")
}

func itoa(n int) string { return strconv.Itoa(n) }
