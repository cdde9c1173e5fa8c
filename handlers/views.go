package handlers

import (
	"time"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services/connector"
)

// dateLayout is how dates show on cards: unambiguous in every locale.
const dateLayout = "2 Jan 2006"

// checkedLayout is how the time of the last health check shows on cards.
const checkedLayout = "15:04 UTC"

// issuedLayout is how the time a key was issued shows on cards.
const issuedLayout = "2 Jan 2006, 15:04 UTC"

// shortTokenID shortens a token id for a card, keeping both ends, which is what a person
// compares with what the service shows.
func shortTokenID(id string) string {
	const head, tail = 12, 4
	if len(id) <= head+tail+1 {
		return id
	}
	return id[:head] + "…" + id[len(id)-tail:]
}

// cardView shapes a service state for display.
func cardView(st connector.ServiceState) components.ServiceCardView {
	v := components.ServiceCardView{
		ID:          st.Service.ID,
		Name:        st.Service.Name,
		Description: st.Service.Description,
		EnvVarName:  st.Service.EnvVarName,
		SkillFile:   st.Service.SkillFile,
		CanConnect:  true,
		TokenID:     shortTokenID(st.TokenID),
		TokenIDFull: st.TokenID,
	}
	healthView(&v, st)
	if !st.ConnectedAt.IsZero() {
		v.IssuedAt = st.ConnectedAt.UTC().Format(issuedLayout)
		v.IssuedISO = st.ConnectedAt.UTC().Format(time.RFC3339)
	}
	if !st.ExpiresAt.IsZero() {
		v.ExpiresOn = st.ExpiresAt.UTC().Format(dateLayout)
		v.ExpiresISO = st.ExpiresAt.UTC().Format(time.RFC3339)
	}
	switch {
	case st.Status == connector.StatusConnected:
		v.State = components.CardConnected
	case st.Status == connector.StatusExpiringSoon:
		v.State = components.CardExpiringSoon
	case st.Status == connector.StatusExpired:
		v.State = components.CardExpired
	case !st.Service.Enabled:
		v.State = components.CardDisabled
		v.CanConnect = false
	case !st.Configured:
		v.State = components.CardNotConfigured
		v.CanConnect = false
	default:
		v.State = components.CardNotConnected
	}
	return v
}

// healthView shapes the service's last health check for its card.
func healthView(v *components.ServiceCardView, st connector.ServiceState) {
	h := st.Health
	switch h.Health {
	case connector.HealthHealthy:
		v.Health, v.HealthText = components.HealthHealthy, "Service is up"
	case connector.HealthUnhealthy:
		v.Health, v.HealthText = components.HealthUnhealthy, "Service is not healthy"
		if h.Reason != "" {
			v.HealthText += ": " + h.Reason
		}
	default:
		v.Health, v.HealthText = components.HealthUnknown, "Service health not checked yet"
		if st.Service.HealthURL == "" {
			v.HealthText = "Service health unknown: it has no health check"
		}
	}
	if !h.CheckedAt.IsZero() {
		v.HealthChecked = h.CheckedAt.UTC().Format(checkedLayout)
		v.HealthCheckedISO = h.CheckedAt.UTC().Format(time.RFC3339)
	}
}

func cardViews(states []connector.ServiceState) []components.ServiceCardView {
	views := make([]components.ServiceCardView, len(states))
	for i, st := range states {
		views[i] = cardView(st)
	}
	return views
}
