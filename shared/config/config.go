// Package config reads a function's configuration from its environment. The
// variable names are constants here and nowhere else: the CDK stack sets them
// from the same constants, so a rename cannot split the two.
package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Environment variable names shared by the functions, the local stack and the
// CDK stack.
const (
	EnvStage             = "STAGE"
	EnvRegion            = "AWS_REGION"
	EnvTableName         = "TABLE_NAME"
	EnvEvidenceBucket    = "EVIDENCE_BUCKET"
	EnvJWTIssuer         = "JWT_ISSUER"
	EnvJWTAudience       = "JWT_AUDIENCE"
	EnvJWTHS256Secret    = "JWT_HS256_SECRET"
	EnvJWTPublicKeys     = "JWT_PUBLIC_KEYS_PEM"
	EnvMallWebhookSecret = "MALL_WEBHOOK_SECRET"
	EnvLogLevel          = "LOG_LEVEL"
	EnvStateMachineARN   = "CASE_STATE_MACHINE_ARN"
	EnvIntakeQueueURL    = "INTAKE_QUEUE_URL"
	EnvReviewQueueURL    = "REVIEW_QUEUE_URL"
	EnvProviderMode      = "PROVIDER_MODE" // sandbox (default) or live
	EnvSweepGrace        = "SWEEP_GRACE"   // how old a submitted case must be before the sweeper re-enqueues it; default 5m

	// Endpoint overrides point the SDK clients at local stand-ins. They are
	// empty in the cloud, where the SDK resolves the regional endpoints.
	EnvDynamoDBEndpoint = "DYNAMODB_ENDPOINT"
	EnvS3Endpoint       = "S3_ENDPOINT"
	EnvSQSEndpoint      = "SQS_ENDPOINT"
	EnvSFNEndpoint      = "SFN_ENDPOINT"
)

// Config is everything a function may need; each function requires the part
// it uses (see Load).
type Config struct {
	Stage             string
	Region            string
	TableName         string
	EvidenceBucket    string
	JWT               JWT
	MallWebhookSecret string
	LogLevel          string
	StateMachineARN   string
	IntakeQueueURL    string
	ReviewQueueURL    string
	ProviderMode      string
	SweepGrace        time.Duration
	Endpoints         Endpoints
}

// JWT says which bearer tokens the API accepts. At least one of HS256Secret
// and PublicKeysPEM must be set.
type JWT struct {
	Issuer        string
	Audience      string
	HS256Secret   string
	PublicKeysPEM string // one or more PEM public keys (RSA or ECDSA) for RS256/ES256 tokens
}

// Endpoints overrides AWS service endpoints (local stack only).
type Endpoints struct {
	DynamoDB      string
	S3            string
	SQS           string
	StepFunctions string
}

// Load reads the configuration from getenv (os.Getenv in functions) and
// fails naming every variable of required that is missing, in one error, so
// a misconfigured deploy is fixed in one round.
func Load(getenv func(string) string, required ...string) (Config, error) {
	c := Config{
		Stage:             getenv(EnvStage),
		Region:            getenv(EnvRegion),
		TableName:         getenv(EnvTableName),
		EvidenceBucket:    getenv(EnvEvidenceBucket),
		MallWebhookSecret: getenv(EnvMallWebhookSecret),
		LogLevel:          getenv(EnvLogLevel),
		JWT: JWT{
			Issuer:        getenv(EnvJWTIssuer),
			Audience:      getenv(EnvJWTAudience),
			HS256Secret:   getenv(EnvJWTHS256Secret),
			PublicKeysPEM: getenv(EnvJWTPublicKeys),
		},
		StateMachineARN: getenv(EnvStateMachineARN),
		IntakeQueueURL:  getenv(EnvIntakeQueueURL),
		ReviewQueueURL:  getenv(EnvReviewQueueURL),
		ProviderMode:    getenv(EnvProviderMode),
		SweepGrace:      5 * time.Minute,
		Endpoints: Endpoints{DynamoDB: getenv(EnvDynamoDBEndpoint), S3: getenv(EnvS3Endpoint),
			SQS: getenv(EnvSQSEndpoint), StepFunctions: getenv(EnvSFNEndpoint)},
	}
	if c.ProviderMode == "" {
		c.ProviderMode = ProviderSandbox
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	var missing []string
	if v := getenv(EnvSweepGrace); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("config: %s must be a positive duration such as 5m, got %q", EnvSweepGrace, v)
		}
		c.SweepGrace = d
	}
	if c.ProviderMode != ProviderSandbox && c.ProviderMode != ProviderLive {
		return c, fmt.Errorf("config: %s must be %s or %s, got %q", EnvProviderMode, ProviderSandbox, ProviderLive, c.ProviderMode)
	}
	for _, name := range required {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	needJWT := slices.Contains(required, EnvJWTIssuer)
	if needJWT && c.JWT.HS256Secret == "" && c.JWT.PublicKeysPEM == "" {
		missing = append(missing, EnvJWTHS256Secret+" or "+EnvJWTPublicKeys)
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("config: missing environment variables: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// Provider modes: sandbox pays every refund at once (no provider is called);
// live calls the payment providers.
const (
	ProviderSandbox = "sandbox"
	ProviderLive    = "live"
)

// The variables each function requires.
var (
	API      = []string{EnvTableName, EnvEvidenceBucket, EnvJWTIssuer, EnvJWTAudience, EnvStateMachineARN, EnvIntakeQueueURL, EnvReviewQueueURL}
	Reviews  = []string{EnvTableName, EnvStateMachineARN}
	Webhooks = []string{EnvTableName, EnvMallWebhookSecret}
	Tasks    = []string{EnvTableName, EnvStateMachineARN}
	Intake   = []string{EnvTableName, EnvStateMachineARN}
	Sweeper  = []string{EnvTableName, EnvStateMachineARN, EnvIntakeQueueURL}
)
