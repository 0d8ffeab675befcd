package server

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Label values for Metrics.Runs and Metrics.Fetches.
const (
	ResultOK          = "ok"
	ResultNotModified = "not_modified"
	ResultError       = "error"
)

// Metrics are the counters and gauges the pipeline updates; /metrics exposes
// them (all prefixed "aggregate_").
type Metrics struct {
	Runs         *prometheus.CounterVec // aggregate_runs_total{result="ok"|"error"}
	RunDuration  prometheus.Histogram   // aggregate_run_duration_seconds
	Fetches      *prometheus.CounterVec // aggregate_fetches_total{result="ok"|"not_modified"|"error"}
	Items        prometheus.Gauge       // aggregate_items: items in the merged feed
	Clusters     prometheus.Gauge       // aggregate_clusters: stories (clusters) known
	CopiesMerged prometheus.Gauge       // aggregate_copies_merged: copies folded into another story

	// Set by the server itself.
	LastSuccess       prometheus.Gauge       // aggregate_last_success_timestamp_seconds (from SetHealth)
	SnapshotGenerated prometheus.Gauge       // aggregate_snapshot_generated_timestamp_seconds (from Publish)
	HTTPResponses     *prometheus.CounterVec // aggregate_http_responses_total{route,code}
}

// ObserveRun counts one finished run and records its duration.
func (m *Metrics) ObserveRun(d time.Duration, err error) {
	result := ResultOK
	if err != nil {
		result = ResultError
	}
	m.Runs.WithLabelValues(result).Inc()
	m.RunDuration.Observe(d.Seconds())
}

func newMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		Runs: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aggregate_runs_total",
			Help: "Pipeline runs, by result.",
		}, []string{"result"})),
		RunDuration: register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "aggregate_run_duration_seconds",
			Help:    "Duration of pipeline runs.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		})),
		Fetches: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aggregate_fetches_total",
			Help: "Source feed fetches, by result.",
		}, []string{"result"})),
		Items: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aggregate_items",
			Help: "Items in the merged feed after the last run.",
		})),
		Clusters: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aggregate_clusters",
			Help: "Story clusters after the last run.",
		})),
		CopiesMerged: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aggregate_copies_merged",
			Help: "Copies merged into another story's cluster after the last run.",
		})),
		LastSuccess: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aggregate_last_success_timestamp_seconds",
			Help: "Unix time of the last successful run.",
		})),
		SnapshotGenerated: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aggregate_snapshot_generated_timestamp_seconds",
			Help: "Unix time the served snapshot was generated.",
		})),
		HTTPResponses: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aggregate_http_responses_total",
			Help: "HTTP responses served, by route and status code.",
		}, []string{"route", "code"})),
	}
	// Make every expected series visible at 0 from the start.
	for _, r := range []string{ResultOK, ResultError} {
		m.Runs.WithLabelValues(r)
	}
	for _, r := range []string{ResultOK, ResultNotModified, ResultError} {
		m.Fetches.WithLabelValues(r)
	}
	register(reg, collectors.NewGoCollector())
	register(reg, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// register adds c to reg. If an equal collector is already there (a second
// Server on the same registry), it returns that one, so both share it.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("server: registering metric: " + err.Error())
	}
	return c
}
