package handlers

import (
	"time"

	"github.com/gin-gonic/gin"

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

// adminProps shapes the connector's admin overview, for the query aq, for display. It
// copies no key: the overview holds none.
func adminProps(ov connector.AdminOverview, aq adminQuery) components.AdminProps {
	p := components.AdminProps{Totals: components.AdminTotalsView{Connections: ov.Totals.Connections,
		Revocations: ov.Totals.Revocations, NeedsAttention: ov.Totals.NeedsAttention, Deliveries: ov.Totals.Deliveries, Intents: ov.Totals.Intents}}
	p.Attention = ov.Totals.Revocations + ov.Totals.Deliveries + ov.Totals.Intents
	q := aq.q
	q.QueuePage = ov.QueuePage
	p.Query = components.AdminQueryView{Search: q.Search, ServiceID: q.ServiceID, Status: string(q.State),
		Return: queryValues(q).Encode(), Ignored: aq.ignored}
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
		p.Query.Services = append(p.Query.Services, components.OptionView{Value: s.Service.ID, Label: s.Service.Name, Selected: s.Service.ID == q.ServiceID})
	}
	for _, st := range connector.AdminStates {
		p.Query.Statuses = append(p.Query.Statuses, components.OptionView{Value: string(st), Label: stateText(st), Selected: st == q.State})
	}
	p.Connections = connectionsView(ov.Connections, q)
	p.Queue = components.AdminQueueView{Page: ov.QueuePage, Pages: ov.QueuePages}
	if ov.QueuePage > 1 {
		prev := q
		prev.QueuePage = ov.QueuePage - 1
		p.Queue.Prev = adminURL(prev) + "#revocations"
	}
	if ov.QueuePage < ov.QueuePages {
		next := q
		next.QueuePage = ov.QueuePage + 1
		p.Queue.Next = adminURL(next) + "#revocations"
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

// connectionsView shapes a page of connections, with the links to the pages around it:
// each keeps the search, the filters and the queue's page, and names its position.
func connectionsView(page connector.AdminConnections, q connector.AdminQuery) components.AdminConnectionsView {
	v := components.AdminConnectionsView{Total: page.Total, TotalCapped: page.TotalCapped, Filtered: q.Filtered()}
	at := func(mod func(*connector.AdminQuery)) string {
		to := q
		to.After, to.Before, to.Last = connector.AdminCursor{}, connector.AdminCursor{}, false
		mod(&to)
		return adminURL(to) + "#connections"
	}
	if page.HasPrev && len(page.Rows) > 0 {
		v.First = at(func(*connector.AdminQuery) {})
		v.Prev = at(func(to *connector.AdminQuery) {
			to.Before = connector.AdminCursor{Email: page.Rows[0].UserEmail, ServiceID: page.Rows[0].ServiceID}
		})
	}
	if page.HasNext && len(page.Rows) > 0 {
		last := page.Rows[len(page.Rows)-1]
		v.Next = at(func(to *connector.AdminQuery) {
			to.After = connector.AdminCursor{Email: last.UserEmail, ServiceID: last.ServiceID}
		})
		v.Last = at(func(to *connector.AdminQuery) { to.Last = true })
	}
	if len(page.Rows) == 0 && (!q.After.IsZero() || !q.Before.IsZero()) {
		// A page emptied since its link was made (its rows disconnected): the way back.
		v.Stale = true
		v.First = at(func(*connector.AdminQuery) {})
		v.Last = at(func(to *connector.AdminQuery) { to.Last = true })
	}
	for _, c := range page.Rows {
		v.Rows = append(v.Rows, components.AdminConnectionView{
			Email: c.UserEmail, Username: c.Username, ServiceID: c.ServiceID, ServiceName: c.ServiceName,
			TokenID: c.TokenID, Status: statusText(c.Status), ConnectedAt: adminTime(c.ConnectedAt), ExpiresAt: adminTime(c.ExpiresAt),
		})
	}
	return v
}

// stateText is how the status filter names a state.
func stateText(s connector.AdminState) string {
	switch s {
	case connector.AdminConnected:
		return "connected"
	case connector.AdminExpiring:
		return "expiring soon"
	case connector.AdminExpired:
		return "expired"
	case connector.AdminDeliveryPending:
		return "delivery pending"
	default:
		return "any"
	}
}

// adminServiceNames are the registry's services as the admin page names them.
func (h *Handlers) adminServiceNames(c *gin.Context) []components.OptionView {
	var out []components.OptionView
	for _, s := range h.connector.Health(c.Request.Context()) {
		out = append(out, components.OptionView{Value: s.ServiceID, Label: s.Name})
	}
	return out
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
