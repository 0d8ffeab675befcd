package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// waitErr waits for ListenAndServe/Serve to return; the bound is a safety net
// for a hung shutdown, not a sleep.
func waitErr(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("server did not return after ctx was cancelled")
		return nil
	}
}

func TestServeShutsDownOnCancel(t *testing.T) {
	s := New(Options{})
	s.Publish(Snapshot{Files: map[string][]byte{FileAtom: []byte("<feed/>")}, Generated: t0})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()

	// The listener is bound before Serve starts, so the request queues on it.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	r, err := c.Get("http://" + ln.Addr().String() + "/feed.atom")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || string(b) != "<feed/>" {
		t.Fatalf("got %d %q", r.StatusCode, b)
	}

	cancel()
	if err := waitErr(t, errc); err != nil {
		t.Fatalf("Serve returned %v, want nil on clean shutdown", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("still accepting connections after shutdown")
	}
}

func TestListenAndServe(t *testing.T) {
	s := New(Options{})
	s.Publish(Snapshot{Files: map[string][]byte{FileJSON: []byte(`{"items":[]}`)}, Generated: t0})
	addrc := make(chan net.Addr, 1)
	s.listenHook = func(a net.Addr) { addrc <- a }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe(ctx, "127.0.0.1:0") }()

	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-errc:
		t.Fatalf("ListenAndServe returned early: %v", err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	r, err := (&http.Client{Transport: tr}).Get("http://" + addr.String() + "/feed.json")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/feed+json; charset=utf-8" {
		t.Fatalf("got %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	cancel()
	if err := waitErr(t, errc); err != nil {
		t.Fatalf("ListenAndServe returned %v, want nil", err)
	}
}

func TestListenAndServeAddrInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = New(Options{}).ListenAndServe(context.Background(), busy.Addr().String())
	if err == nil {
		t.Fatal("ListenAndServe on a busy port returned nil")
	}
}

// Shutdown waits for an in-flight request to finish before returning.
func TestShutdownLetsRequestFinish(t *testing.T) {
	s := New(Options{})
	s.Publish(Snapshot{Files: map[string][]byte{FileAtom: []byte("<feed/>")}, Generated: t0})
	entered, release := make(chan struct{}), make(chan struct{})
	inner := s.handler
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		inner.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()

	type result struct {
		code int
		body string
		err  error
	}
	resc := make(chan result, 1)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	go func() {
		r, err := (&http.Client{Transport: tr}).Get("http://" + ln.Addr().String() + "/feed.atom")
		if err != nil {
			resc <- result{err: err}
			return
		}
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		resc <- result{r.StatusCode, string(b), err}
	}()
	<-entered
	cancel() // shutdown starts while the request is in its handler
	select {
	case err := <-errc:
		t.Fatalf("Serve returned (%v) before the in-flight request finished", err)
	default:
	}
	close(release)
	res := <-resc
	if res.err != nil || res.code != 200 || res.body != "<feed/>" {
		t.Fatalf("in-flight request: %+v", res)
	}
	if err := waitErr(t, errc); err != nil {
		t.Fatalf("Serve returned %v", err)
	}
}
