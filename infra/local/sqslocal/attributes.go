package sqslocal

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"time"
)

// defaultConfig returns the attributes of a queue created without any, as
// SQS documents them.
func defaultConfig() queueConfig {
	return queueConfig{
		visibilityTimeout:  30,
		retentionSeconds:   345600, // 4 days
		maximumMessageSize: 1 << 20,
		passive:            map[string]string{"SqsManagedSseEnabled": "true"},
	}
}

// intAttr is a numeric queue attribute with its valid range.
type intAttr struct {
	min, max int
	field    func(*queueConfig) *int
}

var intAttrs = map[string]intAttr{
	"VisibilityTimeout":             {0, 43200, func(c *queueConfig) *int { return &c.visibilityTimeout }},
	"DelaySeconds":                  {0, 900, func(c *queueConfig) *int { return &c.delaySeconds }},
	"MessageRetentionPeriod":        {60, 1209600, func(c *queueConfig) *int { return &c.retentionSeconds }},
	"MaximumMessageSize":            {1024, 1 << 20, func(c *queueConfig) *int { return &c.maximumMessageSize }},
	"ReceiveMessageWaitTimeSeconds": {0, 20, func(c *queueConfig) *int { return &c.waitTimeSeconds }},
}

// passiveAttrs are stored and reported but change nothing locally.
var passiveAttrs = map[string]bool{
	"Policy":                       true,
	"RedriveAllowPolicy":           true,
	"KmsMasterKeyId":               true,
	"KmsDataKeyReusePeriodSeconds": true,
	"SqsManagedSseEnabled":         true,
}

// fifoAttrs exist only on FIFO queues, which sqslocal does not model.
var fifoAttrs = map[string]bool{
	"ContentBasedDeduplication": true,
	"DeduplicationScope":        true,
	"FifoThroughputLimit":       true,
}

// readOnlyAttrs can be asked for but not set.
var readOnlyAttrs = map[string]bool{
	"ApproximateNumberOfMessages":           true,
	"ApproximateNumberOfMessagesNotVisible": true,
	"ApproximateNumberOfMessagesDelayed":    true,
	"CreatedTimestamp":                      true,
	"LastModifiedTimestamp":                 true,
	"QueueArn":                              true,
}

// applyAttrs returns base changed by attrs, checking each the way SQS does;
// self is the name of the queue they are for.
func (s *Server) applyAttrs(self string, base queueConfig, attrs map[string]string) (queueConfig, error) {
	cfg := base
	cfg.passive = maps.Clone(base.passive)
	if cfg.passive == nil {
		cfg.passive = map[string]string{}
	}
	for name, v := range attrs {
		if a, ok := intAttrs[name]; ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < a.min || n > a.max {
				return cfg, fail(errInvalidAttributeValue, "Invalid value for the parameter %s.", name)
			}
			*a.field(&cfg) = n
			continue
		}
		switch {
		case name == "RedrivePolicy":
			rp, err := s.parseRedrivePolicy(self, v)
			if err != nil {
				return cfg, err
			}
			cfg.redrive = rp
		case name == "FifoQueue":
			if v == "true" {
				return cfg, fail(errUnsupportedOperation, "FIFO queues are not supported by sqslocal.")
			}
			if v != "false" {
				return cfg, fail(errInvalidAttributeValue, "Invalid value for the parameter FifoQueue.")
			}
		case passiveAttrs[name]:
			if v == "" {
				delete(cfg.passive, name)
			} else {
				cfg.passive[name] = v
			}
		default:
			return cfg, fail(errInvalidAttributeName, "Unknown Attribute %s.", name)
		}
	}
	return cfg, nil
}

// parseRedrivePolicy checks the RedrivePolicy attribute of queue self. The
// empty string removes the policy. maxReceiveCount may be a JSON number or a
// string, as SQS accepts both; the dead-letter queue must exist and be
// another queue (redriving a queue into itself would hand an exhausted
// message back and forth forever).
func (s *Server) parseRedrivePolicy(self, v string) (*redrivePolicy, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	invalid := func(reason string) error {
		return fail(errInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, reason)
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, invalid("Redrive policy is not a valid JSON map.")
	}
	countText := strings.Trim(string(raw.MaxReceiveCount), `"`)
	count, err := strconv.Atoi(countText)
	if err != nil || count < 1 || count > 1000 {
		return nil, invalid("Invalid value for maxReceiveCount: " + countText + ", valid values are from 1 to 1000 both inclusive.")
	}
	prefix := "arn:aws:sqs:" + s.region + ":" + s.account + ":"
	name, ok := strings.CutPrefix(raw.DeadLetterTargetArn, prefix)
	if !ok || name == "" || strings.Contains(name, ":") {
		return nil, invalid("Invalid value for deadLetterTargetArn.")
	}
	if name == self {
		return nil, invalid("Dead letter target can not be the source queue.")
	}
	if s.lookup(name) == nil {
		return nil, invalid("Dead letter target does not exist.")
	}
	return &redrivePolicy{targetARN: raw.DeadLetterTargetArn, targetName: name, maxReceiveCount: count}, nil
}

