package sqslocal

import (
	"fmt"
	"net/http"
)

// apiError is an error answered to the client. Code is the shape name of the
// error in the SQS service model ("QueueDoesNotExist"), which the SDK maps to
// its typed error (*types.QueueDoesNotExist); QueryCode is the code of the
// older query protocol that SQS still sends in the x-amzn-query-error header
// and that the SDK reports from ErrorCode() ("AWS.SimpleQueueService.NonExistentQueue").
// Status is the HTTP status of the service model.
type apiError struct {
	Code      string
	QueryCode string
	Status    int
	Server    bool // a fault of the service, not of the caller
	Message   string
}

func (e *apiError) Error() string { return e.QueryCode + ": " + e.Message }

// errorShape describes one error of the service model.
type errorShape struct {
	code      string
	queryCode string
	status    int
}

// The errors sqslocal can answer, with the status and query code the SQS
// service model (aws-sdk-go-v2/service/sqs/schemas) gives them. Errors that
// are not modelled shapes (InvalidParameterValue, MissingParameter,
// InternalError) reach the SDK as a smithy.GenericAPIError carrying the query
// code, as they do from SQS.
var (
	errQueueDoesNotExist        = errorShape{"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", http.StatusBadRequest}
	errQueueNameExists          = errorShape{"QueueNameExists", "QueueAlreadyExists", http.StatusBadRequest}
	errReceiptHandleIsInvalid   = errorShape{"ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", http.StatusNotFound}
	errMessageNotInflight       = errorShape{"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", http.StatusBadRequest}
	errPurgeQueueInProgress     = errorShape{"PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", http.StatusForbidden}
	errEmptyBatchRequest        = errorShape{"EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", http.StatusBadRequest}
	errTooManyEntries           = errorShape{"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", http.StatusBadRequest}
	errBatchEntryIdsNotDistinct = errorShape{"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", http.StatusBadRequest}
	errInvalidBatchEntryID      = errorShape{"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", http.StatusBadRequest}
	errBatchRequestTooLong      = errorShape{"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", http.StatusBadRequest}
	errUnsupportedOperation     = errorShape{"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", http.StatusBadRequest}
	errInvalidAttributeName     = errorShape{"InvalidAttributeName", "InvalidAttributeName", http.StatusBadRequest}
	errInvalidAttributeValue    = errorShape{"InvalidAttributeValue", "InvalidAttributeValue", http.StatusBadRequest}
	errInvalidMessageContents   = errorShape{"InvalidMessageContents", "InvalidMessageContents", http.StatusBadRequest}
	errInvalidParameterValue    = errorShape{"InvalidParameterValue", "InvalidParameterValue", http.StatusBadRequest}
	errMissingParameter         = errorShape{"MissingParameter", "MissingParameter", http.StatusBadRequest}
	errInvalidAction            = errorShape{"InvalidAction", "InvalidAction", http.StatusBadRequest}
	errSerialization            = errorShape{"SerializationException", "SerializationException", http.StatusBadRequest}
)

// fail builds the error of shape with a formatted message.
func fail(shape errorShape, format string, args ...any) *apiError {
	return &apiError{Code: shape.code, QueryCode: shape.queryCode, Status: shape.status, Message: fmt.Sprintf(format, args...)}
}
