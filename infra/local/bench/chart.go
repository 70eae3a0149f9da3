package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// WriteSVG draws the burst as one self-contained SVG (no fonts or scripts to
// fetch): the intake queue's depth over time on the left, the latency
// percentiles of the burst (and the paced run, when there is one) on the
// right. It is what docs/PERFORMANCE.md embeds.
func WriteSVG(w io.Writer, r *Report) error {
	const (
		width, height = 960, 360
		pad           = 48
		plotW, plotH  = 520, height - 2*pad
	)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")

	// Queue depth over time: the Double 11 phase's when it ran.
	in := r.Burst
	title := "Intake queue during a burst of %d applications"
	if r.Double11 != nil {
		in = &r.Double11.Intake
		title = "Intake queue during Double 11 (%d applications, cloud quotas)"
	}
	if in == nil {
		in = &Intake{}
	}
	var maxT int64 = 1
	maxD := 1
	for _, s := range in.QueueDepth {
		maxT = max(maxT, s.AtMS)
		maxD = max(maxD, s.Visible+s.InFlight)
	}
	x := func(ms int64) float64 { return pad + float64(ms)/float64(maxT)*plotW }
	y := func(d int) float64 { return pad + plotH - float64(d)/float64(maxD)*plotH }
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">`+title+`</text>`+"\n", pad, pad-20, in.Submitted)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n",
		pad, pad, pad, pad+plotH, pad, pad+plotH, pad+plotW, pad+plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">%d</text><text x="%d" y="%d" text-anchor="end">0</text>`+"\n",
		pad+plotW-60, pad+plotH+20, time.Duration(maxT)*time.Millisecond, pad-4, pad+4, maxD, pad-4, pad+plotH)
	for _, series := range []struct {
		name, color string
		value       func(DepthSample) int
	}{
		{"visible", "#1f77b4", func(s DepthSample) int { return s.Visible }},
		{"in flight", "#ff7f0e", func(s DepthSample) int { return s.InFlight }},
	} {
		var pts []string
		for _, s := range in.QueueDepth {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.AtMS), y(series.value(s))))
		}
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", series.color, strings.Join(pts, " "))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" fill="%s">%s</text>`+"\n", pad+plotW-80, float64(pad)+map[string]float64{"visible": 14, "in flight": 30}[series.name], series.color, series.name)
	}

	// Latency percentiles, log scale: milliseconds span four decades.
	bars := []struct {
		label string
		d     Duration
	}{
		{"HTTP p50", in.HTTP.P50}, {"HTTP p99", in.HTTP.P99}, {"HTTP max", in.HTTP.Max},
		{"refund p50", in.DecisionLatency.P50}, {"refund p99", in.DecisionLatency.P99},
	}
	if p := r.Paced; p != nil {
		bars = append(bars, struct {
			label string
			d     Duration
		}{"paced refund p50", p.DecisionLatency.P50}, struct {
			label string
			d     Duration
		}{"paced refund p99", p.DecisionLatency.P99})
	}
	left := pad + plotW + 150
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">Latency (log scale)</text>`+"\n", left-130, pad-20)
	for i, bar := range bars {
		ms := float64(time.Duration(bar.d)) / float64(time.Millisecond)
		l := 0.0
		if ms > 0.1 {
			l = logScale(ms) // 0.1 ms .. 10 s -> 0 .. 1
		}
		yy := pad + i*32
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-8, yy+14, bar.label)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="20" fill="#2ca02c"/>`, left, yy, l*200)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(left)+l*200+4, yy+14, time.Duration(bar.d).Round(10*time.Microsecond))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// logScale maps 0.1 ms .. 10 s (five decades) onto 0 .. 1.
func logScale(ms float64) float64 {
	return min(max((math.Log10(ms)+1)/5, 0), 1)
}
