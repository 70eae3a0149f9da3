package sqslocal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxRequestBytes bounds a request body. A batch carries at most 1 MiB of
// messages, but JSON escaping and base64 can inflate that several times.
const maxRequestBytes = 16 << 20

// call carries what an operation needs from its HTTP request.
type call struct {
	ctx    context.Context
	host   string
	sender string
}

type opFunc func(s *Server, c *call, body []byte) (any, error)

// op adapts an operation taking its decoded input to an opFunc.
func op[T any](f func(s *Server, c *call, in *T) (any, error)) opFunc {
	return func(s *Server, c *call, body []byte) (any, error) {
		in := new(T)
		if len(body) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, fail(errSerialization, "The request body is not valid JSON for this action: %v", err)
			}
		}
		return f(s, c, in)
	}
}

var ops = map[string]opFunc{
	"CreateQueue":                  op((*Server).opCreateQueue),
	"GetQueueUrl":                  op((*Server).opGetQueueURL),
	"GetQueueAttributes":           op((*Server).opGetQueueAttributes),
	"SetQueueAttributes":           op((*Server).opSetQueueAttributes),
	"DeleteQueue":                  op((*Server).opDeleteQueue),
	"ListQueues":                   op((*Server).opListQueues),
	"PurgeQueue":                   op((*Server).opPurgeQueue),
	"SendMessage":                  op((*Server).opSendMessage),
	"SendMessageBatch":             op((*Server).opSendMessageBatch),
	"ReceiveMessage":               op((*Server).opReceiveMessage),
	"DeleteMessage":                op((*Server).opDeleteMessage),
	"DeleteMessageBatch":           op((*Server).opDeleteMessageBatch),
	"ChangeMessageVisibility":      op((*Server).opChangeMessageVisibility),
	"ChangeMessageVisibilityBatch": op((*Server).opChangeMessageVisibilityBatch),
}

// unsupportedOps are SQS actions sqslocal knows but does not model; they
// answer UnsupportedOperation rather than InvalidAction so the cause is clear.
var unsupportedOps = map[string]bool{
	"AddPermission": true, "RemovePermission": true, "TagQueue": true, "UntagQueue": true,
	"ListQueueTags": true, "ListDeadLetterSourceQueues": true, "StartMessageMoveTask": true,
	"CancelMessageMoveTask": true, "ListMessageMoveTasks": true,
}

// Handler returns the HTTP handler speaking the AWS JSON 1.0 protocol of
// SQS: POST with X-Amz-Target "AmazonSQS.<Action>" and a JSON body. Any
// SigV4 signature is accepted; the access key id becomes the messages'
// SenderId.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", newMessageID())
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if r.Method != http.MethodPost || !ok {
		writeError(w, fail(errInvalidAction, "sqslocal speaks the AWS JSON 1.0 protocol only: POST with X-Amz-Target: AmazonSQS.<Action>"))
		return
	}
	h := ops[action]
	if h == nil {
		if unsupportedOps[action] {
			writeError(w, fail(errUnsupportedOperation, "sqslocal does not implement %s.", action))
		} else {
			writeError(w, fail(errInvalidAction, "The action %s is not valid for this endpoint.", action))
		}
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		writeError(w, fail(errSerialization, "reading the request: %v", err))
		return
	}
	if len(body) > maxRequestBytes {
		writeError(w, fail(errBatchRequestTooLong, "The request is longer than %d bytes.", maxRequestBytes))
		return
	}
	out, err := h(s, &call{ctx: r.Context(), host: r.Host, sender: senderID(r)}, body)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{Code: "InternalError", QueryCode: "InternalError", Status: http.StatusInternalServerError, Server: true, Message: err.Error()}
		}
		writeError(w, ae)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeError(w, &apiError{Code: "InternalError", QueryCode: "InternalError", Status: http.StatusInternalServerError, Server: true, Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = w.Write(b)
}

// writeError answers e the way SQS does over JSON: the modelled shape in
// __type (which the SDK turns into its typed error) and the query-protocol
// code in x-amzn-query-error (which the SDK reports from ErrorCode()).
func writeError(w http.ResponseWriter, e *apiError) {
	fault := "Sender"
	if e.Server {
		fault = "Receiver"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-query-error", e.QueryCode+";"+fault)
	w.WriteHeader(e.Status)
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{"com.amazonaws.sqs#" + e.Code, e.Message})
	_, _ = w.Write(b)
}

// senderID is the access key id of a SigV4 Authorization header; SQS reports
// the caller's IAM id, which a local stand-in does not have.
func senderID(r *http.Request) string {
	if _, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		if id, _, _ := strings.Cut(rest, "/"); id != "" {
			return id
		}
	}
	return "AIDASQSLOCALANONYMOUS"
}

