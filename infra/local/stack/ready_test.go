package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/vclock"
)

// syncBuffer is a log destination the stack's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServesOnlyWhenReady: a newcomer calling the API while the stack
// starts gets the seeded orders in the very first answer, never an empty
// list, and the stack says it is ready on one log line.
func TestServesOnlyWhenReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	// The client starts first and asks until it gets an answer.
	first := make(chan []json.RawMessage, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	go func() {
		defer close(first)
		for ctx.Err() == nil {
			res, err := http.Get("http://" + addr + "/dev/orders")
			if err != nil {
				continue // not listening yet
			}
			var page struct{ Items []json.RawMessage }
			err = json.NewDecoder(res.Body).Decode(&page)
			res.Body.Close()
			if err == nil {
				first <- page.Items
			}
			return
		}
	}()

	logs := &syncBuffer{}
	st, err := Start(context.Background(), Options{AnyPorts: true, Addr: addr, Seed: true, Clock: vclock.New(start),
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	orders := <-first
	if want := len(SeedOrders(start)); len(orders) != want {
		t.Fatalf("the first answer listed %d orders, want the %d seeded", len(orders), want)
	}
	var ready []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"ready"`) {
			ready = append(ready, line)
		}
	}
	if len(ready) != 1 || !strings.Contains(ready[0], `"api":"http://`+addr+`"`) {
		t.Fatalf("ready lines %q, want one naming the API", ready)
	}
}
