// Package statemachines holds the Amazon States Language definitions of the
// workflows (*.asl.json), with ${Placeholders} that CDK's
// DefinitionSubstitutions fill in. The CDK stack deploys these files and the
// local stack runs the very same bytes, embedded here so they are found
// wherever a binary or test runs.
package statemachines

import "embed"

// Files are the definitions, by file name.
//
//go:embed *.asl.json
var Files embed.FS

// Case is the file name of the case workflow.
const Case = "case.asl.json"

// Placeholders of the case workflow.
const (
	TasksFunctionArn = "TasksFunctionArn"
)
