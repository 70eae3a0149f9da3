package bench

import "time"

// PriceTable is a set of AWS list prices in US dollars, with where and when
// they were read.
type PriceTable struct {
	Region  string   `json:"region"`
	AsOf    string   `json:"as_of"`
	Sources []string `json:"sources"`
	// Per single unit (one transition, one request, one GB-second).
	SFNTransition     float64 `json:"sfn_standard_transition"`
	HTTPAPIRequest    float64 `json:"http_api_request"`
	LambdaRequest     float64 `json:"lambda_request"`
	LambdaArmGBSecond float64 `json:"lambda_arm64_gb_second"`
	DynamoWriteUnit   float64 `json:"dynamodb_write_request_unit"`
	DynamoReadUnit    float64 `json:"dynamodb_read_request_unit"`
	SQSRequest        float64 `json:"sqs_request"`
	S3Put             float64 `json:"s3_put"`
	S3Get             float64 `json:"s3_get"`
	EventBridgeEvent  float64 `json:"eventbridge_custom_event"`
}

// Prices are the us-east-1 list prices the cost model uses, without free
// tiers. They are the figures quoted in issue 7 for the AWS pricing pages
// listed in Sources, recorded here on AsOf; they have not been checked
// against those pages since. Update them (and AsOf) from the pages.
var Prices = PriceTable{
	Region: "us-east-1",
	AsOf:   "2026-11-27",
	Sources: []string{
		"https://aws.amazon.com/step-functions/pricing/ (Standard: $0.025 per 1,000 state transitions)",
		"https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs: $1.00 per million requests, first 300 million)",
		"https://aws.amazon.com/lambda/pricing/ (arm64: $0.0000133334 per GB-s; $0.20 per million requests)",
		"https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per million write units, $0.125 per million read units)",
		"https://aws.amazon.com/sqs/pricing/ (standard queues: $0.40 per million requests)",
		"https://aws.amazon.com/s3/pricing/ (S3 Standard: PUT $0.005 and GET $0.0004 per 1,000)",
		"https://aws.amazon.com/eventbridge/pricing/ (custom events: $1.00 per million)",
	},
	SFNTransition:     0.025 / 1e3,
	HTTPAPIRequest:    1.00 / 1e6,
	LambdaRequest:     0.20 / 1e6,
	LambdaArmGBSecond: 0.0000133334,
	DynamoWriteUnit:   0.625 / 1e6,
	DynamoReadUnit:    0.125 / 1e6,
	SQSRequest:        0.40 / 1e6,
	S3Put:             0.005 / 1e3,
	S3Get:             0.0004 / 1e3,
	EventBridgeEvent:  1.00 / 1e6,
}

// Assumptions turn what the local stack measures into what a cloud
// invocation would be billed for. Locally every AWS request is a loopback
// call to an in-process stand-in (minidyn's transactions are slow, the
// meter reads items to size them) and every provider call goes to a local
// sandbox: the model bills the handler's own time (its local duration less
// the time it waited on those calls) plus a fixed latency per AWS request
// and per payment provider call made inside each invocation.
type Assumptions struct {
	AWSCallLatency      Duration `json:"aws_call_latency_ms"`
	ProviderCallLatency Duration `json:"provider_call_latency_ms"`
	Note                string   `json:"note"`
}

// Assume are the figures the cost model uses: DynamoDB, SQS and Step
// Functions answer in single-digit to low double-digit milliseconds inside
// a region; the providers' refund APIs are across the Pacific from
// us-east-1.
var Assume = Assumptions{
	AWSCallLatency:      Duration(10 * time.Millisecond),
	ProviderCallLatency: Duration(300 * time.Millisecond),
	Note:                "billed duration = the handler's own time (local duration less its waits on the stand-ins) + 10 ms per AWS request + 300 ms per payment provider call; cold starts not included",
}

// FunctionMemoryMB is each function's memory size, as infra/functions.go
// deploys it (infra's template test checks they agree).
var FunctionMemoryMB = map[string]int{
	"api": 512, "webhooks": 256, "tasks": 512, "intake": 256, "inbound": 256, "reviews": 256, "sweeper": 256, "notifier": 256,
	"evidence": 1024, // decodes photos (issue 16); the benchmark uploads none, so it costs nothing there
	// Publishes the outbox (issue 15); locally a poller stands in for the
	// stream, so the benchmark counts its EventBridge calls, not its runs.
	"publisher": 256,
}
