package delivery

import (
	"bytes"
	"time"
)

const serviceEnvHeader = "# Service Connector: keys for the services you connected. Managed by the portal; edits are overwritten.\n"

// RenderServiceEnv renders ~/.service_env for a validated bundle: a header, then per entry
// a comment with its service and expiry and an unquoted NAME=value line. Validation is what
// makes the values safe to write unquoted.
func RenderServiceEnv(b Bundle) []byte {
	var buf bytes.Buffer
	buf.WriteString(serviceEnvHeader)
	for _, e := range b.Env {
		buf.WriteString("# " + e.Service)
		if e.ExpiresAt.IsZero() {
			buf.WriteString(" (no expiry)\n")
		} else {
			buf.WriteString(" expires " + e.ExpiresAt.UTC().Format(time.RFC3339) + "\n")
		}
		buf.WriteString(e.Name + "=" + e.Value.Reveal() + "\n")
	}
	return buf.Bytes()
}
