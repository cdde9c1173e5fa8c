package refservice

import (
	"net/http"

	"github.com/service-connector/service-connector/services"
)

// revokeRequest is the body of POST /api/internal/token-revoke.
type revokeRequest struct {
	TokenID string `json:"token_id"`
}

// okAnswer is the protocol's bare success answer.
type okAnswer struct {
	Status string `json:"status"`
}

// handleRevoke serves POST /api/internal/token-revoke. Unknown and already revoked tokens
// are answered ok too, so the portal can retry a revoke without knowing whether the first
// attempt arrived.
func (s *Service) handleRevoke(w http.ResponseWriter, r *http.Request) {
	var req revokeRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeProtocolError(w, statusFor(err), services.ErrorMessage(err))
		return
	}
	if req.TokenID == "" {
		writeProtocolError(w, http.StatusBadRequest, "token_id is required.")
		return
	}
	if err := s.tokens.revoke(req.TokenID, s.now()); err != nil {
		writeProtocolError(w, statusFor(err), services.ErrorMessage(err))
		return
	}
	writeJSON(w, http.StatusOK, okAnswer{Status: "ok"})
}
