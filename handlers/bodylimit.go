package handlers

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// maxFormBody bounds the body of every request outside the JSON API: the portal's forms hold
// an email, a service id, a token id and a page to return to, never a file.
const maxFormBody = 16 << 10

// LimitBody bounds every request body before any handler sees it: at most maxAPIBody bytes
// under /api/, maxFormBody elsewhere. A body that says it is bigger is refused without being
// read; one that turns out bigger is refused after reading one byte past the limit. Either
// way the answer is 413 and no handler runs, so nothing changes. A body within the limit is
// handed on in memory, so form and JSON parsing downstream cannot read more.
func (h *Handlers) LimitBody(c *gin.Context) {
	limit := int64(maxFormBody)
	if isAPI(c) {
		limit = maxAPIBody
	}
	if c.Request.ContentLength > limit {
		h.bodyTooLarge(c, limit)
		return
	}
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		c.Next()
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		h.bodyTooLarge(c, limit)
		return
	case err != nil:
		h.log.Warn("request body unreadable", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		writeRefusal(c.Writer, c.Request, http.StatusBadRequest, "The request could not be read. Please try again.")
		c.Abort()
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	c.Next()
}

// bodyTooLarge answers 413 in the shape the caller expects and stops the request.
func (h *Handlers) bodyTooLarge(c *gin.Context, limit int64) {
	h.log.Warn("request body too large", "method", c.Request.Method, "path", c.Request.URL.Path,
		"content_length", c.Request.ContentLength, "limit", limit)
	// The rest of the body is not read; the connection cannot be reused.
	c.Header("Connection", "close")
	writeRefusal(c.Writer, c.Request, http.StatusRequestEntityTooLarge,
		"This request is too large, so it was refused and nothing was changed.")
	c.Abort()
}
