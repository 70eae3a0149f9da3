package sqslocal

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// md5Hex is the hex MD5 of s, the digest SQS returns for a body.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes is the digest SQS computes over message attributes: for
// each attribute in name order, the length-prefixed name, the
// length-prefixed data type, a transport byte (1 string, 2 binary, 3 string
// list, 4 binary list) and the length-prefixed value(s). Clients compare it
// to what they sent, so it must match SQS bit for bit.
func md5OfAttributes(attrs map[string]attrValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	var lenBuf [4]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint32(lenBuf[:], uint32(len(b)))
		h.Write(lenBuf[:])
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		put([]byte(n))
		put([]byte(a.DataType))
		switch {
		case a.StringValue != nil:
			h.Write([]byte{1})
			put([]byte(*a.StringValue))
		case a.BinaryValue != nil:
			h.Write([]byte{2})
			put(a.BinaryValue)
		case a.StringListValues != nil:
			h.Write([]byte{3})
			for _, v := range a.StringListValues {
				put([]byte(v))
			}
		case a.BinaryListValues != nil:
			h.Write([]byte{4})
			for _, v := range a.BinaryListValues {
				put(v)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// validBodyChars reports whether s holds only the characters SQS accepts in
// a message: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to
// #x10FFFF.
func validBodyChars(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
		i += size
	}
	return true
}

// checkAttributes validates message attributes as SQS does and returns
// their size, which counts towards the message size limit.
func checkAttributes(attrs map[string]attrValue) (int, *apiError) {
	if len(attrs) > 10 {
		return 0, fail(errInvalidParameterValue, "Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	size := 0
	for name, a := range attrs {
		if !validAttrName(name) {
			return 0, fail(errInvalidParameterValue, "Message (user) attribute name '%s' is invalid.", name)
		}
		base, _, _ := strings.Cut(a.DataType, ".")
		if base != "String" && base != "Number" && base != "Binary" || len(a.DataType) > 256 {
			return 0, fail(errInvalidParameterValue, "The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
		size += len(name) + len(a.DataType)
		switch base {
		case "String", "Number":
			if a.StringValue == nil || *a.StringValue == "" {
				return 0, fail(errInvalidParameterValue, "Message (user) attribute '%s' must contain a non-empty value of type '%s'.", name, a.DataType)
			}
			if !validBodyChars(*a.StringValue) {
				return 0, fail(errInvalidParameterValue, "Message (user) attribute '%s' contains invalid characters.", name)
			}
			if base == "Number" {
				if _, err := strconv.ParseFloat(*a.StringValue, 64); err != nil {
					return 0, fail(errInvalidParameterValue, "Could not cast message attribute '%s' value to number.", name)
				}
			}
			size += len(*a.StringValue)
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return 0, fail(errInvalidParameterValue, "Message (user) attribute '%s' must contain a non-empty value of type '%s'.", name, a.DataType)
			}
			size += len(a.BinaryValue)
		}
	}
	return size, nil
}

// validAttrName applies SQS's rules for attribute names: letters, digits,
// underscore, hyphen and period; no leading, trailing or double period; no
// AWS. or Amazon. prefix; at most 256 characters.
func validAttrName(name string) bool {
	if name == "" || len(name) > 256 || name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return false
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validBatchID applies SQS's rule for batch entry ids.
func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
