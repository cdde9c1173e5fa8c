// Package static holds the portal's static assets, embedded in the binary: the pinned htmx
// (2.0.11, from the npm package htmx.org) and the stylesheet.
package static

import "embed"

// FS holds htmx.min.js and app.css.
//
//go:embed htmx.min.js app.css
var FS embed.FS
