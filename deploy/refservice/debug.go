package refservice

import "net/http"

// handleDebugTokens serves GET /debug/tokens (only with Config.DebugTokens): the live tokens.
func (s *Service) handleDebugTokens(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]TokenInfo{"tokens": s.LiveTokens()})
}
