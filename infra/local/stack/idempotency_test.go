package stack

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentRetriesOfOneKey is issue 13's defect 4 as it was found:
// twenty parallel POST /v1/cases with one Idempotency-Key and one body, over
// HTTP, through the DynamoDB adapter. One case is opened; every answer is
// its 201, byte for byte, or the 409 that says the key is in progress (with
// Retry-After); none is the line-held 409 of its own twin's case.
func TestConcurrentRetriesOfOneKey(t *testing.T) {
	st := startStack(t)
	tok, err := st.Token("buyer-1", "buyer")
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(refundApp("o-1001", "l1", 1))
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		header http.Header
		body   []byte
		err    error
	}
	post := func() answer {
		req, err := http.NewRequest("POST", st.URL+"/v1/cases", bytes.NewReader(body))
		if err != nil {
			return answer{err: err}
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", "tap-tap")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return answer{err: err}
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return answer{res.StatusCode, res.Header, bytes.TrimSpace(b), err}
	}

	const n = 20
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			answers[i] = post()
		})
	}
	close(start)
	wg.Wait()

	var created []byte
	inProgress := 0
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Fatalf("request %d: %v", i, a.err)
		case a.status == http.StatusCreated && created == nil:
			created = a.body
		case a.status == http.StatusCreated && !bytes.Equal(a.body, created):
			t.Errorf("request %d: 201 %s\nwant the first 201\n%s", i, a.body, created)
		case a.status == http.StatusCreated:
		case a.status == http.StatusConflict:
			var p problemBody
			if err := json.Unmarshal(a.body, &p); err != nil || p.Type != "urn:aftersales:problem:idempotency-key-in-progress" ||
				a.header.Get("Retry-After") == "" {
				t.Errorf("request %d: 409 %s (Retry-After %q), want only the key-in-progress 409", i, a.body, a.header.Get("Retry-After"))
			}
			inProgress++
		default:
			t.Errorf("request %d: %d %s", i, a.status, a.body)
		}
	}
	if created == nil {
		t.Fatal("no request got the case's 201")
	}
	var page struct {
		Items []caseBody `json:"items"`
	}
	st.as(t, "buyer-1", "buyer").do("GET", "/v1/cases", nil).decode(t, &page)
	opened := 0
	for _, c := range page.Items {
		if c.OrderID == "o-1001" {
			opened++
		}
	}
	if opened != 1 {
		t.Errorf("%d cases on o-1001, want one", opened)
	}
	t.Logf("%d answered 201, %d told the key is in progress", n-inProgress, inProgress)
}
