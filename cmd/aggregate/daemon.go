package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/server"
)

// shutdownGrace bounds how long a run still going at SIGTERM may take to
// finish before it is cancelled.
const shutdownGrace = 30 * time.Second

// daemon runs the pipeline now and then on the schedule, and serves what
// the last successful run produced, until ctx is done.
func (m *Main) daemon(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	sched, err := cron.ParseStandard(cfg.Schedule)
	if err != nil {
		return fmt.Errorf("schedule %q: %w", cfg.Schedule, err)
	}
	clk := m.Clock
	srv := server.New(server.Options{
		Now:        clk.Now,
		StaleAfter: staleAfter(sched, clk.Now()),
		Logger:     log,
	})
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Server.Listen, err)
	}
	log.Info("serving the merged feed", "addr", ln.Addr().String(), "schedule", cfg.Schedule)
	if m.OnListen != nil {
		m.OnListen(ln.Addr())
	}
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ctx, ln) }()

	p := newPipeline(cfg, m.db, log, clk)
	// The daemon returns once its runs are over (it waits for them).
	defer p.close()
	// Runs get their own context: SIGTERM stops new runs at once but lets
	// the current one finish, up to shutdownGrace.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	var (
		running atomic.Bool
		wg      sync.WaitGroup
		lastOK  time.Time
		mu      sync.Mutex
	)
	tick := func() {
		if !running.CompareAndSwap(false, true) {
			log.Warn("previous run still going; skipping this one")
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer running.Store(false)
			start := clk.Now()
			srv.SetHealth(server.Health{LastRun: start, LastOK: lastOKTime(&mu, &lastOK), Running: true})
			st, err := safeRun(runCtx, p)
			srv.Metrics().ObserveRun(clk.Now().Sub(start), err)
			h := server.Health{LastRun: start}
			if err != nil {
				log.Error("run failed", "error", err)
				h.LastError = err.Error()
			} else {
				srv.Publish(server.Snapshot{Files: st.Output, Generated: start})
				mu.Lock()
				lastOK = start
				mu.Unlock()
			}
			if st != nil {
				observeStats(srv.Metrics(), st)
			}
			h.LastOK = lastOKTime(&mu, &lastOK)
			srv.SetHealth(h)
			if m.OnRun != nil {
				m.OnRun(st, err)
			}
		}()
	}

	tick()
	for {
		next := sched.Next(clk.Now())
		select {
		case <-ctx.Done():
			log.Info("stopping: no new runs; waiting for the current one", "grace", shutdownGrace)
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-clk.After(shutdownGrace):
				log.Warn("run did not finish in time; cancelling it")
				cancelRuns()
				<-done
			}
			if err := <-srvDone; err != nil {
				return err
			}
			log.Info("stopped")
			return nil
		case <-clk.After(next.Sub(clk.Now())):
			tick()
		}
	}
}

func lastOKTime(mu *sync.Mutex, t *time.Time) time.Time {
	mu.Lock()
	defer mu.Unlock()
	return *t
}

// safeRun runs the pipeline, turning a panic into an error so that one bad
// run never takes the daemon down.
func safeRun(ctx context.Context, p *pipeline) (st *stats, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("run panicked: %v", r)
		}
	}()
	return p.run(ctx)
}

func observeStats(m *server.Metrics, st *stats) {
	m.Fetches.WithLabelValues(server.ResultOK).Add(float64(st.FeedsOK - st.NotModified))
	m.Fetches.WithLabelValues(server.ResultNotModified).Add(float64(st.NotModified))
	m.Fetches.WithLabelValues(server.ResultError).Add(float64(st.FeedsFailed))
	m.Items.Set(float64(st.Items))
	m.Clusters.Set(float64(st.Entries))
	m.CopiesMerged.Set(float64(st.Merged))
}

// staleAfter is how long /healthz tolerates no successful run: three
// schedule periods, and at least five minutes.
func staleAfter(s cron.Schedule, now time.Time) time.Duration {
	a := s.Next(now)
	period := s.Next(a).Sub(a)
	return max(3*period, 5*time.Minute)
}