// lockLive locks q and fails if it was deleted after it was looked up.
func (q *queue) lockLive() error {
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return fail(errQueueDoesNotExist, "The specified queue does not exist.")
	}
	return nil
}

// ---- queues

type createQueueInput struct {
	QueueName  string
	Attributes map[string]string
}

type queueURLOutput struct {
	QueueUrl string `json:"QueueUrl"`
}

func (s *Server) opCreateQueue(c *call, in *createQueueInput) (any, error) {
	if in.QueueName == "" {
		return nil, fail(errMissingParameter, "The request must contain the parameter QueueName.")
	}
	if _, err := s.createQueue(in.QueueName, in.Attributes); err != nil {
		return nil, err
	}
	return queueURLOutput{s.queueURL(s.base(c.host), in.QueueName)}, nil
}

type getQueueURLInput struct {
	QueueName string
}

func (s *Server) opGetQueueURL(c *call, in *getQueueURLInput) (any, error) {
	if s.lookup(in.QueueName) == nil {
		return nil, fail(errQueueDoesNotExist, "The specified queue does not exist.")
	}
	return queueURLOutput{s.queueURL(s.base(c.host), in.QueueName)}, nil
}

type queueInput struct {
	QueueUrl string
}

type getQueueAttributesInput struct {
	QueueUrl       string
	AttributeNames []string
}

type attributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

func (s *Server) opGetQueueAttributes(_ *call, in *getQueueAttributesInput) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	names := in.AttributeNames
	for _, n := range names {
		if !knownAttrName(n) {
			return nil, fail(errInvalidAttributeName, "Unknown Attribute %s.", n)
		}
		if n == "All" {
			names = allAttrNames
			break
		}
	}
	if err := q.lockLive(); err != nil {
		return nil, err
	}
	defer q.mu.Unlock()
	q.promoteLocked(s.clock.Now())
	out := map[string]string{}
	for _, n := range names {
		if v, ok := q.renderLocked(n); ok {
			out[n] = v
		}
	}
	return attributesOutput{out}, nil
}

type setQueueAttributesInput struct {
	QueueUrl   string
	Attributes map[string]string
}

func (s *Server) opSetQueueAttributes(_ *call, in *setQueueAttributesInput) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := s.setAttributes(q, in.Attributes); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) opDeleteQueue(_ *call, in *queueInput) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.queues[q.name] == q {
		delete(s.queues, q.name)
	}
	s.mu.Unlock()
	q.mu.Lock()
	q.deleted = true
	q.clearLocked()
	q.signalLocked() // long polls on it answer QueueDoesNotExist
	q.mu.Unlock()
	return struct{}{}, nil
}

type listQueuesInput struct {
	QueueNamePrefix string
	MaxResults      *int
	NextToken       *string
}

type listQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

func (s *Server) opListQueues(c *call, in *listQueuesInput) (any, error) {
	names := s.sortedNames(in.QueueNamePrefix)
	if in.NextToken != nil && *in.NextToken != "" {
		after, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil {
			return nil, fail(errInvalidParameterValue, "Invalid NextToken value.")
		}
		i := sort.SearchStrings(names, string(after))
		if i < len(names) && names[i] == string(after) {
			i++
		}
		names = names[i:]
	}
	limit, paged := 1000, false
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 1000 {
			return nil, fail(errInvalidParameterValue, "Value %d for parameter MaxResults is invalid. Reason: Must be between 1 and 1000.", *in.MaxResults)
		}
		limit, paged = *in.MaxResults, true
	}
	var out listQueuesOutput
	if len(names) > limit {
		names = names[:limit]
		if paged { // without MaxResults SQS answers at most 1,000 and no token
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(names[len(names)-1]))
		}
	}
	base := s.base(c.host)
	for _, n := range names {
		out.QueueUrls = append(out.QueueUrls, s.queueURL(base, n))
	}
	return out, nil
}

