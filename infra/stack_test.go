package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// TestResourceCounts counts the resources of each type: a resource added
// or lost (a custom resource's function, say) shows here first.
func TestResourceCounts(t *testing.T) {
	s := defaultSynth(t)
	want := map[string]int{
		// One more: CDK's BucketNotificationsHandler, which configures the
		// evidence bucket's notification (issue 16) at deploy time.
		// And CDK's BucketDeployment, which copies the console's files.
		"AWS::Lambda::Function":            len(Functions) + 2,
		"AWS::Lambda::EventSourceMapping":  6,  // intake, inbound, reviews, notifications, evidence, the table stream
		"AWS::SQS::Queue":                  11, // five queues, five DLQs, the publisher's on-failure queue
		"AWS::DynamoDB::Table":             1,
		"AWS::S3::Bucket":                  3, // evidence, the console and their access logs
		"AWS::StepFunctions::StateMachine": 1,
		"AWS::ApiGatewayV2::Api":           1,
		"AWS::ApiGatewayV2::Stage":         1,
		"AWS::ApiGatewayV2::Route":         2,
		"AWS::ApiGatewayV2::Authorizer":    0,
		"AWS::Events::Rule":                4, // the sweeper's schedule, refund failures, manual refunds, the outbox redrive
		"AWS::Events::EventBus":            1,
		"AWS::Logs::ResourcePolicy":        1,              // EventBridge writes the refund failures and manual refunds
		"AWS::Logs::MetricFilter":          len(Functions), // start failures
		"AWS::SecretsManager::Secret":      6,              // jwt, mall, wechatpay, alipay, notify, kuaidi100
		"AWS::SNS::Topic":                  1,
		"AWS::SNS::Subscription":           0, // no alarmEmail by default
		// 5 DLQs + failed and timed-out executions + functions + API 5xx + refund failures + start failures + manual refunds
		// + the publisher's on-failure queue and iterator age
		"AWS::CloudWatch::Alarm": 5 + 2 + len(Functions) + 1 + 1 + 1 + 1 + 2,
		// functions, the API's access logs, the workflow, refund failures, manual refunds
		"AWS::Logs::LogGroup": len(Functions) + 4,
	}
	for typ, n := range want {
		noPanic(t, typ, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
	}
}

// TestNoWildcardActionsOrFullAccess checks that no policy allows a
// wildcard action and no role has a managed FullAccess policy, and that
// the functions' roles have no managed policy at all.
func TestNoWildcardActionsOrFullAccess(t *testing.T) {
	s := defaultSynth(t)
	statements := allowStatements(s)
	if len(statements) < len(Functions) {
		t.Fatalf("found policies on %d resources: the walk is broken", len(statements))
	}
	for id, sts := range statements {
		if strings.HasPrefix(id, bucketDeploymentPrefix) {
			// CDK's BucketDeployment copies the console's files at deploy
			// time with its own grants (s3:GetObject*, s3:List*, ...), on
			// the asset bucket and the console bucket only: checked by
			// TestConsoleDeploymentGrants.
			continue
		}
		for _, st := range sts {
			var actions []string
			switch a := st["Action"].(type) {
			case string:
				actions = []string{a}
			case []any:
				for _, x := range a {
					actions = append(actions, fmt.Sprint(x))
				}
			}
			for _, a := range actions {
				if strings.Contains(a, "*") {
					t.Errorf("%s allows the wildcard action %q", id, a)
				}
			}
		}
	}
	for id, r := range s.ofType("AWS::IAM::Role") {
		raw, _ := json.Marshal(r.Properties["ManagedPolicyArns"])
		if strings.Contains(string(raw), "FullAccess") {
			t.Errorf("role %s has a FullAccess policy: %s", id, raw)
		}
	}
	for _, name := range Functions {
		_, fn := s.fn(t, name)
		role := getAtt(fn.Properties["Role"])
		if mp := s.res[role].Properties["ManagedPolicyArns"]; mp != nil {
			t.Errorf("function %s's role has managed policies %v: it should write only to its own log group", name, mp)
		}
	}
}

// bucketDeploymentPrefix starts the logical ids of CDK's BucketDeployment
// function and role.
const bucketDeploymentPrefix = "CustomCDKBucketDeployment"

// TestMissingBinariesFailClearly checks that a missing function binary
// fails the synth with an error naming it and the build command.
func TestMissingBinariesFailClearly(t *testing.T) {
	assets := dummyAssets(t, t.TempDir())
	if err := os.Remove(filepath.Join(assets, "tasks", "bootstrap")); err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	_, err := NewAfterSalesStack(app, "AfterSales-missing", &AfterSalesStackProps{Settings: DefaultSettings(), Root: "..", AssetDir: assets})
	if err == nil || !strings.Contains(err.Error(), "infra/cmd/build") || !strings.Contains(err.Error(), filepath.Join("tasks", "bootstrap")) {
		t.Errorf("err = %v, want one naming the missing binary and the build command", err)
	}
}
