// Command infra is the CDK app of the after-sales stack: `cdk deploy` (see
// cdk.json) or `go run ./infra` synthesizes one stack per merchant from the
// context's settings.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
)

func main() {
	defer jsii.Close()
	props := &awscdk.AppProps{}
	// Without the CDK CLI (plain `go run ./infra`), read cdk.json's context
	// ourselves and write the assembly to cdk.out as the CLI would.
	cli := os.Getenv("CDK_OUTDIR") != ""
	if !cli {
		props.Outdir = jsii.String("cdk.out")
		ctx, err := cdkJSONContext("cdk.json")
		if err != nil {
			fail(err)
		}
		props.Context = &ctx
	}
	app := awscdk.NewApp(props)
	s, err := SettingsFromContext(app.Node())
	if err != nil {
		fail(err)
	}
	if s.ProviderMode == config.ProviderSandbox && !cli {
		// The CLI prints the stack's warning annotation; without it, say
		// it here.
		fmt.Fprintln(os.Stderr, "WARNING: "+sandboxWarning)
	}
	if _, err := NewAfterSalesStack(app, "AfterSales-"+s.Stage, &AfterSalesStackProps{
		StackProps: awscdk.StackProps{Env: env()},
		Settings:   s,
	}); err != nil {
		fail(err)
	}
	app.Synth(nil)
}

// cdkJSONContext reads the "context" of a cdk.json at path, as the CDK CLI
// would pass it to the app; a missing file is no context.
func cdkJSONContext(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Context == nil {
		f.Context = map[string]any{}
	}
	return f.Context, nil
}

// env deploys to the account and region of the CLI's credentials; without
// them the stack stays environment-agnostic, which synthesizes offline.
func env() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}

// fail reports err and exits non-zero, which makes cdk deploy stop.
func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
