package storetest

import (
	"testing"
	"time"
)

func TestFakeClock(t *testing.T) {
	c := NewFakeClock(Epoch.In(time.FixedZone("CST", 8*3600)))
	steps := []struct {
		name string
		move func()
		want time.Time
	}{
		{"starts where told, in UTC", func() {}, Epoch},
		{"advances", func() { c.Advance(48 * time.Hour) }, Epoch.Add(48 * time.Hour)},
		{"goes back when set", func() { c.Set(Epoch.Add(-time.Second)) }, Epoch.Add(-time.Second)},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.move()
			if got := c.Now(); !got.Equal(st.want) || got.Location() != time.UTC {
				t.Fatalf("now %v, want %v in UTC", got, st.want)
			}
		})
	}
}
