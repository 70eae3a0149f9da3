package sqslocal_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/aftersales/aftersales/infra/local/sqslocal"
)

func TestQueueManagement(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	url := e.createQueue(t, "intake", map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "0"})

	t.Run("CreateQueue is idempotent for the same attributes", func(t *testing.T) {
		again := e.createQueue(t, "intake", map[string]string{"VisibilityTimeout": "45"})
		if again != url {
			t.Errorf("second CreateQueue answered %q, first %q", again, url)
		}
	})
	t.Run("GetQueueUrl answers the CreateQueue URL", func(t *testing.T) {
		out, err := e.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("intake")})
		if err != nil || aws.ToString(out.QueueUrl) != url {
			t.Errorf("GetQueueUrl = %v, %v; want %s", out, err, url)
		}
		if want := e.endpoint + "/123456789012/intake"; url != want {
			t.Errorf("queue URL %q, want %q", url, want)
		}
	})
	t.Run("GetQueueAttributes", func(t *testing.T) {
		tests := []struct {
			name  string
			names []types.QueueAttributeName
			want  map[string]string
		}{
			{"none asked", nil, map[string]string{}},
			{"some", []types.QueueAttributeName{"VisibilityTimeout", "QueueArn"}, map[string]string{
				"VisibilityTimeout": "45", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:intake",
			}},
			{"All", []types.QueueAttributeName{"All"}, map[string]string{
				"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0",
				"ApproximateNumberOfMessagesDelayed": "0", "VisibilityTimeout": "45", "DelaySeconds": "0",
				"MessageRetentionPeriod": "345600", "MaximumMessageSize": "1048576",
				"ReceiveMessageWaitTimeSeconds": "0", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:intake",
				"SqsManagedSseEnabled": "true",
				"CreatedTimestamp":     strconv.FormatInt(t0.Unix(), 10), "LastModifiedTimestamp": strconv.FormatInt(t0.Unix(), 10),
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out, err := e.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: tc.names})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Attributes) != len(tc.want) {
					t.Errorf("got %d attributes %v, want %d", len(out.Attributes), out.Attributes, len(tc.want))
				}
				for k, v := range tc.want {
					if out.Attributes[k] != v {
						t.Errorf("%s = %q, want %q", k, out.Attributes[k], v)
					}
				}
			})
		}
	})
	t.Run("SetQueueAttributes changes the visibility timeout used by receives", func(t *testing.T) {
		if _, err := e.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "5"}}); err != nil {
			t.Fatal(err)
		}
		e.send(t, url, "m")
		if got := e.receive(t, url, 1); len(got) != 1 {
			t.Fatalf("received %d", len(got))
		}
		e.clk.Advance(5 * time.Second)
		if got := e.receive(t, url, 1); len(got) != 1 {
			t.Fatalf("after 5 s received %d, want the message back", len(got))
		}
	})
	t.Run("ListQueues filters by prefix and pages", func(t *testing.T) {
		for _, n := range []string{"a1", "a2", "a3", "b1"} {
			e.createQueue(t, n, nil)
		}
		var pages [][]string
		p := sqs.NewListQueuesPaginator(e.client, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("a"), MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, out.QueueUrls)
		}
		base := e.endpoint + "/123456789012/"
		want := [][]string{{base + "a1", base + "a2"}, {base + "a3"}}
		if len(pages) != len(want) || !slices.Equal(pages[0], want[0]) || !slices.Equal(pages[1], want[1]) {
			t.Errorf("pages %v, want %v", pages, want)
		}
		all, err := e.client.ListQueues(ctx, &sqs.ListQueuesInput{})
		if err != nil || len(all.QueueUrls) != 5 || all.NextToken != nil {
			t.Errorf("ListQueues() = %v, %v; want 5 URLs and no token", all, err)
		}
	})
	t.Run("DeleteQueue removes it", func(t *testing.T) {
		if _, err := e.client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Fatal(err)
		}
		_, err := e.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("intake")})
		if errorCode(err) != "AWS.SimpleQueueService.NonExistentQueue" {
			t.Errorf("GetQueueUrl after delete: %v", err)
		}
	})
}

