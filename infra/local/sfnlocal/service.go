package sfnlocal

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aftersales/aftersales/infra/local/vclock"
)

// Handler is an in-process Lambda function: it receives the invocation
// payload and returns the function's result. A returned error fails the task
// with the error name Lambda would report (see ErrorTyper and TaskError); a
// panic fails it with Lambda.Unknown. ctx is cancelled when the task times
// out, is stopped, or the service closes.
type Handler func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error)

// Clock is the time source the interpreter schedules on. *vclock.Clock
// implements it; a clock that also has OnSettle (as *vclock.Clock does) lets
// Advance wait for the interpreter to finish the work each fired timer
// started.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type settler interface {
	OnSettle(f func()) (remove func())
}

// Options configures a Service. The zero value works: real time, 8 step
// workers, 64 handler workers, no logging, us-east-1 and account
// 123456789012.
type Options struct {
	// Clock drives Wait states, retry intervals and timeouts. Default:
	// vclock.Real().
	Clock Clock
	// Workers bounds the goroutines running interpreter steps. Default 8.
	Workers int
	// HandlerWorkers bounds concurrent task handler calls, which run apart
	// from interpreter steps so that blocked handlers cannot stall timeouts
	// and other executions. Default 64.
	HandlerWorkers int
	// Logger receives execution lifecycle and handler problems. Default:
	// discard.
	Logger *slog.Logger
	// Rand feeds retry jitter (JitterStrategy FULL); seed it for
	// deterministic delays. Default: randomly seeded.
	Rand *rand.Rand
	// Region is the region in the ARNs the service hands out. Default
	// us-east-1.
	Region string
	// AccountID is the account in those ARNs. Default 123456789012.
	AccountID string
	// Endpoints maps the service of a supported service integration
	// ("sqs", "dynamodb", "events") to the URL of a local stand-in that
	// speaks its AWS JSON protocol (see SetEndpoint).
	Endpoints map[string]string
	// SettleGrace is how long (real time) the clock's settle hook waits for
	// a task handler that is still running before it assumes the handler is
	// blocked until its timeout fires. Default 2s.
	SettleGrace time.Duration
	// Throttle, when set, is asked before every JSON API call (the
	// operation's name, e.g. "StartExecution"); false answers the call
	// with ThrottlingException ("Rate exceeded", status 400), as the
	// service does when an action's token bucket is empty. The local
	// stack's --cloud-quotas mode sets it (infra/local/quota).
	Throttle func(op string) bool
}

// Service is the local Step Functions: state machines, executions, task
// tokens and the function registry. Use Handler for the JSON API and the
// methods for in-process access. It is safe for concurrent use.
type Service struct {
	clock       Clock
	log         *slog.Logger
	region      string
	account     string
	settleGrace time.Duration
	pool        *pool
	unsettle    func()
	baseCtx     context.Context
	cancelBase  context.CancelFunc
	endpoints   map[string]string // guarded by mu
	httpClient  *http.Client
	throttle    func(op string) bool

	randMu sync.Mutex
	rnd    *rand.Rand

	mu         sync.RWMutex
	machines   map[string]*machineRecord
	executions map[string]*execution
	functions  map[string]Handler
	closed     bool

	tokMu  sync.Mutex
	tokens map[string]*taskAttempt

	started      atomic.Int64
	transitions  atomic.Int64
	statusCounts sync.Map // status -> *atomic.Int64
}

type machineRecord struct {
	arn        string
	name       string
	created    time.Time
	ver        *machineVersion // replaced by UpdateStateMachine; guarded by Service.mu
	executions []*execution
}

// machineVersion is a state machine's definition as of a create or an
// update. An execution keeps the version it started with, as the service
// lets running executions finish on the definition they started on.
type machineVersion struct {
	definition string
	roleARN    string
	compiled   *machine
	updated    time.Time
}

// StateMachine describes a created state machine.
type StateMachine struct {
	// ARN identifies the machine in every other call.
	ARN string
	// Name is the name it was created with.
	Name string
	// Definition is the ASL document after substitutions.
	Definition string
	// RoleARN is recorded but never checked (there is no IAM locally).
	RoleARN string
	// CreationDate is the clock time of creation.
	CreationDate time.Time
	// UpdateDate is the clock time of the last UpdateStateMachine, or of
	// creation.
	UpdateDate time.Time
}

