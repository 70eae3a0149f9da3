package aftersales

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// Case lists are ordered by (created at, id), newest first, in every store,
// and a list cursor names the position after the last case returned. The
// position and the cursor format belong to the CaseQuery contract, so every
// store shares them (a cursor stays valid when its case changes status).

// listTimeLayout is fixed-width UTC so that positions sort as instants do.
const listTimeLayout = "2006-01-02T15:04:05.000000000Z"

// ListPosition is the sort key of c in case lists: created-at, then id.
func ListPosition(c *Case) string {
	return c.CreatedAt.UTC().Format(listTimeLayout) + "#" + c.ID
}

type cursor struct {
	After string `json:"after"`
}

// EncodeCursor returns the opaque cursor of the position after.
func EncodeCursor(after string) string {
	b, _ := json.Marshal(cursor{After: after}) // a struct of one string always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor returns the list position a cursor names, or a KindInvalid
// error naming the cursor field: a client that edits or truncates a cursor
// is refused, never given a page from an arbitrary position.
func DecodeCursor(op, s string) (string, error) {
	invalid := func() error {
		var v Validation
		v.Add("cursor", "is not a cursor returned by this list; start again without it")
		return v.Err(op)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", invalid()
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return "", invalid()
	}
	n := len(listTimeLayout)
	if len(c.After) < n+2 || c.After[n] != '#' {
		return "", invalid()
	}
	if _, err := time.Parse(listTimeLayout, c.After[:n]); err != nil {
		return "", invalid()
	}
	return c.After, nil
}
