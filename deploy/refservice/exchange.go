package refservice

import (
	"net/http"
	"net/mail"
	"time"

	"github.com/service-connector/service-connector/services"
)

// Bounds of an exchange request; TTLs are in days.
const (
	defaultTTLDays = 365
	maxTTLDays     = 3650
	maxRequestID   = 128
	maxEmailLength = 254
)

// exchangeRequest is the body of POST /api/internal/token-exchange.
type exchangeRequest struct {
	UserEmail string `json:"user_email"`
	TTLDays   int    `json:"ttl_days"`
	RequestID string `json:"request_id"`
}

// exchangeAnswer is the protocol's success answer.
type exchangeAnswer struct {
	Status    string `json:"status"`
	APIKey    string `json:"api_key"`
	TokenID   string `json:"token_id"`
	ExpiresAt string `json:"expires_at"`
}

// handleExchange serves POST /api/internal/token-exchange: it mints a personal key for
// user_email, valid for ttl_days (0 means 365).
func (s *Service) handleExchange(w http.ResponseWriter, r *http.Request) {
	var req exchangeRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeProtocolError(w, statusFor(err), services.ErrorMessage(err))
		return
	}
	if !looksLikeEmail(req.UserEmail) {
		writeProtocolError(w, http.StatusBadRequest, "user_email must be a plain email address such as john@your-domain.com.")
		return
	}
	if req.TTLDays == 0 {
		req.TTLDays = defaultTTLDays
	}
	if req.TTLDays < 1 || req.TTLDays > maxTTLDays {
		writeProtocolError(w, http.StatusBadRequest, "ttl_days must be between 1 and 3650 (or 0 for the default of 365).")
		return
	}
	if len(req.RequestID) > maxRequestID {
		writeProtocolError(w, http.StatusBadRequest, "request_id must be at most 128 characters.")
		return
	}

	ttl := time.Duration(req.TTLDays) * 24 * time.Hour
	tok, err := s.tokens.issue(req.UserEmail, req.RequestID, ttl, s.now())
	if err != nil {
		writeProtocolError(w, statusFor(err), services.ErrorMessage(err))
		return
	}
	writeJSON(w, http.StatusOK, exchangeAnswer{
		Status:    "ok",
		APIKey:    tok.APIKey.Reveal(),
		TokenID:   tok.TokenID,
		ExpiresAt: tok.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

// looksLikeEmail accepts a bare address that net/mail parses back to itself, so that
// "John <john@x.com>" and the like are refused rather than silently rewritten.
func looksLikeEmail(s string) bool {
	if s == "" || len(s) > maxEmailLength {
		return false
	}
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Name == "" && addr.Address == s
}