// Execution describes an execution as DescribeExecution does, plus the
// billing counter.
type Execution struct {
	// ARN identifies the execution.
	ARN string
	// StateMachineARN is the machine it runs.
	StateMachineARN string
	// Name is the execution name, unique per state machine.
	Name string
	// Status is RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
	Status string
	// StartDate is the clock time StartExecution was called.
	StartDate time.Time
	// StopDate is zero while the execution runs.
	StopDate time.Time
	// Input is the execution input as JSON.
	Input string
	// Output is set when the execution succeeded.
	Output string
	// Error is the error name of a failed, timed out or aborted execution.
	Error string
	// Cause is the human-readable reason that goes with Error.
	Cause string
	// BilledTransitions counts state transitions the way Step Functions
	// Standard bills them (see the package documentation).
	BilledTransitions int64
	// RedriveCount counts RedriveExecution calls; RedriveDate is the
	// last one.
	RedriveCount int64
	RedriveDate  time.Time
	// Redrivable reports whether RedriveExecution would resume it.
	Redrivable bool
}

// Metrics summarises the service's activity since New.
type Metrics struct {
	// StateMachines is the number of machines that exist now.
	StateMachines int
	// ExecutionsStarted counts StartExecution calls that created an
	// execution.
	ExecutionsStarted int64
	// Running, Succeeded, Failed, TimedOut and Aborted count executions by
	// current status.
	Running   int64
	Succeeded int64
	Failed    int64
	TimedOut  int64
	Aborted   int64
	// BilledTransitions is the sum over all executions.
	BilledTransitions int64
}

// New builds a service. Call Close when done so that its timers are
// released.
func New(opts Options) *Service {
	if opts.Clock == nil {
		opts.Clock = vclock.Real()
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.HandlerWorkers <= 0 {
		opts.HandlerWorkers = 64
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Rand == nil {
		var seed [16]byte
		_, _ = cryptorand.Read(seed[:])
		opts.Rand = rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.SettleGrace <= 0 {
		opts.SettleGrace = 2 * time.Second
	}
	s := &Service{
		endpoints:   map[string]string{},
		httpClient:  &http.Client{Timeout: 60 * time.Second},
		clock:       opts.Clock,
		log:         opts.Logger,
		region:      opts.Region,
		account:     opts.AccountID,
		settleGrace: opts.SettleGrace,
		throttle:    opts.Throttle,
		pool:        newPool(opts.Workers, opts.HandlerWorkers),
		rnd:         opts.Rand,
		machines:    map[string]*machineRecord{},
		executions:  map[string]*execution{},
		functions:   map[string]Handler{},
		tokens:      map[string]*taskAttempt{},
	}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	if st, ok := opts.Clock.(settler); ok {
		s.unsettle = st.OnSettle(func() { _ = s.pool.settle(context.Background(), s.settleGrace) })
	}
	for svc, url := range opts.Endpoints {
		s.endpoints[svc] = strings.TrimSuffix(url, "/")
	}
	return s
}

// Close stops every pending timer, cancels running handlers and refuses new
// work. Executions still running stay RUNNING forever.
func (s *Service) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	execs := make([]*execution, 0, len(s.executions))
	for _, e := range s.executions {
		execs = append(execs, e)
	}
	s.mu.Unlock()
	if s.unsettle != nil {
		s.unsettle()
	}
	s.pool.close()
	s.cancelBase()
	for _, e := range execs {
		e.mu.Lock()
		if e.status == StatusRunning {
			e.root.cancel(false)
			if e.timeoutStop != nil {
				e.timeoutStop()
			}
		}
		e.mu.Unlock()
	}
}

// WaitIdle returns when no execution has runnable work: every execution is
// finished or waiting on a timer or a task token. A task handler that is
// still running after Options.SettleGrace is taken to be blocked until its
// timeout fires and is not waited for. With a virtual clock this is the
// point at which a test can inspect results deterministically.
func (s *Service) WaitIdle(ctx context.Context) error { return s.pool.settle(ctx, s.settleGrace) }

// RegisterFunction makes h the implementation of a Lambda function, by
// function ARN (with or without a qualifier) or by plain function name.
// Tasks resolve a FunctionName or Resource by exact match first, then by the
// function name inside the ARN, so registering by name covers every
// region, account and alias.
func (s *Service) RegisterFunction(arnOrName string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.functions[arnOrName] = h
}

func (s *Service) lookupFunction(ref string) (Handler, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if h, ok := s.functions[ref]; ok {
		return h, true
	}
	name, qualified := functionName(ref)
	if h, ok := s.functions[qualified]; ok {
		return h, true
	}
	if h, ok := s.functions[name]; ok {
		return h, true
	}
	return nil, false
}

// functionName extracts the function name from an ARN, a partial ARN
// ("123456789012:function:name") or a name, returning also the unqualified
// ARN.
func functionName(ref string) (name, unqualified string) {
	parts := strings.Split(ref, ":")
	for i, p := range parts {
		if p == "function" && i+1 < len(parts) {
			return parts[i+1], strings.Join(parts[:i+2], ":")
		}
	}
	if i := strings.IndexByte(ref, ':'); i > 0 {
		return ref[:i], ref[:i]
	}
	return ref, ref
}

// Execution status values.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// API error codes, as the service's JSON protocol names them (the SDK maps
// each to its typed error).
const (
	CodeExecutionAlreadyExists   = "ExecutionAlreadyExists"
	CodeExecutionDoesNotExist    = "ExecutionDoesNotExist"
	CodeStateMachineDoesNotExist = "StateMachineDoesNotExist"
	CodeStateMachineExists       = "StateMachineAlreadyExists"
	CodeInvalidDefinition        = "InvalidDefinition"
	CodeInvalidName              = "InvalidName"
	CodeInvalidArn               = "InvalidArn"
	CodeInvalidExecutionInput    = "InvalidExecutionInput"
	CodeInvalidToken             = "InvalidToken"
	CodeInvalidOutput            = "InvalidOutput"
	CodeTaskDoesNotExist         = "TaskDoesNotExist"
	CodeTaskTimedOut             = "TaskTimedOut"
	CodeValidation               = "ValidationException"
	CodeUnknownOperation         = "UnknownOperationException"
	CodeMissingUpdate            = "MissingRequiredParameter"
	CodeExecutionNotRedrivable   = "ExecutionNotRedrivable"
	// CodeThrottling is the answer of a call over its action's quota
	// (Options.Throttle); the SDKs retry it with back-off as a throttle.
	CodeThrottling = "ThrottlingException"
)

// APIError is an error of the Step Functions API, such as
// ExecutionAlreadyExists.
type APIError struct {
	// Code is the service's error code, one of the Code* constants.
	Code string
	// Message is the human-readable explanation.
	Message string
}

// Error renders code and message.
func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErr(code, format string, a ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, a...)}
}