func (s *Server) opPurgeQueue(_ *call, in *queueInput) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := q.lockLive(); err != nil {
		return nil, err
	}
	defer q.mu.Unlock()
	now := s.clock.Now()
	if !q.lastPurge.IsZero() && now.Sub(q.lastPurge) < time.Minute {
		return nil, fail(errPurgeQueueInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.name)
	}
	q.clearLocked()
	q.lastPurge = now
	return struct{}{}, nil
}

// ---- sending

type sendEntry struct {
	Id                      string
	MessageBody             *string
	DelaySeconds            *int
	MessageAttributes       map[string]attrValue
	MessageSystemAttributes map[string]attrValue
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

type sendMessageInput struct {
	QueueUrl string
	sendEntry
}

type sendOutput struct {
	Id                           string `json:"Id,omitempty"`
	MessageId                    string `json:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
}

// build checks e and turns it into a message, without the queue's lock: the
// digests are the costly part of a send. It returns the message, its size
// for the size limit, and its delay (nil: the queue's default).
func (s *Server) build(c *call, e *sendEntry) (*message, int, *int, *apiError) {
	if e.MessageBody == nil || *e.MessageBody == "" {
		return nil, 0, nil, fail(errMissingParameter, "The request must contain the parameter MessageBody.")
	}
	body := *e.MessageBody
	if !validBodyChars(body) {
		return nil, 0, nil, fail(errInvalidMessageContents, "Invalid binary character found in the message body. Only #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF are allowed.")
	}
	if e.DelaySeconds != nil && (*e.DelaySeconds < 0 || *e.DelaySeconds > 900) {
		return nil, 0, nil, fail(errInvalidParameterValue, "Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *e.DelaySeconds)
	}
	if e.MessageDeduplicationId != nil {
		return nil, 0, nil, fail(errInvalidParameterValue, "The request include parameter MessageDeduplicationId that is not valid for this queue type.")
	}
	attrSize, aerr := checkAttributes(e.MessageAttributes)
	if aerr != nil {
		return nil, 0, nil, aerr
	}
	m := &message{
		id:       newMessageID(),
		body:     body,
		md5Body:  md5Hex(body),
		senderID: c.sender,
		sentAt:   s.clock.Now(),
	}
	if len(e.MessageAttributes) > 0 {
		m.attrs = e.MessageAttributes
		m.md5Attrs = md5OfAttributes(e.MessageAttributes)
	}
	for name, v := range e.MessageSystemAttributes {
		if name != "AWSTraceHeader" || v.DataType != "String" || v.StringValue == nil {
			return nil, 0, nil, fail(errInvalidParameterValue, "Message system attribute %s is not supported; only AWSTraceHeader of type String is.", name)
		}
		m.traceHeader = *v.StringValue
		m.md5System = md5OfAttributes(e.MessageSystemAttributes)
	}
	return m, len(body) + attrSize, e.DelaySeconds, nil
}

// enqueueLocked adds a built message to q, checking the queue's limits.
func (q *queue) enqueueLocked(m *message, size int, delay *int) *apiError {
	if size > q.cfg.maximumMessageSize {
		return fail(errInvalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.cfg.maximumMessageSize)
	}
	d := q.cfg.delaySeconds
	if delay != nil {
		d = *delay
	}
	q.addLocked(m, seconds(d), m.sentAt)
	return nil
}

func (s *Server) opSendMessage(c *call, in *sendMessageInput) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	m, size, delay, aerr := s.build(c, &in.sendEntry)
	if aerr != nil {
		return nil, aerr
	}
	if err := q.lockLive(); err != nil {
		return nil, err
	}
	aerr = q.enqueueLocked(m, size, delay)
	q.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	return sendOutput{MessageId: m.id, MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs, MD5OfMessageSystemAttributes: m.md5System}, nil
}

type batchError struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

type sendBatchInput struct {
	QueueUrl string
	Entries  []sendEntry
}

type sendBatchOutput struct {
	Successful []sendOutput `json:"Successful"`
	Failed     []batchError `json:"Failed"`
}

// checkBatchIDs applies the rules every batch action shares.
func checkBatchIDs(ids []string) error {
	if len(ids) == 0 {
		return fail(errEmptyBatchRequest, "There should be at least one entry in the request.")
	}
	if len(ids) > 10 {
		return fail(errTooManyEntries, "Maximum number of entries per request are 10. You have sent %d.", len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !validBatchID(id) {
			return fail(errInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return fail(errBatchEntryIdsNotDistinct, "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

func entryFailure(id string, e *apiError) batchError {
	return batchError{Id: id, SenderFault: !e.Server, Code: e.QueryCode, Message: e.Message}
}

func (s *Server) opSendMessageBatch(c *call, in *sendBatchInput) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ids[i] = e.Id
		if e.MessageBody != nil {
			total += len(*e.MessageBody)
		}
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	if total > 1<<20 {
		return nil, fail(errBatchRequestTooLong, "Batch requests cannot be longer than 1048576 bytes. You have sent %d bytes.", total)
	}
	out := sendBatchOutput{Successful: []sendOutput{}, Failed: []batchError{}}
	type built struct {
		id    string
		m     *message
		size  int
		delay *int
	}
	ok := make([]built, 0, len(in.Entries))
	for i := range in.Entries {
		e := &in.Entries[i]
		m, size, delay, aerr := s.build(c, e)
		if aerr != nil {
			out.Failed = append(out.Failed, entryFailure(e.Id, aerr))
			continue
		}
		ok = append(ok, built{e.Id, m, size, delay})
	}
	if err := q.lockLive(); err != nil {
		return nil, err
	}
	for _, b := range ok {
		if aerr := q.enqueueLocked(b.m, b.size, b.delay); aerr != nil {
			out.Failed = append(out.Failed, entryFailure(b.id, aerr))
			continue
		}
		out.Successful = append(out.Successful, sendOutput{Id: b.id, MessageId: b.m.id, MD5OfMessageBody: b.m.md5Body, MD5OfMessageAttributes: b.m.md5Attrs, MD5OfMessageSystemAttributes: b.m.md5System})
	}
	q.mu.Unlock()
	return out, nil
}

// ---- receiving

type receiveInput struct {
	QueueUrl                    string
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
}

type messageOutput struct {
	MessageId              string               `json:"MessageId"`
	ReceiptHandle          string               `json:"ReceiptHandle"`
	MD5OfBody              string               `json:"MD5OfBody"`
	Body                   string               `json:"Body"`
	Attributes             map[string]string    `json:"Attributes,omitempty"`
	MD5OfMessageAttributes string               `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]attrValue `json:"MessageAttributes,omitempty"`
}

