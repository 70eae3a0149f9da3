// Package config reads a function's configuration from its environment. The
// variable names are constants here and nowhere else: the CDK stack sets them
// from the same constants, so a rename cannot split the two.
package config

import (
	"fmt"
	"slices"
	"strings"
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

	// Endpoint overrides point the SDK clients at local stand-ins. They are
	// empty in the cloud, where the SDK resolves the regional endpoints.
	EnvDynamoDBEndpoint = "DYNAMODB_ENDPOINT"
	EnvS3Endpoint       = "S3_ENDPOINT"
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
	DynamoDB string
	S3       string
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
		Endpoints: Endpoints{DynamoDB: getenv(EnvDynamoDBEndpoint), S3: getenv(EnvS3Endpoint)},
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	var missing []string
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

// API lists the variables the HTTP API function requires.
var API = []string{EnvTableName, EnvEvidenceBucket, EnvJWTIssuer, EnvJWTAudience}

// Webhooks lists the variables the webhooks function requires.
var Webhooks = []string{EnvTableName, EnvMallWebhookSecret}

