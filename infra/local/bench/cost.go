package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/aftersales/aftersales/infra/local/meter"
	"github.com/aftersales/aftersales/infra/local/stack"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
)

// The full paths of the cost phase: each case is taken to its end, with
// the payment sandbox answering at once and confirming by notification.
const (
	CostRefundAuto    = "refund-auto"
	CostReturnRefund  = "return-refund"
	CostClaimEvidence = "claim-with-evidence"
)

// Mix is the typical after-sales mix of issue 7 priced per 1,000 cases.
var Mix = []struct {
	Path   string
	Weight float64
}{{CostRefundAuto, 0.6}, {CostReturnRefund, 0.3}, {CostClaimEvidence, 0.1}}

// CostPhase is the metered run: every billable operation of K cases of
// each full path, per case, and its list price.
type CostPhase struct {
	CasesPerPath int           `json:"cases_per_path"`
	Store        string        `json:"store"`
	Paths        []MeteredPath `json:"paths"`
	Mix          CostRow       `json:"mix"`
	Assumptions  Assumptions   `json:"assumptions"`
}

// MeteredPath is one path's operations per case and their price per 1,000
// cases.
type MeteredPath struct {
	Path     string         `json:"path"`
	Steps    string         `json:"steps"`
	Cases    int            `json:"cases"`
	Statuses map[string]int `json:"statuses"`
	PerCase  Operations     `json:"per_case"`
	Cost     CostRow        `json:"cost_per_1000"`
}

// Operations are the billable operations of one case (means over a path).
type Operations struct {
	Transitions   float64            `json:"billed_transitions"`
	HTTPRequests  float64            `json:"http_api_requests"`
	Invocations   map[string]float64 `json:"invocations"`
	LocalSeconds  map[string]float64 `json:"local_seconds"`
	OwnSeconds    map[string]float64 `json:"own_seconds"`
	AWSCalls      map[string]float64 `json:"aws_calls"`
	ProviderCalls map[string]float64 `json:"provider_calls"`
	GBSeconds     float64            `json:"lambda_gb_seconds_modelled"`
	WriteUnits    float64            `json:"dynamodb_write_units"`
	ReadUnits     float64            `json:"dynamodb_read_units"`
	SQSRequests   float64            `json:"sqs_requests"`
	S3Put         float64            `json:"s3_put"`
	S3Get         float64            `json:"s3_get"`
	Events        float64            `json:"eventbridge_events"`
	Requests      map[string]float64 `json:"sdk_requests"`
}

// CostRow is a list price per 1,000 cases, by line.
type CostRow struct {
	Path           string  `json:"path"`
	StepFunctions  float64 `json:"step_functions_usd"`
	HTTPAPI        float64 `json:"http_api_usd"`
	LambdaRequests float64 `json:"lambda_requests_usd"`
	LambdaDuration float64 `json:"lambda_duration_usd"`
	DynamoDB       float64 `json:"dynamodb_usd"`
	SQS            float64 `json:"sqs_usd"`
	S3             float64 `json:"s3_usd"`
	EventBridge    float64 `json:"eventbridge_usd"`
	Total          float64 `json:"total_usd"`
}

func (r *CostRow) sum() {
	r.Total = r.StepFunctions + r.HTTPAPI + r.LambdaRequests + r.LambdaDuration + r.DynamoDB + r.SQS + r.S3 + r.EventBridge
}

// price prices 1,000 cases of ops.
func price(path string, o Operations, p PriceTable) CostRow {
	var inv float64
	for _, n := range o.Invocations {
		inv += n
	}
	r := CostRow{Path: path,
		StepFunctions:  1000 * o.Transitions * p.SFNTransition,
		HTTPAPI:        1000 * o.HTTPRequests * p.HTTPAPIRequest,
		LambdaRequests: 1000 * inv * p.LambdaRequest,
		LambdaDuration: 1000 * o.GBSeconds * p.LambdaArmGBSecond,
		DynamoDB:       1000 * (o.WriteUnits*p.DynamoWriteUnit + o.ReadUnits*p.DynamoReadUnit),
		SQS:            1000 * o.SQSRequests * p.SQSRequest,
		S3:             1000 * (o.S3Put*p.S3Put + o.S3Get*p.S3Get),
		EventBridge:    1000 * o.Events * p.EventBridgeEvent,
	}
	r.sum()
	return r
}