func TestSendAndReceiveCarryEverything(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	url := e.createQueue(t, "q", nil)
	attrs := map[string]types.MessageAttributeValue{
		"tenant":  {DataType: aws.String("String"), StringValue: aws.String("shop-1")},
		"attempt": {DataType: aws.String("Number"), StringValue: aws.String("3")},
		"blob":    {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
	}
	sent, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String(`{"case_id":"as_1"}`), MessageAttributes: attrs,
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum := md5.Sum([]byte(`{"case_id":"as_1"}`)); aws.ToString(sent.MD5OfMessageBody) != hex.EncodeToString(sum[:]) {
		t.Errorf("MD5OfMessageBody %q", aws.ToString(sent.MD5OfMessageBody))
	}
	e.clk.Advance(1500 * time.Millisecond) // the first receive comes later than the send

	got := e.receive(t, url, 10)
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	m := got[0]
	checks := []struct {
		name      string
		got, want string
	}{
		{"MessageId", aws.ToString(m.MessageId), aws.ToString(sent.MessageId)},
		{"Body", aws.ToString(m.Body), `{"case_id":"as_1"}`},
		{"MD5OfBody", aws.ToString(m.MD5OfBody), aws.ToString(sent.MD5OfMessageBody)},
		{"MD5OfMessageAttributes", aws.ToString(m.MD5OfMessageAttributes), aws.ToString(sent.MD5OfMessageAttributes)},
		{"ApproximateReceiveCount", m.Attributes["ApproximateReceiveCount"], "1"},
		{"SentTimestamp", m.Attributes["SentTimestamp"], strconv.FormatInt(t0.UnixMilli(), 10)},
		{"ApproximateFirstReceiveTimestamp", m.Attributes["ApproximateFirstReceiveTimestamp"], strconv.FormatInt(t0.Add(1500*time.Millisecond).UnixMilli(), 10)},
		{"SenderId", m.Attributes["SenderId"], "local"},
		{"AWSTraceHeader", m.Attributes["AWSTraceHeader"], "Root=1-5759e988-bd862e3fe1be46a994272793"},
		{"tenant", aws.ToString(m.MessageAttributes["tenant"].StringValue), "shop-1"},
		{"attempt type", aws.ToString(m.MessageAttributes["attempt"].DataType), "Number"},
		{"blob", string(m.MessageAttributes["blob"].BinaryValue), string([]byte{0, 1, 2, 255})},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if aws.ToString(sent.MD5OfMessageSystemAttributes) == "" {
		t.Error("SendMessage answered no MD5OfMessageSystemAttributes for a trace header")
	}

	t.Run("only the asked-for attributes come back", func(t *testing.T) {
		e.send(t, url, "second")
		out, err := e.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"},
		})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("ReceiveMessage = %v, %v", out, err)
		}
		if a := out.Messages[0].Attributes; len(a) != 1 || a["ApproximateReceiveCount"] != "1" {
			t.Errorf("attributes %v, want only ApproximateReceiveCount", a)
		}
		if out.Messages[0].MessageAttributes != nil {
			t.Errorf("message attributes %v, asked for none", out.Messages[0].MessageAttributes)
		}
	})
}

