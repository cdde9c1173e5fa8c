// Package metricstest reads a scrape of the portal's metrics for specs, with Prometheus'
// own text parser, as Prometheus would read it.
package metricstest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one scrape, parsed: the metric families by name, and the text as served.
type Scrape struct {
	Families map[string]*dto.MetricFamily
	Text     string
}

// Get scrapes url, which must answer 200 in Prometheus' text format.
func Get(url string) (Scrape, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return Scrape{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Scrape{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Scrape{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		return Scrape{}, fmt.Errorf("GET %s: Content-Type %q is not Prometheus' text format", url, ct)
	}
	return Parse(string(body))
}

// Parse parses a scrape in Prometheus' text format.
func Parse(text string) (Scrape, error) {
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return Scrape{}, err
	}
	return Scrape{Families: families, Text: text}, nil
}

// Type is the type of the family name, or "" when the scrape has none.
func (s Scrape) Type(name string) string {
	f, ok := s.Families[name]
	if !ok {
		return ""
	}
	return strings.ToLower(f.GetType().String())
}

// Series returns the label sets of the family name's series.
func (s Scrape) Series(name string) []map[string]string {
	var out []map[string]string
	if f, ok := s.Families[name]; ok {
		for _, m := range f.GetMetric() {
			out = append(out, labels(m))
		}
	}
	return out
}

// Sum adds up the series of the family name whose labels include the pairs given
// ("service", "crm", ...): their values, or for a histogram their numbers of observations.
func (s Scrape) Sum(name string, pairs ...string) float64 {
	var sum float64
	f, ok := s.Families[name]
	if !ok {
		return 0
	}
	for _, m := range f.GetMetric() {
		if !matches(labels(m), pairs) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func matches(have map[string]string, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		if have[pairs[i]] != pairs[i+1] {
			return false
		}
	}
	return true
}
