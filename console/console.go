// Package console builds and serves the merchant console (issue 18): a
// static single-page app in TypeScript (src/), bundled by esbuild's Go API
// from the sources embedded in this package. Neither Node nor the working
// directory take part in the build, so `go run ./infra/local` from any
// folder and `make build` produce the same files.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

//go:embed index.html app.css src
var sources embed.FS

// Bundle is the built console: file name -> contents. index.html names the
// script and the style sheet by their content hash (app-<hash>.js), so
// they can be cached for ever and index.html never.
type Bundle struct {
	Files map[string][]byte
	// Script and Style are the hashed names of the script and style sheet.
	Script, Style string
}

// Index is the name of the page every console route answers.
const Index = "index.html"

// Build bundles src/app.ts and app.css, minified, for the browsers the
// target names.
func Build() (*Bundle, error) {
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{"src/app.ts", "app.css"},
		Bundle:            true,
		Write:             false,
		Outdir:            "out",
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Format:            api.FormatIIFE,
		Target:            api.ES2020,
		Charset:           api.CharsetUTF8,
		LegalComments:     api.LegalCommentsNone,
		Plugins:           []api.Plugin{embedded},
		LogLevel:          api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("console: esbuild: %s", strings.Join(msgs, "\n"))
	}
	b := &Bundle{Files: map[string][]byte{}}
	for _, f := range res.OutputFiles {
		sum := sha256.Sum256(f.Contents)
		tag := hex.EncodeToString(sum[:])[:12]
		switch path.Ext(f.Path) {
		case ".js":
			b.Script = "app-" + tag + ".js"
			b.Files[b.Script] = f.Contents
		case ".css":
			b.Style = "app-" + tag + ".css"
			b.Files[b.Style] = f.Contents
		}
	}
	if b.Script == "" || b.Style == "" {
		return nil, errors.New("console: esbuild wrote no script or no style sheet")
	}
	page, err := sources.ReadFile(Index)
	if err != nil {
		return nil, err
	}
	b.Files[Index] = []byte(strings.NewReplacer("{{script}}", b.Script, "{{style}}", b.Style).Replace(string(page)))
	return b, nil
}

// embedded resolves every import inside the embedded sources: relative
// paths only (the console has no npm dependency), with or without the .ts
// extension.
var embedded = api.Plugin{
	Name: "embedded",
	Setup: func(pb api.PluginBuild) {
		pb.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			p := a.Path
			if a.Importer != "" {
				if !strings.HasPrefix(p, ".") {
					return api.OnResolveResult{}, fmt.Errorf("%s imports %q: only relative imports of the console's own files are allowed", a.Importer, p)
				}
				p = path.Join(path.Dir(a.Importer), p)
			}
			p = path.Clean(p)
			for _, cand := range []string{p, p + ".ts"} {
				if st, err := fs.Stat(sources, cand); err == nil && !st.IsDir() {
					return api.OnResolveResult{Path: cand, Namespace: "embedded"}, nil
				}
			}
			return api.OnResolveResult{}, fmt.Errorf("no file %s in the console's sources", p)
		})
		pb.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: "embedded"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			b, err := sources.ReadFile(a.Path)
			if err != nil {
				return api.OnLoadResult{}, err
			}
			s := string(b)
			loader := api.LoaderTS
			if path.Ext(a.Path) == ".css" {
				loader = api.LoaderCSS
			}
			return api.OnLoadResult{Contents: &s, Loader: loader}, nil
		})
	},
}