// TestMD5OfMessageAttributes checks the digest against one recorded from
// SQS itself (a botocore session's ReceiveMessage answer).
func TestMD5OfMessageAttributes(t *testing.T) {
	v := "2021-02-15T12:00:33+09:00"
	tests := []struct {
		name  string
		attrs map[string]sqslocal.AttrValue
		want  string
	}{
		{"recorded from SQS", map[string]sqslocal.AttrValue{"AtTimestamp": {DataType: "String", StringValue: &v}}, "9fd5e217089075be61cd1d67e35e5117"},
		{"no attributes", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sqslocal.MD5OfAttributes(tc.attrs); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVisibilityTimeoutAndReceiptHandles(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	url := e.createQueue(t, "q", map[string]string{"VisibilityTimeout": "30"})
	e.send(t, url, "m")

	first := e.receive(t, url, 1)
	if len(first) != 1 {
		t.Fatalf("first receive got %d", len(first))
	}
	e.depth(t, "q", 0, 1)
	if again := e.receive(t, url, 1); len(again) != 0 {
		t.Fatalf("an in-flight message was received again")
	}
	e.clk.Advance(29 * time.Second)
	if again := e.receive(t, url, 1); len(again) != 0 {
		t.Fatalf("the message came back 1 s before its visibility timeout")
	}
	e.clk.Advance(time.Second)
	e.depth(t, "q", 1, 0)
	second := e.receive(t, url, 1)
	if len(second) != 1 {
		t.Fatalf("the message did not come back after its visibility timeout")
	}
	if got := second[0].Attributes["ApproximateReceiveCount"]; got != "2" {
		t.Errorf("ApproximateReceiveCount %s, want 2", got)
	}
	if aws.ToString(second[0].ReceiptHandle) == aws.ToString(first[0].ReceiptHandle) {
		t.Error("the receipt handle did not change between receives")
	}
	if got, want := second[0].Attributes["ApproximateFirstReceiveTimestamp"], first[0].Attributes["ApproximateFirstReceiveTimestamp"]; got != want {
		t.Errorf("ApproximateFirstReceiveTimestamp moved from %s to %s", want, got)
	}

	// A stale handle deletes nothing and is no error, as in SQS.
	if _, err := e.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage with a stale handle: %v", err)
	}
	e.depth(t, "q", 0, 1)

	// The latest handle still deletes once the visibility timeout is over,
	// as long as nobody received the message again.
	e.clk.Advance(30 * time.Second)
	e.depth(t, "q", 1, 0)
	if _, err := e.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: second[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	e.depth(t, "q", 0, 0)
	if got := e.receive(t, url, 10); len(got) != 0 {
		t.Errorf("a deleted message came back: %v", got)
	}
	// Deleting again is a no-op too.
	if _, err := e.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: second[0].ReceiptHandle}); err != nil {
		t.Errorf("second DeleteMessage: %v", err)
	}
}

func TestChangeMessageVisibility(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		timeout int32
		advance time.Duration
		back    bool // the message is receivable after advance
	}{
		{"extend past the queue timeout", 120, 30 * time.Second, false},
		{"extended timeout ends", 120, 120 * time.Second, true},
		{"shorten", 5, 5 * time.Second, true},
		{"zero makes it visible at once", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			url := e.createQueue(t, "q", map[string]string{"VisibilityTimeout": "30"})
			e.send(t, url, "m")
			got := e.receive(t, url, 1)
			if _, err := e.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(url), ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: tc.timeout,
			}); err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(tc.advance)
			if back := len(e.receive(t, url, 1)) == 1; back != tc.back {
				t.Errorf("receivable after %v: %v, want %v", tc.advance, back, tc.back)
			}
		})
	}
	t.Run("batch with a stale handle", func(t *testing.T) {
		e := newEnv(t)
		url := e.createQueue(t, "q", map[string]string{"VisibilityTimeout": "30"})
		e.send(t, url, "m")
		stale := e.receive(t, url, 1)[0].ReceiptHandle
		e.clk.Advance(30 * time.Second)
		current := e.receive(t, url, 1)[0].ReceiptHandle
		out, err := e.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(url),
			Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
				{Id: aws.String("stale"), ReceiptHandle: stale, VisibilityTimeout: 60},
				{Id: aws.String("current"), ReceiptHandle: current, VisibilityTimeout: 60},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 1 || aws.ToString(out.Successful[0].Id) != "current" {
			t.Errorf("Successful %v, want only current", out.Successful)
		}
		if len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "stale" || aws.ToString(out.Failed[0].Code) != "InvalidParameterValue" || !out.Failed[0].SenderFault {
			t.Errorf("Failed %+v, want stale with InvalidParameterValue", out.Failed)
		}
	})
}

