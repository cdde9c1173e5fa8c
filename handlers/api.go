package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// maxAPIBody bounds a JSON request body; the API takes nothing bigger than a service id.
const maxAPIBody = 4 << 10

// apiResult is the answer of connect and disconnect.
type apiResult struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// apiService is a service as the API shows it: never a URL, a key or a secret.
type apiService struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	EnvVarName  string `json:"env_var_name"`
	SkillFile   string `json:"skill_file"`
	Enabled     bool   `json:"enabled"`
	Configured  bool   `json:"configured"`
}

// apiConnection is the person's connection to one service.
type apiConnection struct {
	Connected   bool       `json:"connected"`
	Status      string     `json:"status"`
	ConnectedAt *time.Time `json:"connected_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
}

type apiList struct {
	Services    []apiService             `json:"services"`
	Connections map[string]apiConnection `json:"connections"`
}

// apiHealth is one service's health as of the portal's last background poll.
type apiHealth struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Health    string     `json:"health"`
	CheckedAt *time.Time `json:"checked_at,omitempty"`
	Reason    string     `json:"reason,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// ListAPI serves GET /api/service-connectors: the services and the person's connections.
func (h *Handlers) ListAPI(c *gin.Context) {
	states, err := h.connector.Overview(c.Request.Context(), currentUser(c))
	if err != nil {
		h.apiError(c, err)
		return
	}
	out := apiList{Services: make([]apiService, 0, len(states)), Connections: map[string]apiConnection{}}
	for _, st := range states {
		out.Services = append(out.Services, apiService{
			ID: st.Service.ID, Name: st.Service.Name, Description: st.Service.Description,
			EnvVarName: st.Service.EnvVarName, SkillFile: st.Service.SkillFile,
			Enabled: st.Service.Enabled, Configured: st.Configured,
		})
		out.Connections[st.Service.ID] = apiConnection{
			Connected: st.Connected(), Status: string(st.Status),
			ConnectedAt: timePtr(st.ConnectedAt), ExpiresAt: timePtr(st.ExpiresAt),
		}
	}
	c.JSON(http.StatusOK, out)
}

// ConnectAPI serves POST /api/service-connectors/connect with {"service_id": "..."}.
func (h *Handlers) ConnectAPI(c *gin.Context) {
	h.changeAPI(c, h.connector.Connect, connectedMessage)
}

// DisconnectAPI serves POST /api/service-connectors/disconnect with {"service_id": "..."}.
func (h *Handlers) DisconnectAPI(c *gin.Context) {
	h.changeAPI(c, h.connector.Disconnect, disconnectedMessage)
}

// change is a use case the JSON API runs on one of the person's services.
type change func(ctx context.Context, user services.User, serviceID string) (connector.ServiceState, error)

func (h *Handlers) changeAPI(c *gin.Context, run change, success func(connector.ServiceState) string) {
	var req struct {
		ServiceID string `json:"service_id"`
	}
	if err := decodeJSON(c, &req); err != nil {
		h.apiError(c, err)
		return
	}
	if req.ServiceID == "" {
		h.apiError(c, services.Errorf(services.EInvalid, `The request body must name a service: {"service_id": "purchase_orders"}.`))
		return
	}
	st, err := run(c.Request.Context(), currentUser(c), req.ServiceID)
	if err != nil {
		h.apiError(c, err)
		return
	}
	c.JSON(http.StatusOK, apiResult{Success: true, Message: success(st)})
}

// HealthAPI serves GET /api/service-connectors/health: each service's health as of the last
// background poll; it never waits for a service.
func (h *Handlers) HealthAPI(c *gin.Context) {
	checks := h.connector.Health(c.Request.Context())
	out := struct {
		Services []apiHealth `json:"services"`
	}{Services: make([]apiHealth, 0, len(checks))}
	for _, s := range checks {
		out.Services = append(out.Services, apiHealth{
			ID: s.ServiceID, Name: s.Name, Health: string(s.Health),
			CheckedAt: timePtr(s.CheckedAt), Reason: s.Reason,
		})
	}
	c.JSON(http.StatusOK, out)
}

func (h *Handlers) apiError(c *gin.Context, err error) {
	h.logError(c, err)
	c.JSON(statusOf(err), apiResult{Success: false, Message: services.ErrorMessage(err)})
}

// decodeJSON reads a small, strict JSON body into v. Only application/json is taken: a form
// post from another site cannot pass for an API call even if it got past the origin check.
func decodeJSON(c *gin.Context, v any) error {
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		return services.Errorf(services.EInvalid, "The request body must be JSON, sent with Content-Type: application/json.")
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return services.Wrap(services.EInvalid, err, "The request body is too large.")
		}
		return services.Wrap(services.EInvalid, err, `The request body must be JSON like {"service_id": "purchase_orders"}.`)
	}
	if dec.More() {
		return services.Errorf(services.EInvalid, "The request body must hold one JSON object.")
	}
	return nil
}