// renderLocked returns the value of the named attribute of q, as SQS spells
// it, and whether q has it.
func (q *queue) renderLocked(name string) (string, bool) {
	return renderAttr(q, q.cfg, name)
}

// renderAttr renders attribute name from cfg; q supplies the counts, times
// and ARN and may be nil when only configuration is compared.
func renderAttr(q *queue, cfg queueConfig, name string) (string, bool) {
	if a, ok := intAttrs[name]; ok {
		return strconv.Itoa(*a.field(&cfg)), true
	}
	switch name {
	case "RedrivePolicy":
		if cfg.redrive == nil {
			return "", false
		}
		b, _ := json.Marshal(struct {
			Target string `json:"deadLetterTargetArn"`
			Count  int    `json:"maxReceiveCount"`
		}{cfg.redrive.targetARN, cfg.redrive.maxReceiveCount})
		return string(b), true
	case "FifoQueue":
		return "", false // reported by SQS for FIFO queues only
	}
	if passiveAttrs[name] {
		v, ok := cfg.passive[name]
		return v, ok
	}
	if q == nil {
		return "", false
	}
	switch name {
	case "ApproximateNumberOfMessages":
		return strconv.Itoa(q.visible), true
	case "ApproximateNumberOfMessagesNotVisible":
		return strconv.Itoa(q.inFlight), true
	case "ApproximateNumberOfMessagesDelayed":
		return strconv.Itoa(q.delayed), true
	case "CreatedTimestamp":
		return strconv.FormatInt(q.created.Unix(), 10), true
	case "LastModifiedTimestamp":
		return strconv.FormatInt(q.modified.Unix(), 10), true
	case "QueueArn":
		return q.arn, true
	}
	return "", false
}

// allAttrNames lists what "All" returns, in a stable order.
var allAttrNames = []string{
	"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
	"ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp", "DelaySeconds",
	"KmsDataKeyReusePeriodSeconds", "KmsMasterKeyId", "LastModifiedTimestamp",
	"MaximumMessageSize", "MessageRetentionPeriod", "Policy", "QueueArn",
	"ReceiveMessageWaitTimeSeconds", "RedriveAllowPolicy", "RedrivePolicy",
	"SqsManagedSseEnabled", "VisibilityTimeout",
}

// knownAttrName reports whether GetQueueAttributes may name it.
func knownAttrName(name string) bool {
	_, isInt := intAttrs[name]
	return isInt || passiveAttrs[name] || fifoAttrs[name] || readOnlyAttrs[name] ||
		name == "All" || name == "RedrivePolicy" || name == "FifoQueue"
}

// validQueueName reports whether name is a valid standard queue name.
func validQueueName(name string) bool {
	if len(name) == 0 || len(name) > 80 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// createQueue creates name or, when it exists with the same values for the
// given attributes, returns it (CreateQueue is idempotent in SQS).
func (s *Server) createQueue(name string, attrs map[string]string) (*queue, error) {
	if strings.HasSuffix(name, ".fifo") {
		return nil, fail(errUnsupportedOperation, "FIFO queues are not supported by sqslocal.")
	}
	if !validQueueName(name) {
		return nil, fail(errInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	cfg, err := s.applyAttrs(name, defaultConfig(), attrs)
	if err != nil {
		return nil, err
	}
	for {
		if q := s.lookup(name); q != nil {
			q.mu.Lock()
			for k := range attrs {
				want, _ := renderAttr(nil, cfg, k)
				have, _ := renderAttr(nil, q.cfg, k)
				if want != have {
					q.mu.Unlock()
					return nil, fail(errQueueNameExists, "A queue already exists with the same name and a different value for attribute %s", k)
				}
			}
			q.mu.Unlock()
			return q, nil
		}
		// s.mu is never held while a queue's lock is taken (receives take
		// s.mu for reading under a queue's lock), so the check above and the
		// insert below are separate; a concurrent create of the same name
		// sends this loop round again.
		s.mu.Lock()
		if _, ok := s.queues[name]; ok {
			s.mu.Unlock()
			continue
		}
		q := newQueue(name, s.QueueARN(name), s.clock, cfg)
		s.queues[name] = q
		s.mu.Unlock()
		return q, nil
	}
}

// setAttributes changes attributes of q.
func (s *Server) setAttributes(q *queue, attrs map[string]string) error {
	for k := range attrs {
		if readOnlyAttrs[k] {
			return fail(errInvalidAttributeName, "Unknown Attribute %s.", k)
		}
	}
	q.mu.Lock()
	base := q.cfg
	q.mu.Unlock()
	// The dead-letter target is looked up without q's lock (see createQueue).
	cfg, err := s.applyAttrs(q.name, base, attrs)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.cfg = cfg
	q.modified = s.clock.Now()
	return nil
}

// seconds converts a count of seconds to a Duration.
func seconds(n int) time.Duration { return time.Duration(n) * time.Second }
