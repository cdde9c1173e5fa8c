package storetest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// BenchSizes are the company sizes, in people with three connections each, at which the
// benchmarks measure.
var BenchSizes = []int{1_000, 10_000, 100_000}

// Percentile returns the p-th percentile (0 < p < 100) of took, which it sorts.
func Percentile(took []time.Duration, p float64) time.Duration {
	if len(took) == 0 {
		return 0
	}
	slices.Sort(took)
	i := int(float64(len(took)) * p / 100)
	return took[min(i, len(took)-1)]
}

// Millis is d in milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// PrintFigure writes one figure at every size measured, and the ratio of the largest size's
// to the smallest's, so the growth with company size shows whatever the machine's noise:
//
//	store change p50: 0.41 ms at 1,000 people, 0.44 ms at 10,000, 0.52 ms at 100,000; 100,000/1,000 = 1.27 (target <= 5 ms at 100,000)
func PrintFigure(w io.Writer, what, unit string, bySize map[int]float64, target string) {
	printFigure(w, what, unit, BenchSizes, "people", bySize, target)
}

// AdminBenchSizes are the numbers of connections at which the admin page is measured.
var AdminBenchSizes = []int{10_000, 100_000}

// PrintConnectionsFigure is PrintFigure for a figure measured at AdminBenchSizes connections.
func PrintConnectionsFigure(w io.Writer, what, unit string, bySize map[int]float64, target string) {
	printFigure(w, what, unit, AdminBenchSizes, "connections", bySize, target)
}

// printFigure writes one figure at each of sizes (counted in noun) measured, and the ratio
// of the largest size's to the smallest's.
func printFigure(w io.Writer, what, unit string, all []int, noun string, bySize map[int]float64, target string) {
	var sizes []int
	for _, n := range all {
		if _, ok := bySize[n]; ok {
			sizes = append(sizes, n)
		}
	}
	if len(sizes) == 0 {
		return
	}
	var parts []string
	for i, n := range sizes {
		counted := ""
		if i == 0 {
			counted = " " + noun
		}
		parts = append(parts, fmt.Sprintf("%.2f %s at %s%s", bySize[n], unit, thousands(n), counted))
	}
	small, large := sizes[0], sizes[len(sizes)-1]
	line := fmt.Sprintf("%s: %s", what, strings.Join(parts, ", "))
	if large != small && bySize[small] != 0 {
		line += fmt.Sprintf("; %s/%s = %.2f", thousands(large), thousands(small), bySize[large]/bySize[small])
	}
	if target != "" {
		line += " (target " + target + ")"
	}
	fmt.Fprintln(w, line)
}

// thousands writes n with a comma every three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
