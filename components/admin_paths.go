package components

// The admin page's routes, shared by the router, the handlers and the page's forms.
const (
	// AdminPath is the admin page.
	AdminPath = "/admin"
	// AdminDisconnectPath disconnects one connection (POST, form: email, service_id,
	// confirm=yes); GET (query: email, service_id) asks first, without JavaScript.
	AdminDisconnectPath = "/admin/connections/disconnect"
	// AdminOffboardPath shows who and what offboarding a person affects (GET, query: email),
	// and offboards them (POST, form: email, confirm).
	AdminOffboardPath = "/admin/offboard"
	// AdminRetryPath retries a queued revocation now (form: service_id, token_id).
	AdminRetryPath = "/admin/revocations/retry"
	// AdminRetryAllPath retries the whole revocation queue now.
	AdminRetryAllPath = "/admin/revocations/retry-all"
	// AdminReturnField is the form field of every admin action that carries the admin
	// page's query, so the action returns to the same search, filter and page.
	AdminReturnField = "return"
)
