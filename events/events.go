// Package events holds the fixtures of inbound events (see README.md)
// embedded, for the adapters' tests: Each replays every fixture of a
// folder, so that a fixture no test knows fails the test of its adapter,
// and Load fills a fixture's placeholders and decodes it, the same way in
// every adapter.
package events

import (
	"embed"
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"testing"
)

//go:embed apigw sqs streams tasks webhooks
var files embed.FS

// placeholder matches {{name}}, {{token:sub:role}} and the like.
var placeholder = regexp.MustCompile(`\{\{([^{}]+)\}\}`)

// Each runs check as a subtest for every fixture of dir ("apigw", "sqs",
// "streams", "tasks", "webhooks") with its case in cases, keyed "dir/file.json". A
// fixture without a case, or a case without a fixture, fails t.
func Each[C any](t *testing.T, dir string, cases map[string]C, check func(t *testing.T, name string, c C)) {
	t.Helper()
	names, err := fs.Glob(files, path.Join(dir, "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures in events/%s: %v", dir, err)
	}
	seen := map[string]bool{}
	for _, name := range names {
		seen[name] = true
		c, ok := cases[name]
		if !ok {
			t.Errorf("events/%s: no test case replays it", name)
			continue
		}
		t.Run(name, func(t *testing.T) { check(t, name, c) })
	}
	for name := range cases {
		if !seen[name] {
			t.Errorf("a case for events/%s, which does not exist", name)
		}
	}
}

// Load decodes the fixture name into v with each placeholder {{key}}
// replaced by fill(key); a placeholder for which fill reports false, or
// every one when fill is nil, stays as it is (a signature the test does
// not check, say).
func Load(t *testing.T, name string, fill func(key string) (string, bool), v any) {
	t.Helper()
	raw, err := files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if fill != nil {
		raw = placeholder.ReplaceAllFunc(raw, func(m []byte) []byte {
			if s, ok := fill(string(m[2 : len(m)-2])); ok {
				return []byte(s)
			}
			return m
		})
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("events/%s: %v", name, err)
	}
}
