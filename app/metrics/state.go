package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store"
)

// Stats is what the metrics read of the store at each scrape: counts only, each of which a
// database answers with a COUNT through an index, so a scrape costs the same whatever the
// number of people.
type Stats interface {
	// QueueCounts counts the revocation queue (those waiting for an admin included), the
	// queued revocations waiting for an admin, the pending deliveries and the exchange
	// intents not settled yet.
	QueueCounts(ctx context.Context) (store.Counts, error)
	// LiveKeys counts, by service, the keys live at now (not expired; those that never
	// expire included) and, for each of within, how many of them expire no later than
	// now+within[i].
	LiveKeys(ctx context.Context, now time.Time, within []time.Duration) ([]store.LiveKeys, error)
}

// Health is the connector's last health poll of every service in the registry.
type Health interface {
	Health(ctx context.Context) []connector.ServiceHealth
}

// statsTimeout bounds the store's answers to one scrape.
const statsTimeout = 5 * time.Second

// expiryBuckets are the live keys' time-to-expiry buckets: the label value and its span.
var expiryBuckets = []struct {
	label  string
	within time.Duration
}{
	{"1d", 24 * time.Hour},
	{"7d", 7 * 24 * time.Hour},
	{"14d", 14 * 24 * time.Hour},
	{"30d", 30 * 24 * time.Hour},
	{"90d", 90 * 24 * time.Hour},
	{"180d", 180 * 24 * time.Hour},
	{"365d", 365 * 24 * time.Hour},
}

// healthStates are the values of the health label, each service having exactly one.
var healthStates = []connector.Health{connector.HealthHealthy, connector.HealthUnhealthy, connector.HealthUnknown}

// stateCollector reads the gauges of the state at each scrape.
type stateCollector struct {
	stats  Stats
	health Health
	now    func() time.Time

	queued, attention, deliveries, intents *prometheus.Desc
	live, expiring, serviceHealth          *prometheus.Desc
}

// CollectState adds the gauges of the state, read at each scrape from stats and health,
// with now as the clock keys expire by.
func (m *Metrics) CollectState(stats Stats, health Health, now func() time.Time) {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
	}
	m.registry.MustRegister(&stateCollector{
		stats: stats, health: health, now: now,
		queued:     desc("revocations_queued", "Keys in the revocation queue, forgotten but not yet confirmed revoked by their service (those needing attention included)."),
		attention:  desc("revocations_needing_attention", "Queued revocations whose attempts ran out: the worker stopped trying, and an admin must retry them or find out why."),
		deliveries: desc("deliveries_pending", "People whose server account may not hold their recorded state yet: the worker keeps delivering."),
		intents:    desc("exchanges_unfinished", "Token exchanges recorded as started and not settled yet: in flight, or left for the worker to replay."),
		live:       desc("live_keys", "Keys recorded and not expired, by service (keys that never expire included).", "service"),
		expiring: desc("live_keys_expiring", "Live keys that expire within the time the within label gives (1d, 7d, 14d, 30d, 90d, 180d, 365d), by service; each bucket includes the shorter ones.",
			"service", "within"),
		serviceHealth: desc("service_health", "Health of each service in the registry as of the last background poll: 1 for its one state (healthy, unhealthy or unknown), 0 for the others.",
			"service", "health"),
	})
}

// Describe sends the descriptors of every gauge the collector makes.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queued, c.attention, c.deliveries, c.intents, c.live, c.expiring, c.serviceHealth} {
		ch <- d
	}
}

// Collect reads the state and sends its gauges. What the store cannot answer is sent as an
// invalid metric, which leaves those gauges out of the scrape and logs the error.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	c.collectQueues(ctx, ch)
	var registered []string
	for _, h := range c.health.Health(ctx) {
		registered = append(registered, h.ServiceID)
		for _, state := range healthStates {
			ch <- prometheus.MustNewConstMetric(c.serviceHealth, prometheus.GaugeValue, boolValue(h.Health == state), h.ServiceID, string(state))
		}
	}
	c.collectLiveKeys(ctx, ch, registered)
}

func (c *stateCollector) collectQueues(ctx context.Context, ch chan<- prometheus.Metric) {
	counts, err := c.stats.QueueCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.queued, err)
		return
	}
	gauge := func(d *prometheus.Desc, n int) prometheus.Metric {
		return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(n))
	}
	ch <- gauge(c.queued, counts.Revocations)
	ch <- gauge(c.attention, counts.NeedsAttention)
	ch <- gauge(c.deliveries, counts.Deliveries)
	ch <- gauge(c.intents, counts.Intents)
}

// collectLiveKeys sends the live keys of every service that has some, and zeros for the
// registered services that have none, so their series drop to 0 rather than vanish.
func (c *stateCollector) collectLiveKeys(ctx context.Context, ch chan<- prometheus.Metric, registered []string) {
	within := make([]time.Duration, len(expiryBuckets))
	for i, b := range expiryBuckets {
		within[i] = b.within
	}
	keys, err := c.stats.LiveKeys(ctx, c.now(), within)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.live, err)
		return
	}
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k.ServiceID] = true
		c.sendLiveKeys(ch, k)
	}
	for _, id := range registered {
		if !seen[id] {
			c.sendLiveKeys(ch, store.LiveKeys{ServiceID: id})
		}
	}
}

// sendLiveKeys sends one service's live keys; a bucket the count lacks counts zero.
func (c *stateCollector) sendLiveKeys(ch chan<- prometheus.Metric, k store.LiveKeys) {
	ch <- prometheus.MustNewConstMetric(c.live, prometheus.GaugeValue, float64(k.Live), k.ServiceID)
	for i, b := range expiryBuckets {
		n := 0
		if i < len(k.Expiring) {
			n = k.Expiring[i]
		}
		ch <- prometheus.MustNewConstMetric(c.expiring, prometheus.GaugeValue, float64(n), k.ServiceID, b.label)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
