// Package schemas holds the JSON Schema of every domain event this system
// puts on the EventBridge bus (<type>.json: the event's detail, with its
// schema version), embedded for the tests that check what is published
// against them. The files are the contract the mall's consumers read.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed *.json
var files embed.FS

// Types lists the event types that have a schema.
func Types() []string {
	names, _ := fs.Glob(files, "*.json")
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(n, ".json")
	}
	return out
}

// compiled are the schemas by event type, compiled once.
var compiled = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date-time is checked, not only annotated
	out := map[string]*jsonschema.Schema{}
	for _, t := range Types() {
		raw, err := files.ReadFile(t + ".json")
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", t, err)
		}
		if err := c.AddResource(t+".json", doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", t, err)
		}
		if out[t], err = c.Compile(t + ".json"); err != nil {
			return nil, fmt.Errorf("schema %s: %w", t, err)
		}
	}
	return out, nil
})

// Validate checks an event's detail (the JSON put on the bus) against the
// schema of its type.
func Validate(detail []byte) error {
	all, err := compiled()
	if err != nil {
		return err
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(detail, &head); err != nil {
		return fmt.Errorf("the detail is not a JSON object: %w", err)
	}
	s, ok := all[head.Type]
	if !ok {
		return fmt.Errorf("no schema for event type %q (events/schemas/%s.json)", head.Type, head.Type)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(detail))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}