func TestRedriveToDeadLetterQueue(t *testing.T) {
	e := newEnv(t)
	dlqURL := e.createQueue(t, "intake-dlq", nil)
	url := e.createQueue(t, "intake", map[string]string{
		"VisibilityTimeout": "30",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:intake-dlq","maxReceiveCount":5}`,
	})
	sent := e.send(t, url, "poison")

	for i := 1; i <= 5; i++ {
		got := e.receive(t, url, 1)
		if len(got) != 1 {
			t.Fatalf("receive %d got %d messages", i, len(got))
		}
		if c := got[0].Attributes["ApproximateReceiveCount"]; c != strconv.Itoa(i) {
			t.Fatalf("receive %d: ApproximateReceiveCount %s", i, c)
		}
		e.clk.Advance(30 * time.Second)
	}
	// After five receives the message is still in the source queue: SQS
	// moves it on the next receive attempt, not when the timeout ends.
	e.depth(t, "intake", 1, 0)
	e.depth(t, "intake-dlq", 0, 0)
	if got := e.receive(t, url, 10); len(got) != 0 {
		t.Fatalf("the sixth receive handed out the message: %v", got)
	}
	e.depth(t, "intake", 0, 0)
	e.depth(t, "intake-dlq", 1, 0)

	got := e.receive(t, dlqURL, 1)
	if len(got) != 1 {
		t.Fatal("nothing in the dead-letter queue")
	}
	m := got[0]
	if aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || aws.ToString(m.Body) != "poison" {
		t.Errorf("dead letter %s %q, want %s %q", aws.ToString(m.MessageId), aws.ToString(m.Body), aws.ToString(sent.MessageId), "poison")
	}
	if src := m.Attributes["DeadLetterQueueSourceArn"]; src != "arn:aws:sqs:us-east-1:123456789012:intake" {
		t.Errorf("DeadLetterQueueSourceArn %q", src)
	}
	if ts := m.Attributes["SentTimestamp"]; ts != strconv.FormatInt(t0.UnixMilli(), 10) {
		t.Errorf("SentTimestamp %s changed in the move", ts)
	}

	out, err := e.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"RedrivePolicy"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:intake-dlq","maxReceiveCount":5}`; out.Attributes["RedrivePolicy"] != want {
		t.Errorf("RedrivePolicy %s, want %s", out.Attributes["RedrivePolicy"], want)
	}
}

