package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/statemachines"
)

// TestStateMachinePlaceholdersSubstituted checks the state machine: a
// traced, logged standard workflow whose staged definition is
// statemachines.Case with every placeholder substituted.
func TestStateMachinePlaceholdersSubstituted(t *testing.T) {
	s := defaultSynth(t)
	src, err := os.ReadFile(filepath.Join("..", "statemachines", statemachines.Case))
	if err != nil {
		t.Fatal(err)
	}
	placeholder := regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)
	names := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(string(src), -1) {
		names[m[1]] = true
	}
	if !names[statemachines.TasksFunctionArn] {
		t.Fatalf("%s has no ${%s}: the test reads the wrong file", statemachines.Case, statemachines.TasksFunctionArn)
	}
	machines := s.ofType("AWS::StepFunctions::StateMachine")
	if len(machines) != 1 {
		t.Fatalf("%d state machines, want 1", len(machines))
	}
	var fnTasks string
	for id := range s.ofType("AWS::Lambda::Function") {
		if strings.HasPrefix(id, "Fntasks") {
			fnTasks = id
		}
	}
	for id, sm := range machines {
		p := sm.Properties
		if p["StateMachineType"] != "STANDARD" {
			t.Errorf("%s: type %v, want STANDARD", id, p["StateMachineType"])
		}
		if tc, _ := p["TracingConfiguration"].(map[string]any); tc["Enabled"] != true {
			t.Errorf("%s: tracing off", id)
		}
		if lc, _ := p["LoggingConfiguration"].(map[string]any); lc["Level"] != "ALL" || lc["Destinations"] == nil {
			t.Errorf("%s: logging %v, want level ALL to a log group", id, lc)
		}
		subs, _ := p["DefinitionSubstitutions"].(map[string]any)
		if getAtt(subs[statemachines.TasksFunctionArn]) != fnTasks {
			t.Errorf("%s: %s = %v, want the tasks function's ARN", id, statemachines.TasksFunctionArn, subs[statemachines.TasksFunctionArn])
		}
		// The deployed definition is the staged asset; CloudFormation
		// replaces each ${key} of DefinitionSubstitutions in it.
		loc, _ := p["DefinitionS3Location"].(map[string]any)
		key, _ := loc["Key"].(string)
		staged, err := os.ReadFile(filepath.Join(s.outdir, "asset."+key))
		if err != nil {
			t.Fatalf("%s: staged definition: %v", id, err)
		}
		if string(staged) != string(src) {
			t.Errorf("%s: the staged definition differs from %s", id, statemachines.Case)
		}
		def := string(staged)
		for k := range subs {
			def = strings.ReplaceAll(def, "${"+k+"}", "arn:substituted")
		}
		if left := placeholder.FindAllString(def, -1); len(left) > 0 || strings.Contains(def, "${") {
			t.Errorf("%s: placeholders left after substitution: %v", id, left)
		}
	}
}

// TestInboundResumesRefundWaits checks that settled refunds may resume the
// workflow's refund wait.
func TestInboundResumesRefundWaits(t *testing.T) {
	s := defaultSynth(t)
	sm, _ := s.only(t, "AWS::StepFunctions::StateMachine", "CaseWorkflow")
	if got := s.grantees(t, "states:SendTaskSuccess", sm); !slices.Contains(got, "inbound") {
		t.Errorf("SendTaskSuccess on the workflow: %v, want inbound among them", got)
	}
}
