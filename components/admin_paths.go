package components

// The admin page's routes, shared by the router, the handlers and the page's forms.
const (
	// AdminPath is the admin page.
	AdminPath = "/admin"
	// AdminDisconnectPath disconnects one connection (form: email, service_id).
	AdminDisconnectPath = "/admin/connections/disconnect"
	// AdminOffboardPath shows who and what offboarding a person affects (GET, query: email),
	// and offboards them (POST, form: email, confirm).
	AdminOffboardPath = "/admin/offboard"
	// AdminRetryPath retries a queued revocation now (form: service_id, token_id).
	AdminRetryPath = "/admin/revocations/retry"
)
