package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// AdminAudit serves GET /admin/audit (query: person, service, and before or after a record's
// number): the audit log, newest first, searched by person and by service, a page at a time,
// for admins only. A malformed search is answered 400 on the same page, which says why.
func (h *Handlers) AdminAudit(c *gin.Context) {
	user, ok := h.requireAdmin(c)
	if !ok {
		return
	}
	if h.audit == nil {
		h.NotFound(c)
		return
	}
	props := components.AuditPageProps{User: adminUser(user), Person: c.Query("person"), Service: c.Query("service")}
	before, errBefore := pageCursor(c.Query("before"))
	after, errAfter := pageCursor(c.Query("after"))
	if errBefore != nil || errAfter != nil {
		props.Error = "The page asked for is not a record number."
		h.render(c, http.StatusBadRequest, components.AdminAuditPage(props))
		return
	}
	page, err := h.audit.AuditLog(c.Request.Context(), connector.AuditQuery{Person: props.Person, ServiceID: props.Service, Before: before, After: after})
	props.Services = page.Services
	switch {
	case services.ErrorCode(err) == services.EInvalid:
		props.Error = services.ErrorMessage(err)
		h.render(c, http.StatusBadRequest, components.AdminAuditPage(props))
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	props.Person, props.Service = page.Query.Person, page.Query.ServiceID
	if props.Service != "" && !contains(props.Services, props.Service) {
		props.Services = append(props.Services, props.Service) // a service that left the registry
	}
	for _, r := range page.Records {
		props.Records = append(props.Records, auditRecordView(r))
	}
	auditPager(&props, page)
	h.render(c, http.StatusOK, components.AdminAuditPage(props))
}

// auditPager sets the links to the newer, newest and older pages of the audit log, keeping
// the search.
func auditPager(props *components.AuditPageProps, page connector.AuditLogPage) {
	n := len(page.Records)
	if n == 0 {
		return
	}
	at := func(key string, seq int64) string {
		q := url.Values{}
		if props.Person != "" {
			q.Set("person", props.Person)
		}
		if props.Service != "" {
			q.Set("service", props.Service)
		}
		if key != "" {
			q.Set(key, strconv.FormatInt(seq, 10))
		}
		if len(q) == 0 {
			return components.AdminAuditPath
		}
		return components.AdminAuditPath + "?" + q.Encode()
	}
	if page.Newer {
		props.NewerURL, props.NewestURL = at("after", page.Records[0].Seq), at("", 0)
	}
	if page.Older {
		props.OlderURL = at("before", page.Records[n-1].Seq)
	}
}

// auditTimeLayout is how the audit page shows a record's time: to the second, in UTC.
const auditTimeLayout = "2006-01-02 15:04:05 UTC"

// pageCursor reads a record number of the pager; empty is none.
func pageCursor(raw string) (int64, error) {
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// auditRecordView is a record as the audit page shows it.
func auditRecordView(r connector.AuditRecord) components.AuditRecordView {
	bad := false
	switch r.Outcome {
	case string(connector.OutcomeRefused), string(connector.OutcomeFailed), connector.AuditNeedsAttention:
		bad = true
	}
	return components.AuditRecordView{
		Seq: strconv.FormatInt(r.Seq, 10), At: r.At.UTC().Format(auditTimeLayout), Actor: r.Actor, Kind: r.Kind, Outcome: r.Outcome, Bad: bad,
		Person: r.Person, Account: r.Account, ServiceID: r.ServiceID, TokenID: r.TokenID, Reason: r.Reason,
	}
}
