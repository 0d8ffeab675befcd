package main

import (
	"bytes"
	"fmt"
	"testing"
)

func TestProgressLogsTenths(t *testing.T) {
	var lines []string
	p := newProgress(&bytes.Buffer{}, 50, func(done, total, failed int) {
		lines = append(lines, fmt.Sprintf("%d/%d/%d", done, total, failed))
	})
	for i := 1; i <= 50; i++ {
		p.update(i, i/10)
	}
	if len(lines) != 10 || lines[0] != "5/50/0" || lines[9] != "50/50/5" {
		t.Errorf("lines %v", lines)
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 4, nil)
	p.tty = true // a terminal, as far as drawing goes
	for i := 1; i <= 4; i++ {
		p.update(i, 1)
	}
	want := "\r[" + "###############" + "..............." + "] 2/4 feeds, 1 failed "
	if !bytes.Contains(buf.Bytes(), []byte(want)) || !bytes.HasSuffix(buf.Bytes(), []byte("4/4 feeds, 1 failed \n")) {
		t.Errorf("drawn %q", buf.String())
	}
}

func TestProgressQuietForShortRuns(t *testing.T) {
	called := false
	p := newProgress(&bytes.Buffer{}, 5, func(int, int, int) { called = true })
	for i := 1; i <= 5; i++ {
		p.update(i, 0)
	}
	if called {
		t.Error("a five-feed run logged progress")
	}
}
