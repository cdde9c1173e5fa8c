// Package deploy holds what is handed to the people around the portal: for the server's
// admins the example registry and its skill files (embedded, for the demo) and the deploy
// scripts; for analysts the laptop side (client/); for service owners the reference service
// (refservice/) and the protocol probe (probe/).
package deploy

import "embed"

// Files holds service_connectors.json and skills/*.md, the example registry the demo serves.
//
//go:embed service_connectors.json skills/*.md
var Files embed.FS