func TestBatchResults(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	url := e.createQueue(t, "q", nil)

	out, err := e.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
		QueueUrl: aws.String(url),
		Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("ok-1"), MessageBody: aws.String("one")},
			{Id: aws.String("bad"), MessageBody: aws.String("nul\x00")},
			{Id: aws.String("ok-2"), MessageBody: aws.String("two"), DelaySeconds: 10},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ok []string
	for _, s := range out.Successful {
		ok = append(ok, aws.ToString(s.Id))
		if aws.ToString(s.MessageId) == "" || len(aws.ToString(s.MD5OfMessageBody)) != 32 {
			t.Errorf("successful entry %s lacks MessageId or MD5: %+v", aws.ToString(s.Id), s)
		}
	}
	slices.Sort(ok)
	if !slices.Equal(ok, []string{"ok-1", "ok-2"}) {
		t.Errorf("Successful %v, want ok-1 ok-2", ok)
	}
	if len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "bad" || aws.ToString(out.Failed[0].Code) != "InvalidMessageContents" || !out.Failed[0].SenderFault {
		t.Errorf("Failed %+v, want bad/InvalidMessageContents/sender", out.Failed)
	}
	got := e.receive(t, url, 10)
	if len(got) != 1 || aws.ToString(got[0].Body) != "one" {
		t.Fatalf("received %v, want only the undelayed message", got)
	}
	e.clk.Advance(10 * time.Second)
	got = append(got, e.receive(t, url, 10)...)
	if len(got) != 2 {
		t.Fatalf("after the delay received %d in total, want 2", len(got))
	}
	stale := got[0].ReceiptHandle
	e.clk.Advance(30 * time.Second)
	fresh := e.receive(t, url, 10)
	if len(fresh) != 2 {
		t.Fatalf("redelivered %d, want 2", len(fresh))
	}

	del, err := e.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
		QueueUrl: aws.String(url),
		Entries: []types.DeleteMessageBatchRequestEntry{
			{Id: aws.String("a"), ReceiptHandle: fresh[0].ReceiptHandle},
			{Id: aws.String("b"), ReceiptHandle: fresh[1].ReceiptHandle},
			{Id: aws.String("stale"), ReceiptHandle: stale},
			{Id: aws.String("garbage"), ReceiptHandle: aws.String("%%%")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, s := range del.Successful {
		deleted = append(deleted, aws.ToString(s.Id))
	}
	slices.Sort(deleted)
	if !slices.Equal(deleted, []string{"a", "b", "stale"}) {
		t.Errorf("Successful %v, want a b stale (a stale handle is a no-op success)", deleted)
	}
	if len(del.Failed) != 1 || aws.ToString(del.Failed[0].Id) != "garbage" || aws.ToString(del.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Errorf("Failed %+v, want garbage/ReceiptHandleIsInvalid", del.Failed)
	}
	e.depth(t, "q", 0, 0)
}

func TestDelayRetentionAndPurge(t *testing.T) {
	ctx := context.Background()
	t.Run("queue delay hides new messages", func(t *testing.T) {
		e := newEnv(t)
		url := e.createQueue(t, "q", map[string]string{"DelaySeconds": "60"})
		e.send(t, url, "m")
		out, err := e.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessagesDelayed"}})
		if err != nil || out.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" {
			t.Fatalf("delayed = %v, %v; want 1", out, err)
		}
		e.clk.Advance(59 * time.Second)
		if got := e.receive(t, url, 1); len(got) != 0 {
			t.Fatal("received a message before its delay")
		}
		e.clk.Advance(time.Second)
		if got := e.receive(t, url, 1); len(got) != 1 {
			t.Fatal("the message did not appear after its delay")
		}
	})
	t.Run("retention drops old messages", func(t *testing.T) {
		e := newEnv(t)
		url := e.createQueue(t, "q", map[string]string{"MessageRetentionPeriod": "60"})
		e.send(t, url, "m")
		e.clk.Advance(60 * time.Second)
		if got := e.receive(t, url, 1); len(got) != 0 {
			t.Fatal("received a message past its retention period")
		}
		e.depth(t, "q", 0, 0)
	})
	t.Run("purge empties visible, in-flight and delayed messages", func(t *testing.T) {
		e := newEnv(t)
		url := e.createQueue(t, "q", nil)
		for i := range 3 {
			e.send(t, url, strconv.Itoa(i))
		}
		if _, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("later"), DelaySeconds: 5}); err != nil {
			t.Fatal(err)
		}
		held := e.receive(t, url, 1)
		e.depth(t, "q", 2, 1)
		if _, err := e.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Fatal(err)
		}
		e.depth(t, "q", 0, 0)
		e.clk.Advance(60 * time.Second)
		if got := e.receive(t, url, 10); len(got) != 0 {
			t.Errorf("messages survived the purge: %v", got)
		}
		if _, err := e.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: held[0].ReceiptHandle}); err != nil {
			t.Errorf("deleting a purged message: %v", err)
		}
		if _, err := e.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Errorf("a purge 60 s after the last one: %v", err)
		}
	})
}
