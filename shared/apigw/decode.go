package apigw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// maxBodyBytes bounds request bodies: the largest legitimate one (an
// application with nine evidence ids and a long description) is a few KB.
const maxBodyBytes = 64 << 10

// decode reads a JSON body into v strictly: one object, no unknown fields,
// each type error naming its field. A body that is not JSON at all is a
// malformedError (400); a JSON body with bad fields is KindInvalid (422).
func decode(r *http.Request, v any) error { return decodeLimit(r, v, maxBodyBytes) }

// maxBatchBodyBytes fits a batch review of MaxBatchReview case ids.
const maxBatchBodyBytes = 1 << 20

// decodeLimit is decode with a body size limit; a larger body is 413.
func decodeLimit(r *http.Request, v any, limit int64) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		var val aftersales.Validation
		val.Add("Content-Type", "must be application/json")
		return val.Err("decode")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return &malformedError{msg: "the body could not be read"}
	}
	if int64(len(body)) > limit {
		return &tooLargeError{limit: limit}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("the body holds more than one JSON value")
	}
	if err == nil {
		return nil
	}
	var val aftersales.Validation
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		val.Add(field, "must be a %s", jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		val.Add(name, "is not a field of this request")
	default:
		return &malformedError{msg: fmt.Sprintf("the body is not valid JSON: %v", err)}
	}
	return val.Err("decode")
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "slice" || goKind == "array":
		return "list"
	case goKind == "struct" || goKind == "map":
		return "object"
	case goKind == "bool":
		return "boolean"
	}
	return goKind
}