// mixRow weights the paths' rows by Mix.
func mixRow(rows map[string]CostRow) (CostRow, bool) {
	mix := CostRow{Path: "typical mix (60% refund-auto, 30% return-refund, 10% claim-with-evidence)"}
	for _, m := range Mix {
		r, ok := rows[m.Path]
		if !ok {
			return mix, false
		}
		mix.StepFunctions += m.Weight * r.StepFunctions
		mix.HTTPAPI += m.Weight * r.HTTPAPI
		mix.LambdaRequests += m.Weight * r.LambdaRequests
		mix.LambdaDuration += m.Weight * r.LambdaDuration
		mix.DynamoDB += m.Weight * r.DynamoDB
		mix.SQS += m.Weight * r.SQS
		mix.S3 += m.Weight * r.S3
		mix.EventBridge += m.Weight * r.EventBridge
	}
	mix.sum()
	return mix, true
}

// costPhase starts a second, metered stack on the emulated DynamoDB (the
// item sizes are what DynamoDB bills) and takes k cases of each full path
// to its end.
func (b *bench) costPhase(ctx context.Context, k int) (*CostPhase, error) {
	m := meter.New()
	st, err := stack.Start(ctx, stack.Options{
		AnyPorts: true, Clock: vclock.New(epoch), APIOptions: []func(*middleware.Stack) error{m.APIOption}, Observe: m.Observe,
		WrapPayment: func(_ aftersales.PaymentChannel, p aftersales.RefundProvider) aftersales.RefundProvider {
			return meteredProvider{p, m}
		},
	})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	m.Price(meter.NewTable(awsenv.DynamoDB(awsenv.Local(st.Config.Region), st.DynamoURL()), dynamo.TableSchema(stack.TableName)))
	// One client: the functions' local durations, which the cost model
	// bills, are then not inflated by cases contending for the cores.
	cb := &bench{cfg: b.cfg, st: st, http: b.http, refunds: map[string][]time.Time{}}
	cb.cfg.Clients = 1

	out := &CostPhase{CasesPerPath: k, Store: "emulated DynamoDB (minidyn), metered", Assumptions: Assume}
	rows := map[string]CostRow{}
	for _, p := range costPaths {
		stop := b.progress("cost "+p.name, func() string { return fmt.Sprintf("%d cases of %s, metered", k, p.name) })
		mp, err := cb.meterPath(ctx, m, p, k)
		stop()
		if err != nil {
			return nil, fmt.Errorf("cost phase, %s: %w", p.name, err)
		}
		out.Paths = append(out.Paths, *mp)
		rows[p.name] = mp.Cost
	}
	if mix, ok := mixRow(rows); ok {
		out.Mix = mix
	}
	return out, nil
}

// costPath is a full path: the order it applies to and the steps after
// the application, each run for every case before the next.
type costPath struct {
	name, steps string
	order       string // the burst path whose order it uses
	want        aftersales.Status
	after       []costStep
}

// costStep acts on case id, the i-th of its path, once the stack is idle.
type costStep func(ctx context.Context, b *bench, m *meter.Meter, i int, id string) error

var costPaths = []costPath{
	{name: CostRefundAuto, order: PathRefundAuto, want: aftersales.StatusCompleted,
		steps: "apply; rules approve; refund by WeChat Pay, confirmed by its notification; buyer views the case"},
	{name: CostReturnRefund, order: PathReturnToReview, want: aftersales.StatusCompleted,
		steps: "apply; to a person; staff approve; buyer ships; staff confirm receipt; refund confirmed by notification; buyer views the case",
		after: []costStep{staffApprove(nil), shipReturn, confirmReceipt}},
	{name: CostClaimEvidence, order: PathClaimToEvidence, want: aftersales.StatusCompleted,
		steps: "apply without a photo; evidence asked; upload URLs, the item's and the label's photos PUT to S3, attach; rules again, to a person; staff approve a partial amount; refund confirmed by notification; buyer views the case",
		after: []costStep{attachEvidence, staffApprove(map[string]any{"amount": 1000, "note": "one of five jin spoiled"})}},
}

