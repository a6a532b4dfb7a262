// Command openloop sends HTTP POSTs at a constant rate, whatever the server's
// speed (an open-loop load generator, like wrk2), and reports latency
// percentiles. Debian's wrk is closed-loop: when the server stalls, wrk stops
// sending, so its percentiles hide the queueing a real client would see
// (coordinated omission). Here request i is due at start + i/rate and goes out
// on a goroutine of its own, so a slow answer never delays the next request.
// Its latency runs from when it went out; only a request held back by
// -max-in-flight (the server fell that far behind) counts from its due time.
// The timer's own lateness (a VM's timer can be a millisecond late) is the
// generator's, so it is reported apart as the send lag, not charged to the server.
//
//	openloop -url URL -body FILE [-header 'K: V']... -rate R -duration 10s
//
// Prints one JSON object on stdout.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

type result struct {
	latency time.Duration
	lag     time.Duration // how late it went out
	ok      bool
}

type report struct {
	URL         string  `json:"url"`
	Rate        float64 `json:"rate"`
	DurationS   float64 `json:"duration_s"`
	Sent        int     `json:"sent"`
	OK          int     `json:"ok"`
	Errors      int     `json:"errors"`
	AchievedRPS float64 `json:"achieved_rps"`
	MaxInFlight int     `json:"max_in_flight"`
	Held        int     `json:"held_by_max_in_flight"`
	LagP99Ms    float64 `json:"send_lag_p99_ms"`
	P50Ms       float64 `json:"p50_ms"`
	P90Ms       float64 `json:"p90_ms"`
	P99Ms       float64 `json:"p99_ms"`
	P999Ms      float64 `json:"p999_ms"`
	MaxMs       float64 `json:"max_ms"`
}

func main() {
	url := flag.String("url", "", "URL to POST to")
	bodyFile := flag.String("body", "", "file holding the request body")
	rate := flag.Float64("rate", 100, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	maxInFlight := flag.Int("max-in-flight", 4096, "requests outstanding at most (late ones still count from their due time)")
	timeout := flag.Duration("timeout", 30*time.Second, "per-request timeout")
	var headers headerList
	flag.Var(&headers, "header", "request header 'Name: value' (repeatable)")
	flag.Parse()
	if *url == "" || *bodyFile == "" || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "openloop: -url, -body and a positive -rate are required")
		os.Exit(2)
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openloop:", err)
		os.Exit(2)
	}

	client := &http.Client{
		Timeout: *timeout,
		Transport: &http.Transport{
			MaxIdleConns:        *maxInFlight,
			MaxIdleConnsPerHost: *maxInFlight,
			IdleConnTimeout:     time.Minute,
		},
	}
	send := func(origin time.Time) result {
		req, err := http.NewRequest(http.MethodPost, *url, bytes.NewReader(body))
		if err != nil {
			return result{time.Since(origin), 0, false}
		}
		// JSON unless told otherwise, as wrk's script does (FastAPI insists on it).
		req.Header.Set("Content-Type", "application/json")
		for _, h := range headers {
			if k, v, found := strings.Cut(h, ":"); found {
				req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			return result{time.Since(origin), 0, false}
		}
		// Read the whole answer: the latency a client sees ends with the last byte.
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return result{time.Since(origin), 0, err == nil && resp.StatusCode < 400}
	}

	interval := time.Duration(float64(time.Second) / *rate)
	total := int(duration.Seconds() * *rate)
	results := make([]result, total)
	slots := make(chan struct{}, *maxInFlight)
	var wg sync.WaitGroup
	inFlight, peak, heldCount := 0, 0, 0
	var mu sync.Mutex
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		held := false
		select {
		case slots <- struct{}{}:
		default:
			held = true
			slots <- struct{}{}
		}
		mu.Lock()
		inFlight++
		if inFlight > peak {
			peak = inFlight
		}
		if held {
			heldCount++
		}
		mu.Unlock()
		wg.Add(1)
		go func(i int, due time.Time, held bool) {
			defer wg.Done()
			origin := time.Now()
			lag := origin.Sub(due)
			if held {
				origin = due
			}
			results[i] = send(origin)
			results[i].lag = lag
			mu.Lock()
			inFlight--
			mu.Unlock()
			<-slots
		}(i, due, held)
	}
	wg.Wait()
	elapsed := time.Since(start)

	r := report{URL: *url, Rate: *rate, DurationS: elapsed.Seconds(), Sent: total, MaxInFlight: peak,
		Held: heldCount}
	var lat, lags []float64
	for _, res := range results {
		if res.ok {
			r.OK++
		} else {
			r.Errors++
		}
		// Failed requests count too: a client waited for them.
		lat = append(lat, float64(res.latency)/float64(time.Millisecond))
		lags = append(lags, float64(res.lag)/float64(time.Millisecond))
	}
	sort.Float64s(lat)
	sort.Float64s(lags)
	r.LagP99Ms = percentile(lags, 0.99)
	pct := func(p float64) float64 { return percentile(lat, p) }
	r.AchievedRPS = float64(r.OK) / elapsed.Seconds()
	r.P50Ms, r.P90Ms, r.P99Ms, r.P999Ms = pct(0.50), pct(0.90), pct(0.99), pct(0.999)
	if len(lat) > 0 {
		r.MaxMs = lat[len(lat)-1]
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

// percentile of sorted values, nearest rank.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)))
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}
