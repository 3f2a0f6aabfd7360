package platform

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsPath is where NewEcho exposes the Prometheus metrics.
const MetricsPath = "/metrics"

// Metrics is the registry served on /metrics. It is dedicated (not the
// global default registry) so that only collectors the product chose are
// exposed; other packages register their collectors here.
var Metrics = prometheus.NewRegistry()

var (
	httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "astra",
		Subsystem: "http",
		Name:      "requests_total",
		Help:      "HTTP requests handled, by method, route template and status.",
	}, []string{"method", "route", "status"})

	httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "astra",
		Subsystem: "http",
		Name:      "request_duration_seconds",
		Help:      "HTTP request latency, by method, route template and status.",
		Buckets:   prometheus.DefBuckets,
	}, []string{"method", "route", "status"})
)

func init() {
	Metrics.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		httpRequests,
		httpDuration,
	)
}

// unmatchedRoute labels requests no route matched, so that scanners probing
// random URLs cannot blow up label cardinality.
const unmatchedRoute = "unmatched"

// metricsMiddleware records request counts and latency. The route label is
// the template (c.Path()), never the raw URL, to keep cardinality bounded.
func metricsMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = unmatchedRoute
		}
		status := strconv.Itoa(finalStatus(c, err))
		method := c.Request().Method
		httpRequests.WithLabelValues(method, route, status).Inc()
		httpDuration.WithLabelValues(method, route, status).Observe(time.Since(start).Seconds())
		return err
	}
}

// metricsHandler serves the dedicated registry.
func metricsHandler() echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(Metrics, promhttp.HandlerOpts{
		Registry: Metrics,
		// Serve what can be gathered even if one collector fails.
		ErrorHandling: promhttp.ContinueOnError,
	}))
}