// meterPath runs k cases of p and returns their operations per case.
func (b *bench) meterPath(ctx context.Context, m *meter.Meter, p costPath, k int) (*MeteredPath, error) {
	phase := "cost-" + p.name
	apps, err := b.prepare(ctx, phase, k, func(int) string { return p.order })
	if err != nil {
		return nil, err
	}
	if err := b.st.WaitIdle(ctx); err != nil {
		return nil, err
	}
	before, events := m.Snapshot(), len(b.st.Events.Events())
	ids := make([]string, k)
	err = b.each(k, func(i int) error {
		r := b.apply(ctx, phase, i, p.order, apps[i])
		if r.reject != "" {
			return fmt.Errorf("application %d: %s", i, r.reject)
		}
		ids[i] = r.caseID
		return nil
	})
	if err != nil {
		return nil, err
	}
	steps := slices.Concat(p.after, []costStep{viewCase})
	for _, step := range steps {
		if err := b.st.WaitIdle(ctx); err != nil {
			return nil, err
		}
		if err := b.each(k, func(i int) error { return step(ctx, b, m, i, ids[i]) }); err != nil {
			return nil, err
		}
	}
	if err := b.st.WaitIdle(ctx); err != nil {
		return nil, err
	}
	d := m.Snapshot().Sub(before)
	mp := &MeteredPath{Path: p.name, Steps: p.steps, Cases: k, Statuses: map[string]int{}}
	var transitions int64
	for _, id := range ids {
		st := "(not found)"
		if c, err := b.st.Case(ctx, id); err == nil {
			st = string(c.Status)
		}
		mp.Statuses[st]++
		if e, err := b.st.Execution(id); err == nil {
			transitions += e.BilledTransitions
		}
	}
	if mp.Statuses[string(p.want)] != k {
		return nil, fmt.Errorf("cases did not end %s: %v", p.want, mp.Statuses)
	}
	mp.PerCase = perCase(d, transitions, len(b.st.Events.Events())-events, k, Assume)
	mp.Cost = price(p.name, mp.PerCase, Prices)
	return mp, nil
}

// perCase divides a path's counts by its cases and models the functions'
// billed duration in the cloud (see Assumptions).
func perCase(d meter.Counts, transitions int64, events, k int, a Assumptions) Operations {
	per := func(n int64) float64 { return float64(n) / float64(k) }
	o := Operations{Transitions: per(transitions), Invocations: map[string]float64{}, LocalSeconds: map[string]float64{}, OwnSeconds: map[string]float64{},
		AWSCalls: map[string]float64{}, ProviderCalls: map[string]float64{}, Requests: map[string]float64{},
		WriteUnits: d.WriteUnits / float64(k), ReadUnits: d.ReadUnits / float64(k), SQSRequests: per(d.SQSRequests()),
		S3Put: per(d.S3Put), S3Get: per(d.S3Get), Events: per(int64(events))}
	for fn, n := range d.Invocations {
		o.Invocations[fn] = per(n)
		local := d.Duration[fn].Seconds()
		o.LocalSeconds[fn] = local / float64(k)
		o.AWSCalls[fn] = per(d.AWSCalls[fn])
		o.ProviderCalls[fn] = per(d.ProviderCalls[fn])
		// The handler's own time (its local time less its waits on the
		// stand-ins and the provider sandboxes), plus the cloud's waits.
		own := max(0, local-d.CallTime[fn].Seconds())
		o.OwnSeconds[fn] = own / float64(k)
		cloud := own + float64(d.AWSCalls[fn])*time.Duration(a.AWSCallLatency).Seconds() + float64(d.ProviderCalls[fn])*time.Duration(a.ProviderCallLatency).Seconds()
		o.GBSeconds += cloud / float64(k) * float64(FunctionMemoryMB[fn]) / 1024
	}
	o.HTTPRequests = o.Invocations[stack.FunctionAPI] + o.Invocations[stack.FunctionWebhooks]
	for op, n := range d.Requests {
		o.Requests[op] = per(n)
	}
	return o
}

