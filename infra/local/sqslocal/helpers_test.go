package sqslocal_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/aftersales/aftersales/infra/local/sqslocal"
	"github.com/aftersales/aftersales/infra/local/vclock"
)

// t0 is where every test's virtual clock starts.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// env is one sqslocal server on a loopback port, its virtual clock and a
// real SDK client pointed at it.
type env struct {
	srv      *sqslocal.Server
	clk      *vclock.Clock
	client   *sqs.Client
	endpoint string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := vclock.New(t0)
	srv := sqslocal.New(sqslocal.Options{Clock: clk})
	endpoint, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &env{srv: srv, clk: clk, client: newClient(endpoint), endpoint: endpoint}
}

// newClient builds the SDK client the way the project does for local
// endpoints: explicit options, static credentials, no default chain.
func newClient(endpoint string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

func (e *env) createQueue(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func (e *env) send(t *testing.T, url, body string) *sqs.SendMessageOutput {
	t.Helper()
	out, err := e.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	return out
}

// receive short-polls up to max messages with every attribute.
func (e *env) receive(t *testing.T, url string, max int32) []types.Message {
	t.Helper()
	out, err := e.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         max,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func (e *env) depth(t *testing.T, name string, wantVisible, wantInFlight int) {
	t.Helper()
	v, f := e.srv.Depth(name)
	if v != wantVisible || f != wantInFlight {
		t.Fatalf("Depth(%s) = %d visible, %d in flight; want %d, %d", name, v, f, wantVisible, wantInFlight)
	}
}

// errorCode returns the ErrorCode of an API error, "" for anything else.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// eventually polls cond until it holds or the deadline passes; the tests
// use it to wait for another goroutine to reach a state, never to let time
// pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}
