// Command local runs the whole after-sales system on this machine: the HTTP
// API on 127.0.0.1:8080 and emulated AWS services on their usual local ports,
// with demo data. See the printed quick start. `local bench [flags]` runs
// the promotion-day benchmark instead (package bench).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aftersales/aftersales/infra/local/bench"
	"github.com/aftersales/aftersales/infra/local/quota"
	"github.com/aftersales/aftersales/infra/local/stack"
	"github.com/aftersales/aftersales/infra/local/vclock"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bench" {
		os.Exit(bench.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	var o stack.Options
	flag.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address of the HTTP API")
	flag.StringVar(&o.DynamoAddr, "dynamodb-addr", "127.0.0.1:8000", "address of the emulated DynamoDB")
	flag.StringVar(&o.S3Addr, "s3-addr", "127.0.0.1:9000", "address of the emulated S3")
	flag.StringVar(&o.SFNAddr, "sfn-addr", "127.0.0.1:8083", "address of the local Step Functions")
	flag.StringVar(&o.SQSAddr, "sqs-addr", "127.0.0.1:9324", "address of the local SQS")
	flag.StringVar(&o.WeChatPayAddr, "wechatpay-addr", "127.0.0.1:8091", "address of the WeChat Pay sandbox")
	flag.StringVar(&o.AlipayAddr, "alipay-addr", "127.0.0.1:8092", "address of the Alipay sandbox")
	flag.StringVar(&o.WeChatMsgAddr, "wechat-addr", "127.0.0.1:8093", "address of the WeChat subscribe message stand-in")
	flag.StringVar(&o.SMSAddr, "sms-addr", "127.0.0.1:8094", "address of the SMS (End User Messaging) stand-in")
	flag.StringVar(&o.EventsAddr, "events-addr", "127.0.0.1:8095", "address of the EventBridge PutEvents stand-in (state machines' events:putEvents)")
	flag.StringVar(&o.Kuaidi100Addr, "kuaidi100-addr", "127.0.0.1:8096", "address of the Kuaidi100 stand-in (courier tracking, pickups, interceptions)")
	flag.StringVar(&o.MallAddr, "mall-addr", "127.0.0.1:8097", "address of the stand-in of the mall's coupon service (F18)")
	flag.DurationVar(&o.RefundDelay, "refund-delay", 2*time.Second, "how long the WeChat Pay sandbox keeps a refund processing before it notifies success")
	flag.BoolVar(&o.Seed, "seed", true, "load the demo orders")
	demo := flag.Bool("demo-cases", true, "open three cases waiting for review, for the console (needs -seed)")
	speed := flag.Float64("speed", 1, "how many times faster than wall time the clock runs (deadlines come sooner)")
	level := flag.String("log-level", "info", "log level: debug, info, warn, error")
	cloudQuotas := flag.Bool("cloud-quotas", false, "enforce AWS's default quotas with AWS's throttling errors (docs/PERFORMANCE.md, \"Cloud quotas\")")
	flag.Parse()
	if *cloudQuotas {
		q := quota.Defaults()
		o.CloudQuotas = &q
	}
	if err := run(o, *speed, *level, *demo); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run(o stack.Options, speed float64, level string, demo bool) error {
	if speed <= 0 {
		return fmt.Errorf("--speed must be positive, got %v", speed)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	o.Clock = vclock.Accelerated(speed)
	o.Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	orphaned, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx, stop := signal.NotifyContext(orphaned, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go watchParent(ctx, os.Getppid, parentCheck, cancel)
	st, err := stack.Start(ctx, o)
	if err != nil {
		return err
	}
	if demo && o.Seed {
		if err := st.DemoCases(ctx); err != nil {
			st.Close()
			return err
		}
	}
	fmt.Print(st.QuickStart())
	fmt.Println("\nPress Ctrl-C to stop.")
	<-ctx.Done()
	stop() // a second Ctrl-C or SIGTERM ends the process at once
	fmt.Printf("\nstopping (work in flight has %s to finish)...\n", stack.ShutdownGrace)
	return st.Close()
}

// parentCheck is how often watchParent looks at the parent process.
const parentCheck = 200 * time.Millisecond

// watchParent calls orphaned when the process that started this one has
// ended. `go run` passes no SIGTERM on: it dies of it and leaves its child,
// the stack, running and holding its ports (Ctrl-C works because the
// terminal signals the whole process group). An orphan is adopted by
// another process (init or a subreaper), so its parent id changes: that is
// what getppid is polled for, every check, until ctx ends.
func watchParent(ctx context.Context, getppid func() int, check time.Duration, orphaned func()) {
	parent := getppid()
	t := time.NewTicker(check)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if getppid() != parent {
				orphaned()
				return
			}
		}
	}
}
