package components

// AdminAuditPath is the audit log page (GET, query: person, service, before, after).
const AdminAuditPath = "/admin/audit"

// AuditPageProps is what the audit log page shows: the search, one page of records, newest
// first, and the links to the pages around it.
type AuditPageProps struct {
	User     UserView
	Person   string   // the search by person, as typed
	Service  string   // the search by service id
	Services []string // the service ids to choose from
	Error    string   // why the search was refused; empty when it was not
	Records  []AuditRecordView
	// NewerURL and OlderURL lead to the pages around this one, with the same search; empty
	// when there is nothing that way. NewestURL leads back to the first page.
	NewerURL, OlderURL, NewestURL string
}

// AuditRecordView is one record of the audit log, as the page shows it. It never holds a key.
type AuditRecordView struct {
	Seq     string
	At      string
	Actor   string
	Kind    string
	Outcome string
	// Bad is set for an outcome that needs an eye: refused, failed, needs attention.
	Bad       bool
	Person    string
	Account   string
	ServiceID string
	TokenID   string
	Reason    string
}
