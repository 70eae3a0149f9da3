package sfnlocal

import (
	"fmt"
	"testing"

	"github.com/aftersales/aftersales/infra/local/vclock"
)

// TestPathResultsInDocumentOrder runs each wildcard, filter and deep-scan
// path over objects 100 times and wants the matches in document order
// every time, as Step Functions returns them. The keys are deliberately
// neither sorted nor few, so that neither sorting nor Go's random map
// iteration can pass by luck.
func TestPathResultsInDocumentOrder(t *testing.T) {
	const doc = `{
	  "o": {"zeta": {"x": 1, "v": "z"}, "beta": {"x": 0, "v": "b"}, "yak": {"x": 2, "v": "y"}, "alpha": {"x": 3, "v": "a"},
	        "mu": {"x": 4, "v": "m"}, "kappa": {"x": -1, "v": "k"}, "delta": {"x": 5, "v": "d"}, "omega": {"x": 6, "v": "w"}},
	  "v": "top",
	  "list": [{"v": "l0"}, {"q": {"v": "l1"}}]
	}`
	tests := []struct {
		name string
		path string
		want string
	}{
		{"wildcard over an object", "$.o.*.v", `["z","b","y","a","m","k","d","w"]`},
		{"wildcard values", "$.o.*.x", `[1,0,2,3,4,-1,5,6]`},
		{"bracket wildcard", "$.o[*].v", `["z","b","y","a","m","k","d","w"]`},
		{"filter over an object", "$.o[?(@.x > 0)].v", `["z","y","a","m","d","w"]`},
		// Jayway JsonPath, which Step Functions uses, reports a node's own
		// match before those of its children, children in document order.
		{"deep scan", "$..v", `["top","z","b","y","a","m","k","d","w","l0","l1"]`},
		{"deep scan below a key", "$.o..v", `["z","b","y","a","m","k","d","w"]`},
	}
	in, err := decodeJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := compilePath(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			ok := 0
			var last string
			for i := 0; i < 100; i++ {
				got, _ := p.get(env{input: in})
				last = encodeJSON(got)
				if last == tc.want {
					ok++
				}
			}
			if ok != 100 {
				t.Errorf("%s: document order in %d of 100 runs; last got %s, want %s", tc.path, ok, last, tc.want)
			}
		})
	}
}

// TestExecutionKeepsDocumentOrder runs a state machine 100 times whose
// Pass state selects with a wildcard, a filter and a deep scan, and whose
// output copies an object, comparing the whole output string each time:
// the output keeps the input's key order too.
func TestExecutionKeepsDocumentOrder(t *testing.T) {
	const def = `{"StartAt": "Pick", "States": {"Pick": {"Type": "Pass", "Parameters": {
	  "all.$": "$.o.*", "positive.$": "$.o[?(@ > 0)]", "deep.$": "$..n", "copy.$": "$.o"}, "End": true}}}`
	const input = `{"o": {"q": 3, "c": -1, "x": 2, "a": 1, "m": 5, "n": 7}}`
	const want = `{"all":[3,-1,2,1,5,7],"positive":[3,2,1,5,7],"deep":[7],"copy":{"q":3,"c":-1,"x":2,"a":1,"m":5,"n":7}}`
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	m, err := s.CreateStateMachine("order", def, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	var last string
	for i := 0; i < 100; i++ {
		e, err := s.StartExecution(m.ARN, fmt.Sprintf("run-%d", i), input)
		if err != nil {
			t.Fatal(err)
		}
		last = runToCompletion(t, s, c, e.ARN).Output
		if last == want {
			ok++
		}
	}
	if ok != 100 {
		t.Errorf("document order in %d of 100 executions; last output %s, want %s", ok, last, want)
	}
}

// TestStringComparisonsUseJavaOrder checks the documented Java compareTo
// order: U+FF5E (a BMP character) sorts after U+1F600 (encoded as a
// surrogate pair starting 0xD83D), unlike Go's byte order.
func TestStringComparisonsUseJavaOrder(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"ascii", "a", "b", -1},
		{"prefix", "ab", "abc", -1},
		{"equal", "é", "é", 0},
		{"surrogate pair before high BMP", "\U0001F600", "\uFF5E", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := compareUTF16(tc.a, tc.b); got != tc.want {
				t.Errorf("compareUTF16(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
