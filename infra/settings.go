package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/aftersales/aftersales/shared/config"
)

// Context keys the stack reads (cdk.json "context", or `cdk deploy -c
// key=value`). Values from cdk.json keep their JSON type; values from -c are
// always strings, so every reader accepts both.
const (
	CtxStage               = "stage"
	CtxProviderMode        = "providerMode"
	CtxCORSOrigins         = "corsOrigins"
	CtxAlarmEmail          = "alarmEmail"
	CtxJWTIssuer           = "jwtIssuer"
	CtxJWTAudience         = "jwtAudience"
	CtxJWTAuthorizer       = "jwtAuthorizer"
	CtxLogRetentionDays    = "logRetentionDays"
	CtxLogLevel            = "logLevel"
	CtxAPIRateLimit        = "apiRateLimit"
	CtxAPIBurstLimit       = "apiBurstLimit"
	CtxSweepGrace          = "sweepGrace"
	CtxSecretsRevision     = "secretsRevision"
	CtxConsoleSignIn       = "consoleSignIn"
	CtxConsoleClientID     = "consoleClientId"
	CtxConsoleAuthorizeURL = "consoleAuthorizeUrl"
	CtxConsoleTokenURL     = "consoleTokenUrl"
	CtxMallCouponURL       = "mallCouponUrl"
)

// Settings are the merchant's choices for one deployment. DefaultSettings
// gives a stack that deploys as is; cdk.json and -c override any field.
type Settings struct {
	// Stage names the deployment (prod, staging): part of the stack name,
	// so several stages can live in one account.
	Stage string
	// ProviderMode is config.ProviderLive (the default: refunds go to the
	// payment providers) or config.ProviderSandbox, which a deploy asks for
	// by name (-c providerMode=sandbox): no refund moves money, and the
	// stack says so in its outputs and warns at synth.
	ProviderMode string
	// CORSOrigins may call the API from a browser and PUT evidence to the
	// bucket with presigned URLs. Empty: no browser origin is allowed (a
	// WeChat mini-program is not subject to CORS).
	CORSOrigins []string
	// AlarmEmail, when set, is subscribed to the alarm topic.
	AlarmEmail string
	// JWTIssuer and JWTAudience are the expected iss and aud of bearer
	// tokens, checked by the api function (and by API Gateway when
	// JWTAuthorizer is on).
	JWTIssuer   string
	JWTAudience string
	// JWTAuthorizer puts API Gateway's JWT authorizer in front of /v1. It
	// needs an OpenID issuer URL serving its keys over HTTPS (RS256), so it
	// is off by default: the api function verifies every token itself,
	// which also covers HS256 shared secrets.
	JWTAuthorizer bool
	// LogRetentionDays applies to every log group of the stack; it must be
	// one of CloudWatch's allowed values.
	LogRetentionDays int
	// LogLevel of the functions: debug, info, warn or error.
	LogLevel string
	// APIRateLimit (requests per second, steady) and APIBurstLimit bound the
	// whole HTTP API so that a flood cannot run up the bill.
	APIRateLimit  float64
	APIBurstLimit float64
	// SweepGrace is how old a submitted case must be before the sweeper
	// re-queues it (a Go duration).
	SweepGrace string
	// SecretsRevision is written into the description of the functions
	// that read secrets. Secret values reach them as CloudFormation dynamic
	// references, resolved only when a function changes: bump it after
	// changing a secret so the next deploy picks the new value up.
	SecretsRevision string
	// ConsoleSignIn is how staff sign in to the merchant console:
	// ConsoleCognito (a user pool the stack creates, the default),
	// ConsoleOIDC (the merchant's own issuer, JWTIssuer, with the app client
	// ConsoleClientID) or ConsoleOff (no console is deployed).
	ConsoleSignIn   string
	ConsoleClientID string
	// ConsoleAuthorizeURL and ConsoleTokenURL are the merchant's issuer's
	// OAuth endpoints, with ConsoleOIDC.
	ConsoleAuthorizeURL string
	ConsoleTokenURL     string
	// MallCouponURL is the mall's coupon service (F18), asked when a case
	// with virtual goods is decided; empty: the order snapshot is trusted.
	MallCouponURL string
}

