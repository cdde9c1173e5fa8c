package refservice

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/service-connector/service-connector/services"
)

// errorBody is the error answer of the business API and whoami.
type errorBody struct {
	Error string `json:"error"`
}

// protocolError is the error answer of the protocol endpoints, which the portal reads by
// their status field.
type protocolError struct {
	Status string `json:"status"`
	Error  string `json:"error"`
}

// writeJSON answers with body as JSON. Answers carry personal data and keys, so no cache
// may keep them.
func writeJSON(w http.ResponseWriter, status int, body any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Answers are JSON with nosniff, never HTML, so "<" can stay readable.
	enc.SetEscapeHTML(false)
	// The status line is already sent; a failed write means the client has gone.
	_ = enc.Encode(body)
}

// writeError answers {"error": message}; message must be safe to show to anyone.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, errorBody{Error: message})
}

// writeProtocolError answers {"status": "error", "error": message}.
func writeProtocolError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, protocolError{Status: "error", Error: message})
}

// statusFor maps a domain error to the HTTP status that says the same.
func statusFor(err error) int {
	switch services.ErrorCode(err) {
	case services.EInvalid:
		return http.StatusBadRequest
	case services.ENotFound:
		return http.StatusNotFound
	case services.EConflict:
		return http.StatusConflict
	case services.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// answerUnrouted runs the mux's own answer for an unmatched request into a recorder, to
// learn whether the path is unknown (404) or the method is wrong (405, with Allow), and
// answers the same in JSON.
func answerUnrouted(w http.ResponseWriter, r *http.Request, muxAnswer http.Handler) {
	rec := &statusRecorder{header: http.Header{}, status: http.StatusOK}
	muxAnswer.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		allow := rec.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("This route does not accept %s; it accepts %s.", r.Method, allow))
		return
	}
	writeError(w, http.StatusNotFound, "There is no such route. See the service's skill file for the routes it offers.")
}

// statusRecorder keeps the status and headers a handler sets and drops its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (rec *statusRecorder) Header() http.Header         { return rec.header }
func (rec *statusRecorder) WriteHeader(status int)      { rec.status = status }
func (rec *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