type receiveOutput struct {
	Messages []messageOutput `json:"Messages,omitempty"`
}

func (s *Server) opReceiveMessage(c *call, in *receiveInput) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	max := 1
	if in.MaxNumberOfMessages != nil {
		max = *in.MaxNumberOfMessages
		if max < 1 || max > 10 {
			return nil, fail(errInvalidParameterValue, "Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max)
		}
	}
	if v := in.VisibilityTimeout; v != nil && (*v < 0 || *v > 43200) {
		return nil, fail(errInvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.", *v)
	}
	if w := in.WaitTimeSeconds; w != nil && (*w < 0 || *w > 20) {
		return nil, fail(errInvalidParameterValue, "Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *w)
	}
	newHandle := func(m *message) string { return s.newHandle(q, m) }
	dlqExists := func(name string) bool { return s.lookup(name) != nil }

	// Long polling waits on real time, like a network client, and wakes
	// whenever a message of q becomes visible.
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var deadline time.Time
	for first := true; ; first = false {
		// A client that gave up must not take messages: they would stay in
		// flight, unseen, until their visibility timeout. A poll woken by an
		// arrival checks this before taking anything.
		if c.ctx.Err() != nil {
			return receiveOutput{}, nil
		}
		if err := q.lockLive(); err != nil {
			return nil, err
		}
		wait := q.cfg.waitTimeSeconds
		if in.WaitTimeSeconds != nil {
			wait = *in.WaitTimeSeconds
		}
		if first {
			deadline = time.Now().Add(seconds(wait))
		}
		vis := q.cfg.visibilityTimeout
		if in.VisibilityTimeout != nil {
			vis = *in.VisibilityTimeout
		}
		rp := q.cfg.redrive
		got, moved := q.takeLocked(max, seconds(vis), s.clock.Now(), newHandle, dlqExists)
		var wake <-chan struct{}
		if len(got) == 0 && wait > 0 {
			wake = q.waitChanLocked()
		}
		q.mu.Unlock()
		if rp != nil {
			s.moveToDLQ(q, rp, moved)
		}
		if len(got) > 0 || wake == nil {
			return renderReceived(got, in), nil
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return receiveOutput{}, nil
		}
		if timer == nil {
			timer = time.NewTimer(remaining)
		}
		select {
		case <-wake:
		case <-timer.C:
			return receiveOutput{}, nil
		case <-c.ctx.Done():
			return receiveOutput{}, nil
		case <-s.closed:
			return receiveOutput{}, nil
		}
	}
}

// renderReceived shapes received messages with the system and message
// attributes the request asked for.
func renderReceived(got []received, in *receiveInput) receiveOutput {
	sys := map[string]bool{}
	for _, n := range append(append([]string(nil), in.AttributeNames...), in.MessageSystemAttributeNames...) {
		sys[n] = true
	}
	all := sys["All"]
	want := func(n string) bool { return all || sys[n] }
	out := receiveOutput{Messages: make([]messageOutput, 0, len(got))}
	for _, r := range got {
		mo := messageOutput{MessageId: r.id, ReceiptHandle: r.handle, MD5OfBody: r.md5Body, Body: r.body}
		attrs := map[string]string{}
		if want("SenderId") {
			attrs["SenderId"] = r.senderID
		}
		if want("SentTimestamp") {
			attrs["SentTimestamp"] = strconv.FormatInt(r.sentAt.UnixMilli(), 10)
		}
		if want("ApproximateReceiveCount") {
			attrs["ApproximateReceiveCount"] = strconv.Itoa(r.receiveCount)
		}
		if want("ApproximateFirstReceiveTimestamp") {
			attrs["ApproximateFirstReceiveTimestamp"] = strconv.FormatInt(r.firstReceiveAt.UnixMilli(), 10)
		}
		if want("AWSTraceHeader") && r.traceHeader != "" {
			attrs["AWSTraceHeader"] = r.traceHeader
		}
		if want("DeadLetterQueueSourceArn") && r.dlqSource != "" {
			attrs["DeadLetterQueueSourceArn"] = r.dlqSource
		}
		if len(attrs) > 0 {
			mo.Attributes = attrs
		}
		if sel := selectAttributes(r.attrs, in.MessageAttributeNames); len(sel) > 0 {
			mo.MessageAttributes = sel
			mo.MD5OfMessageAttributes = md5OfAttributes(sel)
		}
		out.Messages = append(out.Messages, mo)
	}
	return out
}

// selectAttributes returns the message attributes names asks for: "All" or
// ".*" for all, "prefix.*" for those under a prefix, or exact names.
func selectAttributes(attrs map[string]attrValue, names []string) map[string]attrValue {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := map[string]attrValue{}
	for _, n := range names {
		if n == "All" || n == ".*" {
			return attrs
		}
		if prefix, ok := strings.CutSuffix(n, ".*"); ok {
			for k, v := range attrs {
				if strings.HasPrefix(k, prefix+".") {
					out[k] = v
				}
			}
			continue
		}
		if v, ok := attrs[n]; ok {
			out[n] = v
		}
	}
	return out
}

// ---- deleting and visibility

type deleteMessageInput struct {
	QueueUrl      string
	ReceiptHandle string
}

// deleteByHandle deletes the message h names if h is its latest receipt
// handle. A stale handle (the message was received again since) or the
// handle of a message already gone deletes nothing and is no error, as in
// SQS.
func (s *Server) deleteByHandle(q *queue, h string) *apiError {
	if h == "" {
		return fail(errMissingParameter, "The request must contain the parameter ReceiptHandle.")
	}
	id, err := parseHandle(q, h)
	if err != nil {
		return err.(*apiError)
	}
	if m := q.msgs[id]; m != nil && m.handle == h {
		q.removeLocked(m)
	}
	return nil
}

func (s *Server) opDeleteMessage(_ *call, in *deleteMessageInput) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := q.lockLive(); err != nil {
		return nil, err
	}
	defer q.mu.Unlock()
	if aerr := s.deleteByHandle(q, in.ReceiptHandle); aerr != nil {
		return nil, aerr
	}
	return struct{}{}, nil
}

type handleEntry struct {
	Id                string
	ReceiptHandle     string
	VisibilityTimeout int
}

type handleBatchInput struct {
	QueueUrl string
	Entries  []handleEntry
}

type idOutput struct {
	Id string
}

type handleBatchOutput struct {
	Successful []idOutput   `json:"Successful"`
	Failed     []batchError `json:"Failed"`
}

// batchByHandle runs f for every entry of a DeleteMessageBatch or
// ChangeMessageVisibilityBatch under one acquisition of q's lock.
func (s *Server) batchByHandle(in *handleBatchInput, f func(q *queue, e *handleEntry) *apiError) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	if err := q.lockLive(); err != nil {
		return nil, err
	}
	defer q.mu.Unlock()
	out := handleBatchOutput{Successful: []idOutput{}, Failed: []batchError{}}
	for i := range in.Entries {
		e := &in.Entries[i]
		if aerr := f(q, e); aerr != nil {
			out.Failed = append(out.Failed, entryFailure(e.Id, aerr))
			continue
		}
		out.Successful = append(out.Successful, idOutput{e.Id})
	}
	return out, nil
}

