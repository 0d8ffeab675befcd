package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// progress shows how far a run's fetching has got: a bar redrawn in place
// on a terminal, a log line every tenth of the way otherwise (a bar in a
// log file is noise).
type progress struct {
	w     io.Writer
	tty   bool
	total int
	last  int // the tenth last logged, or the width last drawn
	logf  func(done, total, failed int)
}

func newProgress(w io.Writer, total int, logf func(done, total, failed int)) *progress {
	p := &progress{w: w, total: total, logf: logf}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

const barWidth = 30

// update is called after each feed, from one goroutine.
func (p *progress) update(done, failed int) {
	if p.total == 0 {
		return
	}
	if p.tty {
		filled := done * barWidth / p.total
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d feeds, %d failed ", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), done, p.total, failed)
		if done == p.total {
			fmt.Fprintln(p.w)
		}
		return
	}
	if p.total < 20 {
		return // a short run's summary line says it all
	}
	if tenth := done * 10 / p.total; tenth > p.last {
		p.last = tenth
		p.logf(done, p.total, failed)
	}
}
