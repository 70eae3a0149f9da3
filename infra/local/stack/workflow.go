package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	lambdamsg "github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/aftersales/aftersales/infra/local/esm"
	"github.com/aftersales/aftersales/infra/local/sfnlocal"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/messages"
	"github.com/aftersales/aftersales/shared/sfntask"
	"github.com/aftersales/aftersales/shared/sqsbus"
	"github.com/aftersales/aftersales/shared/wire"
	"github.com/aftersales/aftersales/statemachines"
)

// Names of the local workflow resources (in the cloud, CDK generates the
// queue names and names the state machine aftersales-<stage>-case).
const (
	IntakeQueue      = "aftersales-intake"
	IntakeDLQ        = "aftersales-intake-dlq"
	ReviewQueue      = "aftersales-reviews"
	ReviewDLQ        = "aftersales-reviews-dlq"
	InboundQueue     = "aftersales-inbound"
	InboundDLQ       = "aftersales-inbound-dlq"
	EvidenceQueue    = "aftersales-evidence"
	EvidenceDLQ      = "aftersales-evidence-dlq"
	CaseStateMachine = "aftersales-case"
	TasksFunction    = "aftersales-tasks"
	// SweepEvery is the sweeper's schedule.
	SweepEvery = 5 * time.Minute
	// maxReceives is the redrive policy of every queue: after 5 receives a
	// message goes to the dead-letter queue.
	maxReceives = 5
)

// visibilityOf is a queue's visibility timeout in seconds: the cloud's (six
// times its consumer's timeout, infra/queues.go) for the intake queue,
// whose StartExecution calls may wait out a throttle in the SDK's back-off
// for up to 45 s; 30 s for the others.
func visibilityOf(queue string) string {
	if queue == IntakeQueue {
		return "360"
	}
	return "30"
}

// createQueue creates a queue with its dead-letter queue and returns its URL.
func createQueue(ctx context.Context, client *sqs.Client, name, dlq string) (string, error) {
	d, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(dlq)})
	if err != nil {
		return "", err
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: d.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", err
	}
	redrive, _ := json.Marshal(map[string]string{
		"deadLetterTargetArn": attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
		"maxReceiveCount":     fmt.Sprint(maxReceives),
	})
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		string(sqstypes.QueueAttributeNameRedrivePolicy):     string(redrive),
		string(sqstypes.QueueAttributeNameVisibilityTimeout): visibilityOf(name),
	}})
	if err != nil {
		return "", err
	}
	return *q.QueueUrl, nil
}

// startWorkflow creates the queues and the state machine, registers the
// tasks function and starts the intake poller and the sweeper schedule.
func (s *Stack) startWorkflow(ctx context.Context) error {
	ac := awsenv.Local(s.Config.Region)
	ac.APIOptions = s.decor.apiOptions
	sqsClient := awsenv.SQS(ac, s.sqsURL)
	url, err := createQueue(ctx, sqsClient, IntakeQueue, IntakeDLQ)
	if err != nil {
		return fmt.Errorf("create intake queue: %w", err)
	}
	def, err := statemachines.Files.ReadFile(statemachines.Case)
	if err != nil {
		return err
	}
	tasksARN := fmt.Sprintf("arn:aws:lambda:%s:123456789012:function:%s", s.Config.Region, TasksFunction)
	sm, err := s.SFN.CreateStateMachine(CaseStateMachine, string(def), map[string]string{statemachines.TasksFunctionArn: tasksARN})
	if err != nil {
		return fmt.Errorf("state machine %s: %w", statemachines.Case, err)
	}
	reviewURL, err := createQueue(ctx, sqsClient, ReviewQueue, ReviewDLQ)
	if err != nil {
		return fmt.Errorf("create review queue: %w", err)
	}
	inboundURL, err := createQueue(ctx, sqsClient, InboundQueue, InboundDLQ)
	if err != nil {
		return fmt.Errorf("create inbound queue: %w", err)
	}
	s.Config.StateMachineARN, s.Config.IntakeQueueURL, s.Config.ReviewQueueURL = sm.ARN, url, reviewURL
	s.Config.InboundQueueURL = inboundURL
	// Before any function is built: each announces case changes there.
	if err := s.startNotifications(ctx, sqsClient); err != nil {
		return err
	}
	s.announcer = sqsbus.Announcer{Queue: sqsbus.New(sqsClient, s.Config.NotificationsQueueURL)}
	s.intake = &switchableIntake{next: sqsbus.New(sqsClient, url)}
	s.decor.intake = s.intake

	tasks, err := wire.Tasks(ctx, s.Config, s.deps)
	if err != nil {
		return err
	}
	s.fns.tasks = tasks
	s.SFN.RegisterFunction(tasksARN, s.lambdaTask(tasks))
	intake, err := wire.Intake(ctx, s.Config, s.deps)
	if err != nil {
		return err
	}
	s.fns.intake = intake.Handle
	if err := s.consume(ctx, sqsClient, url, FunctionIntake, intake.Handle, 5); err != nil {
		return err
	}

	reviews, err := wire.Reviews(ctx, s.Config, s.deps)
	if err != nil {
		return err
	}
	// Batch decisions call SendTaskSuccess (refill 500/s in AWS): the
	// mapping's maximum concurrency is what paces them.
	s.fns.reviews = reviews.Handle
	if err := s.consume(ctx, sqsClient, reviewURL, FunctionReviews, reviews.Handle, 20); err != nil {
		return err
	}

	inbound, err := wire.Inbound(ctx, s.Config, s.deps)
	if err != nil {
		return err
	}
	s.fns.inbound = inbound.Handle
	if err := s.consume(ctx, sqsClient, inboundURL, FunctionInbound, inbound.Handle, 5); err != nil {
		return err
	}
	s.inbound.Store(s.mappings[len(s.mappings)-1])

	if err := s.startEvidence(ctx, sqsClient); err != nil {
		return err
	}

	sweep, err := wire.Sweeper(ctx, s.Config, s.deps)
	if err != nil {
		return err
	}
	s.fns.sweeper = sweep
	s.scheduleSweep(sweep)
	return nil
}