var namePattern = regexp.MustCompile(`^[^\s<>{}\[\]?*"#%\\^|~` + "`" + `$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$`)

// Substitute replaces ${Name} placeholders the way CDK's
// DefinitionSubstitutions does. A placeholder without a value is an error,
// since it would otherwise surface later as a confusing runtime failure.
func Substitute(definition string, subs map[string]string) (string, error) {
	re := regexp.MustCompile(`\$\{([A-Za-z0-9_.:-]+)\}`)
	var missing []string
	out := re.ReplaceAllStringFunc(definition, func(m string) string {
		key := m[2 : len(m)-1]
		if v, ok := subs[key]; ok {
			return v
		}
		missing = append(missing, key)
		return m
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", fmt.Errorf("no substitution for %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// Validate checks a definition the way CreateStateMachine does and returns
// a *DefinitionError naming the offending state and field.
func Validate(definition []byte) error {
	_, err := parseDefinition(definition)
	return err
}

// CreateStateMachine creates a state machine from an ASL definition after
// applying substitutions. Creating the same name with the same definition
// again returns the existing machine, as the service does.
func (s *Service) CreateStateMachine(name, definition string, substitutions map[string]string) (*StateMachine, error) {
	if len(substitutions) > 0 || strings.Contains(definition, "${") {
		d, err := Substitute(definition, substitutions)
		if err != nil {
			return nil, apiErr(CodeInvalidDefinition, "%v", err)
		}
		definition = d
	}
	return s.createStateMachine(name, definition, fmt.Sprintf("arn:aws:iam::%s:role/sfnlocal", s.account))
}

// CreateStateMachineFromFile reads a definition file (for example
// statemachines/case.asl.json) and creates it like CreateStateMachine.
func (s *Service) CreateStateMachineFromFile(name, file string, substitutions map[string]string) (*StateMachine, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return s.CreateStateMachine(name, string(b), substitutions)
}

func (s *Service) createStateMachine(name, definition, role string) (*StateMachine, error) {
	if !namePattern.MatchString(name) {
		return nil, apiErr(CodeInvalidName, "Invalid Name: '%s'", name)
	}
	compiled, err := parseDefinition([]byte(definition))
	if err != nil {
		return nil, apiErr(CodeInvalidDefinition, "Invalid State Machine Definition: '%v'", err)
	}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.region, s.account, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, apiErr(CodeValidation, "the service is closed")
	}
	if m, ok := s.machines[arn]; ok {
		if m.ver.definition == definition && m.ver.roleARN == role {
			return m.describe(), nil
		}
		return nil, apiErr(CodeStateMachineExists, "State Machine Already Exists: '%s'", arn)
	}
	now := s.clock.Now()
	m := &machineRecord{arn: arn, name: name, created: now, ver: &machineVersion{definition: definition, roleARN: role, compiled: compiled, updated: now}}
	s.machines[arn] = m
	s.log.Info("state machine created", "arn", arn)
	return m.describe(), nil
}

func (m *machineRecord) describe() *StateMachine {
	return m.ver.describe(m)
}

func (v *machineVersion) describe(m *machineRecord) *StateMachine {
	return &StateMachine{ARN: m.arn, Name: m.name, Definition: v.definition, RoleARN: v.roleARN, CreationDate: m.created, UpdateDate: v.updated}
}

// UpdateStateMachine replaces a state machine's definition and, when
// roleARN is not empty, its role. The definition is validated as by
// CreateStateMachine. Executions already running finish on the definition
// they started with; DescribeStateMachineForExecution reports it.
func (s *Service) UpdateStateMachine(arn, definition, roleARN string) (*StateMachine, error) {
	if definition == "" && roleARN == "" {
		return nil, apiErr(CodeMissingUpdate, "Missing Required Parameter: at least one of definition and roleArn")
	}
	var compiled *machine
	if definition != "" {
		c, err := parseDefinition([]byte(definition))
		if err != nil {
			return nil, apiErr(CodeInvalidDefinition, "Invalid State Machine Definition: '%v'", err)
		}
		compiled = c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.machines[arn]
	if !ok {
		return nil, apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	v := *m.ver
	if compiled != nil {
		v.definition, v.compiled = definition, compiled
	}
	if roleARN != "" {
		v.roleARN = roleARN
	}
	v.updated = s.clock.Now()
	m.ver = &v
	s.log.Info("state machine updated", "arn", arn)
	return m.describe(), nil
}

// DescribeStateMachineForExecution returns the state machine as the
// execution runs it: the definition and role it started with.
func (s *Service) DescribeStateMachineForExecution(executionARN string) (*StateMachine, error) {
	e, err := s.execution(executionARN)
	if err != nil {
		return nil, err
	}
	return e.ver.describe(e.machine), nil
}

// DescribeStateMachine returns a state machine by ARN.
func (s *Service) DescribeStateMachine(arn string) (*StateMachine, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.machines[arn]
	if !ok {
		return nil, apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	return m.describe(), nil
}

// ListStateMachines returns every state machine, sorted by name.
func (s *Service) ListStateMachines() []StateMachine {
	s.mu.RLock()
	out := make([]StateMachine, 0, len(s.machines))
	for _, m := range s.machines {
		out = append(out, *m.describe())
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DeleteStateMachine removes a state machine; its executions are stopped.
func (s *Service) DeleteStateMachine(arn string) error {
	s.mu.Lock()
	m, ok := s.machines[arn]
	if ok {
		delete(s.machines, arn)
	}
	s.mu.Unlock()
	if !ok {
		return nil // the service treats deleting a missing machine as done
	}
	for _, e := range m.executions {
		_, _ = s.StopExecution(e.arn, "States.Aborted", "state machine deleted")
	}
	return nil
}

// StartExecution starts an execution. As for Standard workflows, starting
// the same name with the same input while that execution runs returns it
// again; any other reuse of a name is ExecutionAlreadyExists. An empty name
// gets a random UUID and an empty input means "{}".
func (s *Service) StartExecution(stateMachineARN, name, input string) (*Execution, error) {
	if name == "" {
		name = newUUID()
	}
	if !namePattern.MatchString(name) {
		return nil, apiErr(CodeInvalidName, "Invalid Name: '%s'", name)
	}
	if input == "" {
		input = "{}"
	}
	in, err := decodeJSON([]byte(input))
	if err != nil {
		return nil, apiErr(CodeInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, apiErr(CodeValidation, "the service is closed")
	}
	m, ok := s.machines[stateMachineARN]
	if !ok {
		s.mu.Unlock()
		return nil, apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", stateMachineARN)
	}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", s.region, s.account, m.name, name)
	if prev, ok := s.executions[arn]; ok {
		s.mu.Unlock()
		prev.mu.Lock()
		defer prev.mu.Unlock()
		if prev.status == StatusRunning && jsonEqual(prev.input, in) {
			return prev.describeLocked(), nil
		}
		return nil, apiErr(CodeExecutionAlreadyExists, "Execution Already Exists: '%s'", arn)
	}
	e := &execution{
		svc:       s,
		machine:   m,
		ver:       m.ver,
		arn:       arn,
		name:      name,
		input:     in,
		inputJSON: encodeJSON(in),
		start:     s.clock.Now(),
		status:    StatusRunning,
	}
	s.executions[arn] = e
	m.executions = append(m.executions, e)
	e.mu.Lock()
	s.mu.Unlock()
	defer e.mu.Unlock()
	s.started.Add(1)
	s.statusCounter(StatusRunning).Add(1)
	e.begin()
	return e.describeLocked(), nil
}

func (s *Service) statusCounter(status string) *atomic.Int64 {
	if c, ok := s.statusCounts.Load(status); ok {
		return c.(*atomic.Int64)
	}
	c, _ := s.statusCounts.LoadOrStore(status, new(atomic.Int64))
	return c.(*atomic.Int64)
}

func (s *Service) execution(arn string) (*execution, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.executions[arn]
	if !ok {
		if !strings.HasPrefix(arn, "arn:") {
			return nil, apiErr(CodeInvalidArn, "Invalid Arn: '%s'", arn)
		}
		return nil, apiErr(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	return e, nil
}

// DescribeExecution returns an execution's status, input and result.
func (s *Service) DescribeExecution(arn string) (*Execution, error) {
	e, err := s.execution(arn)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.describeLocked(), nil
}

// ListExecutions returns a state machine's executions, newest first,
// optionally only those with the given status.
func (s *Service) ListExecutions(stateMachineARN, status string) ([]Execution, error) {
	s.mu.RLock()
	m, ok := s.machines[stateMachineARN]
	var execs []*execution
	if ok {
		execs = append(execs, m.executions...)
	}
	s.mu.RUnlock()
	if !ok {
		return nil, apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", stateMachineARN)
	}
	out := make([]Execution, 0, len(execs))
	for i := len(execs) - 1; i >= 0; i-- {
		e := execs[i]
		e.mu.Lock()
		d := e.describeLocked()
		e.mu.Unlock()
		if status == "" || d.Status == status {
			out = append(out, *d)
		}
	}
	return out, nil
}

// StopExecution aborts a running execution with an optional error and
// cause. Stopping an execution that already ended changes nothing.
func (s *Service) StopExecution(arn, errName, cause string) (*Execution, error) {
	e, err := s.execution(arn)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.status == StatusRunning {
		e.finish(StatusAborted, "ExecutionAborted", nil, errName, cause)
	}
	return e.describeLocked(), nil
}

// RedriveExecution resumes a FAILED, ABORTED or TIMED_OUT execution from
// the top-level state where it stopped, as the service's redrive does.
func (s *Service) RedriveExecution(arn string) (*Execution, error) {
	e, err := s.execution(arn)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.redrive(); err != nil {
		return nil, err
	}
	return e.describeLocked(), nil
}

// History returns an execution's events in order.
func (s *Service) History(arn string) ([]HistoryEvent, error) {
	e, err := s.execution(arn)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]HistoryEvent(nil), e.events...), nil
}

// Metrics returns counters over all executions.
func (s *Service) Metrics() Metrics {
	s.mu.RLock()
	n := len(s.machines)
	s.mu.RUnlock()
	return Metrics{
		StateMachines:     n,
		ExecutionsStarted: s.started.Load(),
		Running:           s.statusCounter(StatusRunning).Load(),
		Succeeded:         s.statusCounter(StatusSucceeded).Load(),
		Failed:            s.statusCounter(StatusFailed).Load(),
		TimedOut:          s.statusCounter(StatusTimedOut).Load(),
		Aborted:           s.statusCounter(StatusAborted).Load(),
		BilledTransitions: s.transitions.Load(),
	}
}

func (s *Service) jitter() float64 {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	return s.rnd.Float64()
}