func (s *Server) opDeleteMessageBatch(_ *call, in *handleBatchInput) (any, error) {
	return s.batchByHandle(in, func(q *queue, e *handleEntry) *apiError {
		return s.deleteByHandle(q, e.ReceiptHandle)
	})
}

type changeVisibilityInput struct {
	QueueUrl          string
	ReceiptHandle     string
	VisibilityTimeout int
}

// changeVisibilityLocked sets a new visibility timeout, counted from now,
// for the in-flight message h names; zero makes it visible at once.
func (s *Server) changeVisibilityLocked(q *queue, h string, timeout int) *apiError {
	if timeout < 0 || timeout > 43200 {
		return fail(errInvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", timeout)
	}
	id, err := parseHandle(q, h)
	if err != nil {
		return err.(*apiError)
	}
	now := s.clock.Now()
	q.promoteLocked(now)
	m := q.msgs[id]
	if m == nil || m.handle != h {
		return fail(errInvalidParameterValue, "Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", h)
	}
	if m.state != stateInFlight {
		return fail(errMessageNotInflight, "Message is not in flight.")
	}
	q.unhideLocked(m)
	if timeout == 0 {
		q.pushReadyLocked(m)
		return nil
	}
	q.hideLocked(m, stateInFlight, now.Add(seconds(timeout)))
	return nil
}

func (s *Server) opChangeMessageVisibility(_ *call, in *changeVisibilityInput) (any, error) {
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := q.lockLive(); err != nil {
		return nil, err
	}
	defer q.mu.Unlock()
	if aerr := s.changeVisibilityLocked(q, in.ReceiptHandle, in.VisibilityTimeout); aerr != nil {
		return nil, aerr
	}
	return struct{}{}, nil
}

func (s *Server) opChangeMessageVisibilityBatch(_ *call, in *handleBatchInput) (any, error) {
	return s.batchByHandle(in, func(q *queue, e *handleEntry) *apiError {
		return s.changeVisibilityLocked(q, e.ReceiptHandle, e.VisibilityTimeout)
	})
}