// consume starts an event source mapping that feeds the queue's batches to
// handler, as Lambda's SQS poller does (batches of 10, partial batch
// failures), with at most concurrency batches at once.
func (s *Stack) consume(ctx context.Context, client *sqs.Client, url, function string, handler esm.Handler, concurrency int) error {
	observed := func(ctx context.Context, ev events.SQSEvent) (res events.SQSEventResponse, err error) {
		if terr := s.invoke(ctx, function, func(ctx context.Context) { res, err = handler(ctx, ev) }); terr != nil {
			return res, terr // the batch comes back after its visibility timeout
		}
		return res, err
	}
	m, err := esm.Start(context.WithoutCancel(ctx), client, url, observed, esm.Options{BatchSize: 10, MaximumConcurrency: concurrency, Logger: s.log})
	if err != nil {
		return err
	}
	s.mappings = append(s.mappings, m)
	s.closers = append(s.closers, func(ctx context.Context) error {
		// Past the grace, batches in flight are cancelled: their messages
		// stay on the queue, as a timed-out function's would.
		if err := m.Shutdown(ctx); err != nil {
			s.log.Warn("stop the "+function+" consumer: batches in flight were cancelled", "err", err.Error())
		}
		return nil
	})
	return nil
}

// scheduleSweep runs the sweeper every SweepEvery on the stack's clock, as
// the EventBridge schedule does in the cloud. Like that schedule it does not
// catch up on missed runs: a POST /dev/clock of three months runs it once,
// at the end, and that one run still finds every case it is for (the
// sweeper queries by age, not by the runs it missed).
func (s *Stack) scheduleSweep(sweep func(context.Context) (int, error)) {
	stop := s.Clock.Every(SweepEvery, func() {
		if s.stopped.Load() {
			return
		}
		s.observe(s.ctx, FunctionSweeper, func(ctx context.Context) {
			if _, err := sweep(ctx); err != nil {
				s.log.Error("sweep", "err", err.Error())
			}
		})
	})
	s.closers = append(s.closers, func(context.Context) error {
		s.stopped.Store(true)
		stop()
		return nil
	})
}