// DefaultSettings are the values used when the context says nothing.
func DefaultSettings() Settings {
	return Settings{
		Stage:            "prod",
		ProviderMode:     config.ProviderLive,
		JWTIssuer:        "aftersales",
		JWTAudience:      "aftersales",
		LogRetentionDays: 90,
		LogLevel:         "info",
		APIRateLimit:     200,
		APIBurstLimit:    400,
		SweepGrace:       "5m",
		SecretsRevision:  "1",
		ConsoleSignIn:    ConsoleCognito,
	}
}

// SettingsFromContext reads Settings from the construct tree's context on
// top of DefaultSettings, and validates them so that a typo fails at synth
// rather than in a deployed function.
func SettingsFromContext(node constructs.Node) (Settings, error) {
	s := DefaultSettings()
	var errs []string
	get := func(key string) any { return node.TryGetContext(&key) }
	str := func(key string, dst *string) {
		switch v := get(key).(type) {
		case nil:
		case string:
			*dst = v
		default:
			errs = append(errs, fmt.Sprintf("%s: want a string, got %v", key, v))
		}
	}
	num := func(key string, dst *float64) {
		switch v := get(key).(type) {
		case nil:
		case float64:
			*dst = v
		case string:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: want a number, got %q", key, v))
			}
			*dst = f
		default:
			errs = append(errs, fmt.Sprintf("%s: want a number, got %v", key, v))
		}
	}
	str(CtxStage, &s.Stage)
	str(CtxProviderMode, &s.ProviderMode)
	str(CtxAlarmEmail, &s.AlarmEmail)
	str(CtxJWTIssuer, &s.JWTIssuer)
	str(CtxJWTAudience, &s.JWTAudience)
	str(CtxLogLevel, &s.LogLevel)
	str(CtxSweepGrace, &s.SweepGrace)
	str(CtxSecretsRevision, &s.SecretsRevision)
	str(CtxConsoleSignIn, &s.ConsoleSignIn)
	str(CtxConsoleClientID, &s.ConsoleClientID)
	str(CtxConsoleAuthorizeURL, &s.ConsoleAuthorizeURL)
	str(CtxConsoleTokenURL, &s.ConsoleTokenURL)
	str(CtxMallCouponURL, &s.MallCouponURL)
	num(CtxAPIRateLimit, &s.APIRateLimit)
	num(CtxAPIBurstLimit, &s.APIBurstLimit)
	days := float64(s.LogRetentionDays)
	num(CtxLogRetentionDays, &days)
	s.LogRetentionDays = int(days)
	switch v := get(CtxJWTAuthorizer).(type) {
	case nil:
	case bool:
		s.JWTAuthorizer = v
	case string:
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: want true or false, got %q", CtxJWTAuthorizer, v))
		}
		s.JWTAuthorizer = b
	default:
		errs = append(errs, fmt.Sprintf("%s: want true or false, got %v", CtxJWTAuthorizer, v))
	}
	origins, bad := corsOrigins(get(CtxCORSOrigins))
	s.CORSOrigins = append(s.CORSOrigins, origins...)
	errs = append(errs, bad...)
	if len(errs) == 0 {
		if err := s.Validate(); err != nil {
			return s, err
		}
		return s, nil
	}
	return s, fmt.Errorf("infra: context: %s", strings.Join(errs, "; "))
}

// corsOrigins reads the corsOrigins context value v, a comma-separated
// string as -c passes it or a JSON list as cdk.json holds it, and returns
// the origins and what is wrong with v.
func corsOrigins(v any) (origins, errs []string) {
	switch v := v.(type) {
	case nil:
	case string: // -c corsOrigins=https://a.example,https://b.example
		for o := range strings.SplitSeq(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				origins = append(origins, o)
			}
		}
	case []any:
		for _, o := range v {
			str, ok := o.(string)
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: want strings, got %v", CtxCORSOrigins, o))
				continue
			}
			origins = append(origins, str)
		}
	default:
		errs = append(errs, fmt.Sprintf("%s: want a list of origins, got %v", CtxCORSOrigins, v))
	}
	return origins, errs
}

