package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// accessLog writes one Info line per request: method, route pattern,
// status and duration in milliseconds. The route is the mux pattern, as in
// the latency metric (instrument), so a line never carries a token from
// the path (/l/{token}) and lines group by route. It builds the record
// with LogAttrs, which stores up to five attributes without allocating,
// so the cost per request is the handler's write. Below Info it is not
// installed at all.
func accessLog(next http.Handler, log *slog.Logger) http.Handler {
	if !log.Enabled(context.Background(), slog.LevelInfo) {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern // set by the mux, or by admission control when it sheds
		if route == "" {
			route = "unmatched"
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", rec.code),
			slog.Float64("duration_ms", durationMillis(time.Since(start))))
	})
}

// durationMillis is d in milliseconds with microsecond precision: 12.345 reads
// better in a log line than 12345000 ns.
func durationMillis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
