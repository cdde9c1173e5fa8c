// Package static holds the portal's static assets, embedded in the binary: the pinned htmx
// (2.0.11, from the npm package htmx.org), the stylesheet, and app.js: the confirmation
// dialog and copy buttons, which every page can do without.
package static

import "embed"

// FS holds htmx.min.js, app.css and app.js.
//
//go:embed htmx.min.js app.css app.js
var FS embed.FS