// each runs f for 0..n-1 from the configured number of clients and returns
// the first error.
func (b *bench) each(n int, f func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range min(b.cfg.Clients, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// do sends one request as sub with roles and checks the status.
func (b *bench) do(ctx context.Context, sub, role, method, path string, body any, want int) ([]byte, error) {
	tok, err := b.token(sub, role)
	if err != nil {
		return nil, err
	}
	status, raw, err := b.post(ctx, method, path, tok, body)
	if err != nil {
		return nil, err
	}
	if status != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, status, raw[:min(len(raw), 300)])
	}
	return raw, nil
}

func staffApprove(body map[string]any) costStep {
	if body == nil {
		body = map[string]any{"note": "ok"}
	}
	return func(ctx context.Context, b *bench, _ *meter.Meter, _ int, id string) error {
		_, err := b.do(ctx, "bench-staff", "reviewer", "POST", "/v1/staff/cases/"+id+"/approve", body, http.StatusOK)
		return err
	}
}

func shipReturn(ctx context.Context, b *bench, _ *meter.Meter, i int, id string) error {
	_, err := b.do(ctx, buyerOf(i), "buyer", "POST", "/v1/cases/"+id+"/return-shipment",
		map[string]any{"courier": "shunfeng", "tracking_number": fmt.Sprintf("SF%010d", i)}, http.StatusOK)
	return err
}

func confirmReceipt(ctx context.Context, b *bench, _ *meter.Meter, _ int, id string) error {
	_, err := b.do(ctx, "bench-staff", "reviewer", "POST", "/v1/staff/cases/"+id+"/receipt", map[string]any{"condition": "sellable"}, http.StatusOK)
	return err
}

func viewCase(ctx context.Context, b *bench, _ *meter.Meter, i int, id string) error {
	_, err := b.do(ctx, buyerOf(i), "buyer", "GET", "/v1/cases/"+id, nil, http.StatusOK)
	return err
}

// attachEvidence asks for upload URLs, PUTs the photos to them (as the
// buyer's phone does, straight to S3) and attaches them to the case. A
// produce claim needs two named photos, the item's and its label's (the
// rule set's evidence.slots, issue 17). Each photo is a real JPEG of its
// own: the evidence check decodes it and would flag a photo reused across
// cases.
func attachEvidence(ctx context.Context, b *bench, m *meter.Meter, i int, id string) error {
	slots := []string{"item", "label"}
	photos := make([][]byte, len(slots))
	files := make([]map[string]any, len(slots))
	for k, slot := range slots {
		photos[k] = inspecttest.JPEG(inspecttest.Photo(64, 48, 2*i+k+1), 80)
		files[k] = map[string]any{"content_type": "image/jpeg", "size": len(photos[k]), "slot": slot}
	}
	raw, err := b.do(ctx, buyerOf(i), "buyer", "POST", "/v1/cases/"+id+"/evidence-uploads", map[string]any{"files": files}, http.StatusCreated)
	if err != nil {
		return err
	}
	var ups struct {
		Uploads []struct {
			EvidenceID string            `json:"evidence_id"`
			URL        string            `json:"url"`
			Headers    map[string]string `json:"headers"`
		} `json:"uploads"`
	}
	if err := json.Unmarshal(raw, &ups); err != nil || len(ups.Uploads) != len(slots) {
		return fmt.Errorf("upload URLs: %v %s", err, raw)
	}
	ids := make([]string, len(slots))
	for k, up := range ups.Uploads {
		req, err := http.NewRequestWithContext(ctx, "PUT", up.URL, bytes.NewReader(photos[k]))
		if err != nil {
			return err
		}
		for h, v := range up.Headers {
			req.Header.Set(h, v)
		}
		res, err := b.http.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("PUT the photo: %d", res.StatusCode)
		}
		m.S3Upload()
		ids[k] = up.EvidenceID
	}
	_, err = b.do(ctx, buyerOf(i), "buyer", "POST", "/v1/cases/"+id+"/evidence", map[string]any{"evidence_ids": ids}, http.StatusOK)
	return err
}