// stagePattern and originPattern are what Validate accepts as a stage and
// as a CORS origin.
var (
	stagePattern  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	originPattern = regexp.MustCompile(`^https?://[^/*\s]+$`)
)

// httpsURL reports whether raw is an absolute https URL with a host.
func httpsURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// Validate reports every invalid field in one error.
func (s Settings) Validate() error {
	var errs []string
	if !stagePattern.MatchString(s.Stage) {
		errs = append(errs, fmt.Sprintf("%s %q: lower-case letters, digits and '-', starting with a letter, at most 20", CtxStage, s.Stage))
	}
	switch s.ProviderMode {
	case config.ProviderSandbox, config.ProviderLive:
	default:
		errs = append(errs, fmt.Sprintf("%s %q: want %q or %q", CtxProviderMode, s.ProviderMode, config.ProviderSandbox, config.ProviderLive))
	}
	for _, o := range s.CORSOrigins {
		if !originPattern.MatchString(o) {
			errs = append(errs, fmt.Sprintf("%s: %q is not an origin such as https://shop.example.com (no path, no wildcard)", CtxCORSOrigins, o))
		}
	}
	if s.AlarmEmail != "" && !strings.Contains(s.AlarmEmail, "@") {
		errs = append(errs, fmt.Sprintf("%s %q: not an e-mail address", CtxAlarmEmail, s.AlarmEmail))
	}
	if s.JWTIssuer == "" || s.JWTAudience == "" {
		errs = append(errs, fmt.Sprintf("%s and %s must not be empty", CtxJWTIssuer, CtxJWTAudience))
	}
	if s.JWTAuthorizer && !strings.HasPrefix(s.JWTIssuer, "https://") {
		errs = append(errs, fmt.Sprintf("%s needs %s to be an https:// OpenID issuer, got %q", CtxJWTAuthorizer, CtxJWTIssuer, s.JWTIssuer))
	}
	if _, ok := retentions[s.LogRetentionDays]; !ok {
		errs = append(errs, fmt.Sprintf("%s %d: not a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)", CtxLogRetentionDays, s.LogRetentionDays))
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Sprintf("%s %q: want debug, info, warn or error", CtxLogLevel, s.LogLevel))
	}
	if s.APIRateLimit <= 0 || s.APIBurstLimit <= 0 {
		errs = append(errs, fmt.Sprintf("%s and %s must be positive", CtxAPIRateLimit, CtxAPIBurstLimit))
	}
	// Parse the grace as the sweeper will, so a bad value fails here.
	if _, err := config.Load(func(k string) string {
		if k == config.EnvSweepGrace {
			return s.SweepGrace
		}
		return ""
	}); err != nil {
		errs = append(errs, fmt.Sprintf("%s %q: %v", CtxSweepGrace, s.SweepGrace, err))
	}
	switch s.ConsoleSignIn {
	case ConsoleCognito, ConsoleOff:
	case ConsoleOIDC:
		if !strings.HasPrefix(s.JWTIssuer, "https://") || s.ConsoleClientID == "" ||
			!httpsURL(s.ConsoleAuthorizeURL) || !httpsURL(s.ConsoleTokenURL) {
			errs = append(errs, fmt.Sprintf("%s %q needs %s to be an https:// OpenID issuer, %s its console client and %s and %s its https:// endpoints",
				CtxConsoleSignIn, ConsoleOIDC, CtxJWTIssuer, CtxConsoleClientID, CtxConsoleAuthorizeURL, CtxConsoleTokenURL))
		}
	default:
		errs = append(errs, fmt.Sprintf("%s %q: want %q, %q or %q", CtxConsoleSignIn, s.ConsoleSignIn, ConsoleCognito, ConsoleOIDC, ConsoleOff))
	}
	if s.SecretsRevision == "" {
		errs = append(errs, CtxSecretsRevision+" must not be empty")
	}
	if len(errs) > 0 {
		return fmt.Errorf("infra: settings: %s", strings.Join(errs, "; "))
	}
	return nil
}
