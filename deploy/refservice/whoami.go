package refservice

import (
	"net/http"
	"time"
)

// whoamiAnswer describes the key a caller presented.
type whoamiAnswer struct {
	UserEmail string `json:"user_email"`
	Service   string `json:"service"`
	TokenID   string `json:"token_id"`
	ExpiresAt string `json:"expires_at"`
}

// handleWhoami serves GET /api/whoami: whose live key this is, so a person or the portal's
// probe can check a key works without touching business data.
func (s *Service) handleWhoami(w http.ResponseWriter, _ *http.Request, holder TokenInfo) {
	writeJSON(w, http.StatusOK, whoamiAnswer{
		UserEmail: holder.UserEmail,
		Service:   s.id,
		TokenID:   holder.TokenID,
		ExpiresAt: holder.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

// healthAnswer is the answer of GET /health.
type healthAnswer struct {
	Status  string `json:"status"`
	Service string `json:"service"`
}

// handleHealth serves GET /health, the registry's health_url; it needs no key.
func (s *Service) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, healthAnswer{Status: "ok", Service: s.id})
}