// meteredProvider counts the calls to a payment provider.
type meteredProvider struct {
	aftersales.RefundProvider
	m *meter.Meter
}

func (p meteredProvider) Refund(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	began := time.Now()
	defer func() { p.m.ProviderCall(ctx, time.Since(began)) }()
	return p.RefundProvider.Refund(ctx, r)
}

func (p meteredProvider) Query(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	began := time.Now()
	defer func() { p.m.ProviderCall(ctx, time.Since(began)) }()
	return p.RefundProvider.Query(ctx, r)
}

// markdown renders the cost phase.
func (c *CostPhase) markdown(w func(string, ...any), p PriceTable) {
	w("## Cost per case, metered (full paths)\n\n")
	w("%d cases of each path taken to its end on a second stack with the emulated DynamoDB (%s); every SDK request, DynamoDB request unit (from item sizes), function invocation and provider call counted. Per case:\n\n", c.CasesPerPath, c.Store)
	w("| path | transitions | HTTP API | invocations (api / webhooks / tasks / intake / reviews / inbound) | Lambda GB-s (modelled) | DynamoDB WRU / RRU | SQS | S3 PUT / GET | events |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, mp := range c.Paths {
		o := mp.PerCase
		inv := o.Invocations
		w("| %s | %.2f | %.2f | %.2f / %.2f / %.2f / %.2f / %.2f / %.2f | %.4f | %.1f / %.1f | %.2f | %.2f / %.2f | %.2f |\n", mp.Path, o.Transitions, o.HTTPRequests,
			inv["api"], inv["webhooks"], inv["tasks"], inv["intake"], inv["reviews"], inv["inbound"], o.GBSeconds, o.WriteUnits, o.ReadUnits, o.SQSRequests, o.S3Put, o.S3Get, o.Events)
	}
	w("\nSteps: ")
	for i, mp := range c.Paths {
		if i > 0 {
			w("; ")
		}
		w("**%s**: %s", mp.Path, mp.Steps)
	}
	w(".\n\nDynamoDB requests per case:\n\n| path | requests |\n| --- | --- |\n")
	for _, mp := range c.Paths {
		w("| %s | %s |\n", mp.Path, requestList(mp.PerCase.Requests, "dynamodb."))
	}
	w("\n## List price per 1,000 cases (%s, prices as of %s)\n\n", p.Region, p.AsOf)
	w("| path | Step Functions | HTTP API | Lambda requests | Lambda duration | DynamoDB | SQS | S3 | EventBridge | total |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range append(costRows(c.Paths), c.Mix) {
		w("| %s | $%.4f | $%.4f | $%.4f | $%.4f | $%.4f | $%.4f | $%.4f | $%.4f | **$%.4f** |\n", r.Path, r.StepFunctions, r.HTTPAPI, r.LambdaRequests, r.LambdaDuration, r.DynamoDB, r.SQS, r.S3, r.EventBridge, r.Total)
	}
	w("\nModel: %s; memory per function as deployed (%s). Not per case: the SQS pollers' empty receives, the sweeper's schedule, alarms, secrets, logs and storage (see docs/PERFORMANCE.md).\nSources: %s.\n\n",
		c.Assumptions.Note, memoryList(), strings.Join(p.Sources, "; "))
}

func costRows(paths []MeteredPath) []CostRow {
	var rows []CostRow
	for _, mp := range paths {
		rows = append(rows, mp.Cost)
	}
	return rows
}

// requestList renders the requests of one service, "PutItem 2.00, Query 1.00".
func requestList(reqs map[string]float64, service string) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(reqs)) {
		if name, ok := strings.CutPrefix(op, service); ok {
			parts = append(parts, fmt.Sprintf("%s %.2f", name, reqs[op]))
		}
	}
	return strings.Join(parts, ", ")
}

func memoryList() string {
	var parts []string
	for _, fn := range slices.Sorted(maps.Keys(FunctionMemoryMB)) {
		parts = append(parts, fmt.Sprintf("%s %d MB", fn, FunctionMemoryMB[fn]))
	}
	return strings.Join(parts, ", ")
}