// lambdaTask calls the tasks function as Lambda would: the payload decoded
// into its input type, an InvokeResponse_Error reported under its Type.
func (s *Stack) lambdaTask(h *sfntask.Handler) sfnlocal.Handler {
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var in messages.Task
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, &sfnlocal.TaskError{Name: "Runtime.UnmarshalError", Cause: err.Error()}
		}
		var out *messages.StepResult
		var err error
		if terr := s.invoke(ctx, FunctionTasks, func(ctx context.Context) { out, err = h.Handle(ctx, in) }); terr != nil {
			// The workflow's Retry on Lambda.TooManyRequestsException takes it.
			return nil, &sfnlocal.TaskError{Name: "Lambda.TooManyRequestsException", Cause: terr.Error()}
		}
		var ie lambdamsg.InvokeResponse_Error
		if errors.As(err, &ie) {
			return nil, &sfnlocal.TaskError{Name: ie.Type, Cause: ie.Message}
		}
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// functions are the handlers of the stack's functions, kept for benchmarks
// that invoke one function directly (functions_bench_test.go).
type functions struct {
	tasks                    *sfntask.Handler
	intake, reviews, inbound esm.Handler
	notifier                 esm.Handler
	sweeper                  func(context.Context) (int, error)
}

// switchableIntake can be made to fail, to lose intake messages on purpose.
type switchableIntake struct {
	next aftersales.Intake
	fail atomic.Bool
}

func (i *switchableIntake) EnqueueCase(ctx context.Context, caseID string) error {
	if i.fail.Load() {
		return aftersales.E(aftersales.KindTransient, "intake", "the intake queue is down (simulated)")
	}
	return i.next.EnqueueCase(ctx, caseID)
}

func (i *switchableIntake) ReopenCase(ctx context.Context, caseID, run string) error {
	if i.fail.Load() {
		return aftersales.E(aftersales.KindTransient, "intake", "the intake queue is down (simulated)")
	}
	return i.next.ReopenCase(ctx, caseID, run)
}

// FailIntake makes sending to the intake queue fail (on) or work (off), to
// show that the sweeper recovers cases whose message was lost.
func (s *Stack) FailIntake(on bool) { s.intake.fail.Store(on) }

// WaitIdle returns once the queues are drained, no workflow has work to do,
// the payment sandboxes have delivered what fell due and the outbox is on
// the bus: what tests and
// the benchmark wait for instead of sleeping. It moves no time forward: a
// zero advance only fires timers already due (a sandbox answering at once).
func (s *Stack) WaitIdle(ctx context.Context) error { return s.waitIdle(ctx, nil) }

// waitIdle is WaitIdle for every queue consumer but skip.
func (s *Stack) waitIdle(ctx context.Context, skip *esm.Mapping) error {
	for range 4 {
		s.Clock.Advance(0)
		s.WeChatPay.Quiesce()
		for _, m := range s.mappings {
			if m == skip {
				continue
			}
			if err := m.WaitIdle(ctx); err != nil {
				return err
			}
		}
		if err := s.SFN.WaitIdle(ctx); err != nil {
			return err
		}
	}
	return s.FlushOutbox(ctx)
}

// Execution describes the workflow execution of a case.
func (s *Stack) Execution(caseID string) (*sfnlocal.Execution, error) {
	return s.ExecutionNamed(caseID)
}

// ExecutionNamed describes the workflow execution named name: a case id,
// or "<case id>-dispute" for a reopened case's dispute run.
func (s *Stack) ExecutionNamed(name string) (*sfnlocal.Execution, error) {
	// arn:...:stateMachine:<machine> -> arn:...:execution:<machine>:<name>.
	arn := strings.Replace(s.Config.StateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + name
	return s.SFN.DescribeExecution(arn)
}

// evidenceSender puts S3 notifications on the evidence queue.
type evidenceSender struct {
	client *sqs.Client
	url    string
}

// startEvidence creates the evidence queue, which the local S3's bucket
// notification feeds, and its consumer, the evidence function (issue 16).
func (s *Stack) startEvidence(ctx context.Context, client *sqs.Client) error {
	url, err := createQueue(ctx, client, EvidenceQueue, EvidenceDLQ)
	if err != nil {
		return fmt.Errorf("create evidence queue: %w", err)
	}
	s.evidenceQueue.Store(&evidenceSender{client: client, url: url})
	h, err := wire.Evidence(ctx, s.Config, s.deps)
	if err != nil {
		return err
	}
	return s.consume(ctx, client, url, FunctionEvidence, h.Handle, 5)
}

// sendEvidenceNotice is the local S3's notification destination: the
// evidence queue, as the bucket's notification configuration in the cloud.
func (s *Stack) sendEvidenceNotice(ctx context.Context, body []byte) error {
	q := s.evidenceQueue.Load()
	if q == nil {
		return errors.New("the evidence queue does not exist yet")
	}
	_, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.url), MessageBody: aws.String(string(body))})
	if err != nil {
		s.log.Error("evidence notification lost", "err", err.Error())
	}
	return err
}
