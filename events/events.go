// Package events holds the fixtures of inbound events (see README.md)
// embedded, so that each adapter's tests replay the ones of its function
// without paths relative to their own folder, and fill their placeholders
// the same way.
package events

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
)

//go:embed apigw sqs tasks webhooks
var files embed.FS

// placeholder matches {{name}}, {{token:sub:role}} and the like.
var placeholder = regexp.MustCompile(`\{\{([^{}]+)\}\}`)

// Names lists the fixtures of dir ("apigw", "sqs", "tasks", "webhooks") as
// "dir/file.json", sorted.
func Names(dir string) ([]string, error) {
	matches, err := fs.Glob(files, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("events: no fixtures in %s", dir)
	}
	return matches, nil
}

// Fill returns the fixture name with each placeholder {{key}} replaced by
// value(key); a placeholder for which value reports false stays as it is
// (a signature the test does not check, say).
func Fill(name string, value func(key string) (string, bool)) ([]byte, error) {
	raw, err := files.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return placeholder.ReplaceAllFunc(raw, func(m []byte) []byte {
		if v, ok := value(string(m[2 : len(m)-2])); ok {
			return []byte(v)
		}
		return m
	}), nil
}
