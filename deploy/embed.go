// Package deploy holds what is installed on a server: the example registry and its skill
// files (embedded, for the demo), and the deploy scripts beside them.
package deploy

import "embed"

// Files holds service_connectors.json and skills/*.md, the example registry the demo serves.
//
//go:embed service_connectors.json skills/*.md
var Files embed.FS
