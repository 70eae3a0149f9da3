// Command build writes the merchant console's static files (index.html and
// the hashed script and style sheet) to a folder, for the CDK stack to
// upload: `go run ./console/cmd/build -out build/console`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aftersales/aftersales/console"
)

func main() {
	out := flag.String("out", "build/console", "output folder")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "console build:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	b, err := console.Build()
	if err != nil {
		return err
	}
	// A fresh folder: files of an older build would be uploaded too.
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, body := range b.Files {
		p := filepath.Join(out, name)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			return err
		}
		fmt.Println(p)
	}
	return nil
}
