package sfnlocal

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aftersales/aftersales/infra/local/emulators"
	"github.com/aftersales/aftersales/infra/local/sqslocal"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// startSQS serves a local SQS with one queue and returns its endpoint, the
// queue URL and an SDK client.
func startSQS(t *testing.T) (endpoint, queueURL string, client *sqs.Client) {
	t.Helper()
	srv := sqslocal.New(sqslocal.Options{})
	endpoint, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	queueURL, err = srv.CreateQueue("jobs", nil)
	if err != nil {
		t.Fatal(err)
	}
	client = sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: aws.AnonymousCredentials{}})
	return endpoint, queueURL, client
}

func receiveOne(t *testing.T, client *sqs.Client, queueURL string) string {
	t.Helper()
	out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("%d messages on the queue, want 1", len(out.Messages))
	}
	return aws.ToString(out.Messages[0].Body)
}

func runMachine(t *testing.T, s *Service, c *vclock.Clock, def, input string) *Execution {
	t.Helper()
	m, err := s.CreateStateMachine("integration", def, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	e, err := s.StartExecution(m.ARN, "run", input)
	if err != nil {
		t.Fatal(err)
	}
	return runToCompletion(t, s, c, e.ARN)
}

// TestSQSSendMessageIntegration sends a message to the local SQS through
// arn:aws:states:::sqs:sendMessage: an object MessageBody is sent as JSON
// text, as the service does, and the API response is the task result.
func TestSQSSendMessageIntegration(t *testing.T) {
	endpoint, queueURL, client := startSQS(t)
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	s.SetEndpoint("sqs", endpoint)
	got := runMachine(t, s, c, `{"StartAt":"Send","States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
	  "Parameters":{"QueueUrl":"`+queueURL+`","MessageBody.$":"$.job"},"ResultSelector":{"md5.$":"$.MD5OfMessageBody"},"End":true}}}`,
		`{"job":{"case":"c-1","amount":1999}}`)
	if got.Status != StatusSucceeded {
		t.Fatalf("%s %s: %s", got.Status, got.Error, got.Cause)
	}
	if body := receiveOne(t, client, queueURL); body != `{"case":"c-1","amount":1999}` {
		t.Fatalf("message body %s", body)
	}
	// MD5 of the body as sent, which proves the result is SQS's answer.
	assertJSONEqual(t, "output", got.Output, `{"md5":"`+md5Hex(`{"case":"c-1","amount":1999}`)+`"}`)
}

// TestSQSCallbackIntegration runs sqs:sendMessage.waitForTaskToken: the
// message carries the token, and the task completes when a consumer calls
// SendTaskSuccess with it.
func TestSQSCallbackIntegration(t *testing.T) {
	endpoint, queueURL, client := startSQS(t)
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	s.SetEndpoint("sqs", endpoint)
	m, err := s.CreateStateMachine("callback", `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
	  "Parameters":{"QueueUrl":"`+queueURL+`","MessageBody":{"token.$":"$$.Task.Token","case.$":"$.case"}},"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := s.StartExecution(m.ARN, "run", `{"case":"c-2"}`)
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	var msg struct{ Token, Case string }
	if err := json.Unmarshal([]byte(receiveOne(t, client, queueURL)), &msg); err != nil || msg.Case != "c-2" {
		t.Fatalf("message %+v, %v", msg, err)
	}
	if d, _ := s.DescribeExecution(e.ARN); d.Status != StatusRunning {
		t.Fatalf("execution %s before the callback, want RUNNING", d.Status)
	}
	if err := s.SendTaskSuccess(msg.Token, `{"approved":true}`); err != nil {
		t.Fatal(err)
	}
	got := runToCompletion(t, s, c, e.ARN)
	if got.Status != StatusSucceeded || got.Output != `{"approved":true}` {
		t.Fatalf("%s %s", got.Status, got.Output)
	}
}

// TestDynamoDBIntegrations puts, updates and gets an item of the local
// DynamoDB through the dynamodb integrations, and catches a failed
// condition under the error name the service uses.
func TestDynamoDBIntegrations(t *testing.T) {
	ddb, err := emulators.StartDynamo("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ddb.Close() })
	ctx := context.Background()
	if _, err := ddb.Client().CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("cases"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	s.SetEndpoint("dynamodb", ddb.URL())
	got := runMachine(t, s, c, `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"cases","Item":{"pk":{"S.$":"$.id"},"n":{"N":"1"}}},"ResultPath":null,"Next":"Bump"},
	  "Bump":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:updateItem","Parameters":{"TableName":"cases","Key":{"pk":{"S.$":"$.id"}},
	    "UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_NEW"},"ResultSelector":{"n.$":"$.Attributes.n.N"},"ResultPath":"$.bumped","Next":"Get"},
	  "Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"cases","Key":{"pk":{"S.$":"$.id"}}},"ResultSelector":{"n.$":"$.Item.n.N"},"ResultPath":"$.got","Next":"PutAgain"},
	  "PutAgain":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"cases","Item":{"pk":{"S.$":"$.id"}},"ConditionExpression":"attribute_not_exists(pk)"},
	    "Catch":[{"ErrorEquals":["DynamoDB.ConditionalCheckFailedException"],"ResultPath":"$.conflict","Next":"Done"}],"Next":"Done"},
	  "Done":{"Type":"Pass","Parameters":{"bumped.$":"$.bumped.n","got.$":"$.got.n","conflict.$":"$.conflict.Error"},"End":true}}}`, `{"id":"c-3"}`)
	if got.Status != StatusSucceeded {
		t.Fatalf("%s %s: %s", got.Status, got.Error, got.Cause)
	}
	assertJSONEqual(t, "output", got.Output, `{"bumped":"2","got":"2","conflict":"DynamoDB.ConditionalCheckFailedException"}`)
}

// TestEventBridgePutEventsIntegration checks the request events:putEvents
// sends (AWS JSON 1.1, AWSEvents.PutEvents, an object Detail as JSON text)
// against a recording stand-in, since the local stack has no EventBridge.
func TestEventBridgePutEventsIntegration(t *testing.T) {
	var mu sync.Mutex
	var target, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		target, body = r.Header.Get("X-Amz-Target")+" "+r.Header.Get("Content-Type"), string(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte(`{"Entries":[{"EventId":"e-1"}],"FailedEntryCount":0}`))
	}))
	t.Cleanup(srv.Close)
	c := vclock.New(conformanceStart)
	s := New(Options{Clock: c, Workers: 2, Endpoints: map[string]string{"events": srv.URL}, SettleGrace: 250e6})
	t.Cleanup(s.Close)
	got := runMachine(t, s, c, `{"StartAt":"Emit","States":{"Emit":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents",
	  "Parameters":{"Entries":[{"Source":"aftersales","DetailType":"CaseClosed","Detail":{"case.$":"$.case"}}]},"End":true}}}`, `{"case":"c-4"}`)
	if got.Status != StatusSucceeded || got.Output != `{"Entries":[{"EventId":"e-1"}],"FailedEntryCount":0}` {
		t.Fatalf("%s %s %s", got.Status, got.Cause, got.Output)
	}
	mu.Lock()
	defer mu.Unlock()
	if target != "AWSEvents.PutEvents application/x-amz-json-1.1" {
		t.Errorf("request %q", target)
	}
	assertJSONEqual(t, "request body", body, `{"Entries":[{"Source":"aftersales","DetailType":"CaseClosed","Detail":"{\"case\":\"c-4\"}"}]}`)
}

// TestIntegrationWithoutEndpoint checks that a supported integration with
// no stand-in configured stops the execution with a cause that says so.
func TestIntegrationWithoutEndpoint(t *testing.T) {
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	got := runMachine(t, s, c, `{"StartAt":"Send","States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody":"x"},"End":true}}}`, `{}`)
	if got.Status != StatusFailed || got.Error != ErrRuntime || !strings.Contains(got.Cause, "no local endpoint for the sqs service integration") {
		t.Fatalf("%s %s %q", got.Status, got.Error, got.Cause)
	}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestNestedExecutions runs states:startExecution in its three patterns:
// request-response returns the child's ARN at once, .sync waits and
// returns the DescribeExecution answer with the output as JSON text, and
// .sync:2 with the output as JSON. A failed child fails the task with
// States.TaskFailed, and an unknown machine is the API's error.
func TestNestedExecutions(t *testing.T) {
	const childDef = `{"StartAt":"Check","States":{
	  "Check":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Boom"}],"Default":"Wait"},
	  "Wait":{"Type":"Wait","Seconds":30,"Next":"Done"},
	  "Done":{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"End":true},
	  "Boom":{"Type":"Fail","Error":"Child.Failed","Cause":"asked to"}}}`
	tests := []struct {
		name, resource, input, want string
		selector                    string
	}{
		{"sync:2 returns the output as JSON", "arn:aws:states:::states:startExecution.sync:2", `{"n":21,"fail":false}`, `{"status":"SUCCEEDED","out":{"doubled":42}}`, `{"status.$":"$.Status","out.$":"$.Output"}`},
		{"sync returns the output as text", "arn:aws:states:::states:startExecution.sync", `{"n":21,"fail":false}`, `{"status":"SUCCEEDED","out":"{\"doubled\":42}"}`, `{"status.$":"$.Status","out.$":"$.Output"}`},
		{"request-response returns at once", "arn:aws:states:::states:startExecution", `{"n":1,"fail":false}`, `{"startDate":1767225600000}`, `{"startDate.$":"$.StartDate","arn.$":"$.ExecutionArn"}`},
		{"a failed child fails the task", "arn:aws:states:::states:startExecution.sync:2", `{"fail":true}`, `FAILED States.TaskFailed`, `{"status.$":"$.Status"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := vclock.New(conformanceStart)
			s := newTestService(t, c)
			child, err := s.CreateStateMachine("child", childDef, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := runMachine(t, s, c, `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"`+tc.resource+`",
			  "Parameters":{"StateMachineArn":"`+child.ARN+`","Input.$":"$","Name":"kid"},"ResultSelector":`+tc.selector+`,"End":true}}}`, tc.input)
			if want, ok := strings.CutPrefix(tc.want, "FAILED "); ok {
				if got.Status != StatusFailed || got.Error != want || !strings.Contains(got.Cause, `"Error":"Child.Failed"`) {
					t.Fatalf("got %s %s %q, want FAILED %s with the child's error in the cause", got.Status, got.Error, got.Cause, want)
				}
				return
			}
			if got.Status != StatusSucceeded {
				t.Fatalf("%s %s: %s", got.Status, got.Error, got.Cause)
			}
			var out map[string]any
			_ = json.Unmarshal([]byte(got.Output), &out)
			delete(out, "arn")
			b, _ := json.Marshal(out)
			assertJSONEqual(t, "output", string(b), tc.want)
			kid, err := s.DescribeExecution(child.ARN[:strings.LastIndex(child.ARN, ":stateMachine:")] + ":execution:child:kid")
			if err != nil {
				t.Fatalf("child execution: %v", err)
			}
			if strings.Contains(tc.resource, ".sync") && kid.Status != StatusSucceeded {
				t.Errorf("child is %s after a .sync parent finished", kid.Status)
			}
		})
	}
	t.Run("unknown state machine", func(t *testing.T) {
		c := vclock.New(conformanceStart)
		s := newTestService(t, c)
		got := runMachine(t, s, c, `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		  "Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:nope"},"End":true}}}`, `{}`)
		if got.Status != StatusFailed || got.Error != "StepFunctions.StateMachineDoesNotExistException" {
			t.Fatalf("%s %s %q", got.Status, got.Error, got.Cause)
		}
	})
}
