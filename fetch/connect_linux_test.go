package fetch

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// silentListener returns the address of a socket that listens but never
// accepts, with its one-place backlog already taken, so a new connection's
// SYN goes unanswered: the loopback stand-in for a host that drops packets.
func silentListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Skip(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Skip(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Skip(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	// Fill the backlog until a connection attempt hangs.
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 50*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("this kernel answers every SYN; cannot provoke a connect timeout")
	return ""
}

func TestConnectTimeout(t *testing.T) {
	addr := silentListener(t)
	f := New(Options{ConnectTimeout: 100 * time.Millisecond, Timeout: time.Minute})
	url := "http://" + addr + "/feed.xml"
	start := time.Now()
	_, err := f.Fetch(t.Context(), Request{URL: url})
	took := time.Since(start)
	if err == nil {
		t.Fatal("connected to a host that never answers")
	}
	t.Log(err)
	if took > 10*time.Second {
		t.Errorf("gave up after %v; the connect timeout is 100ms", took)
	}
	var ne net.Error
	if !strings.HasPrefix(err.Error(), "fetch "+url+": dial tcp ") || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a dial timeout", err)
	}
	if strings.Contains(err.Error(), "timed out after") {
		t.Errorf("err = %v: the connect timeout, not the total one, should have fired", err)
	}
}
