package components

// AdminOffboardProps is everything the offboarding review page shows.
type AdminOffboardProps struct {
	User  UserView
	Email string // the person, as the admin asked for them
	// Refusal says why the person cannot be offboarded; empty when Plan says what will happen.
	Refusal string
	Plan    *OffboardPlanView
	Return  string // the admin page's query the admin came from, to go back to
	Back    string // the admin page's URL with that query
}

// OffboardPlanView is who and what offboarding a person affects, shown before the admin
// confirms it. It never holds a key.
type OffboardPlanView struct {
	Email     string
	Username  string // the server account whose keys and skills are cleared
	Keys      []OffboardKeyView
	Exchanges int // key exchanges in flight, cancelled
}

// OffboardKeyView is one key of the person and what becomes of it.
type OffboardKeyView struct {
	ServiceID   string
	ServiceName string
	TokenID     string
	Status      string // "connected", "expiring soon", "expired"
	ExpiresAt   string // empty when the key does not expire
	Fate        string // what offboarding does with it, in a sentence
}
