package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	a := f.After(time.Minute)
	b := f.After(time.Hour)
	<-f.Waiting()
	<-f.Waiting()
	if f.Pending() != 2 {
		t.Fatalf("pending %d", f.Pending())
	}
	f.Advance(30 * time.Second)
	select {
	case <-a:
		t.Fatal("fired early")
	default:
	}
	f.Advance(30 * time.Second)
	if got := <-a; !got.Equal(start.Add(time.Minute)) {
		t.Errorf("fired at %v", got)
	}
	select {
	case <-b:
		t.Fatal("hour waiter fired after a minute")
	default:
	}
	f.Advance(time.Hour)
	<-b
	if f.Pending() != 0 || !f.Now().Equal(start.Add(61*time.Minute)) {
		t.Errorf("pending %d now %v", f.Pending(), f.Now())
	}
	select {
	case <-f.After(0):
	default:
		t.Error("After(0) did not fire at once")
	}
}

func TestReal(t *testing.T) {
	var c Clock = Real{}
	if d := time.Since(c.Now()); d < 0 || d > time.Minute {
		t.Errorf("Real.Now off by %v", d)
	}
	<-c.After(time.Millisecond)
}
