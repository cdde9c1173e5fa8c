package handlers

import (
	"time"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services/connector"
)

// adminTimeLayout is how times show on the admin page: unambiguous, to the minute, in UTC.
const adminTimeLayout = "2006-01-02 15:04 UTC"

func adminTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(adminTimeLayout)
}

// registryStatusView shapes the live registry's status for the admin page.
func registryStatusView(st RegistryStatus) components.RegistryStatusView {
	return components.RegistryStatusView{Source: st.Source, Services: st.Services, LoadedAt: adminTime(st.LoadedAt), Problems: st.Problems}
}

// adminProps shapes the connector's admin overview for display. It copies no key: the
// overview holds none.
func adminProps(ov connector.AdminOverview) components.AdminProps {
	p := components.AdminProps{Totals: components.AdminTotalsView{Connections: ov.Totals.Connections,
		Revocations: ov.Totals.Revocations, Deliveries: ov.Totals.Deliveries, Intents: ov.Totals.Intents}}
	for _, s := range ov.Services {
		v := components.AdminServiceView{
			ID: s.Service.ID, Name: s.Service.Name, Enabled: s.Service.Enabled, Configured: s.Configured,
			Health: components.HealthUnknown, HealthReason: s.Health.Reason, Connections: s.Connections,
		}
		switch s.Health.Health {
		case connector.HealthHealthy:
			v.Health = components.HealthHealthy
		case connector.HealthUnhealthy:
			v.Health = components.HealthUnhealthy
		}
		p.Services = append(p.Services, v)
	}
	for _, c := range ov.Connections {
		p.Connections = append(p.Connections, components.AdminConnectionView{
			Email: c.UserEmail, Username: c.Username, ServiceID: c.ServiceID, ServiceName: c.ServiceName,
			TokenID: c.TokenID, Status: statusText(c.Status), ConnectedAt: adminTime(c.ConnectedAt), ExpiresAt: adminTime(c.ExpiresAt),
		})
	}
	for _, r := range ov.Revocations {
		p.Revocations = append(p.Revocations, components.AdminRevocationView{
			ServiceID: r.ServiceID, ServiceName: r.ServiceName, Email: r.UserEmail, TokenID: r.TokenID, Reason: r.Reason,
			QueuedAt: adminTime(r.QueuedAt), Attempts: r.Attempts, NextAttemptAt: adminTime(r.NextAttemptAt),
			LastError: r.LastError, NeedsAttention: r.NeedsAttention,
		})
	}
	for _, d := range ov.Deliveries {
		p.Deliveries = append(p.Deliveries, components.AdminDeliveryView{
			Email: d.UserEmail, Username: d.Username, Since: adminTime(d.Since), Attempts: d.Attempts, LastError: d.LastError,
		})
	}
	for _, in := range ov.Intents {
		p.Intents = append(p.Intents, components.AdminIntentView{
			RequestID: in.RequestID, Email: in.UserEmail, ServiceID: in.ServiceID, StartedAt: adminTime(in.StartedAt),
			Attempts: in.Attempts, LastError: in.LastError,
		})
	}
	return p
}

// offboardPlanView shapes what offboarding a person will do for the review page.
func offboardPlanView(plan connector.OffboardPlan) *components.OffboardPlanView {
	v := &components.OffboardPlanView{Email: plan.Email, Username: plan.Username, Exchanges: plan.Exchanges}
	for _, k := range plan.Keys {
		fate := "Revoked at " + k.ServiceName + " at once; should the service not confirm it, it waits in the revocation queue and the portal keeps trying."
		if !k.RevokeNow {
			fate = "Queued for revocation, not revoked now: " + k.Why
		}
		v.Keys = append(v.Keys, components.OffboardKeyView{
			ServiceID: k.ServiceID, ServiceName: k.ServiceName, TokenID: k.TokenID, Status: statusText(k.Status),
			ExpiresAt: adminTime(k.ExpiresAt), Fate: fate,
		})
	}
	return v
}

func statusText(s connector.Status) string {
	switch s {
	case connector.StatusConnected:
		return "connected"
	case connector.StatusExpiringSoon:
		return "expiring soon"
	case connector.StatusExpired:
		return "expired"
	default:
		return "not connected"
	}
}
