// Command infra is the CDK app of the after-sales stack: `cdk deploy` (see
// cdk.json) or `go run ./infra` synthesizes one stack per merchant from the
// context's settings.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	props := &awscdk.AppProps{}
	// Without the CDK CLI (plain `go run ./infra`), read cdk.json's context
	// ourselves and write the assembly to cdk.out as the CLI would.
	if os.Getenv("CDK_OUTDIR") == "" {
		props.Outdir = jsii.String("cdk.out")
		if raw, err := os.ReadFile("cdk.json"); err == nil {
			var f struct {
				Context map[string]any `json:"context"`
			}
			if err := json.Unmarshal(raw, &f); err != nil {
				fail(fmt.Errorf("cdk.json: %w", err))
			}
			props.Context = &f.Context
		}
	}
	app := awscdk.NewApp(props)
	s, err := SettingsFromContext(app.Node())
	if err != nil {
		fail(err)
	}
	if _, err := NewAfterSalesStack(app, "AfterSales-"+s.Stage, &AfterSalesStackProps{
		StackProps: awscdk.StackProps{Env: env()},
		Settings:   s,
	}); err != nil {
		fail(err)
	}
	app.Synth(nil)
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
