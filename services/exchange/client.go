// Package exchange is the portal's side of the token-exchange protocol: it asks an internal
// service for a personal API key, revokes keys, and checks a service's health. It trusts
// nothing a service answers until every field has been validated, and it never lets a
// secret, a key or a response body reach an error message.
package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/service-connector/service-connector/services"
)

// maxAnswerBytes caps what we read from a service, so a broken or hostile service cannot
// make the portal buffer an unbounded answer.
const maxAnswerBytes = 64 << 10

// defaultTimeout bounds a call when New is given no usable timeout: a call without a bound
// would hold a user's Connect click, and the per-user lock behind it, forever.
const defaultTimeout = 10 * time.Second

// Client talks to internal services over the token-exchange protocol.
type Client struct {
	http    *http.Client
	timeout time.Duration
}

// New returns a client that sends every call through httpClient, each bounded by timeout
// (zero or less means 10 s). The client keeps its own copy of httpClient that never follows
// redirects, so a redirect cannot carry the shared secret to another server; the caller's
// client is left untouched. A nil httpClient means a zero http.Client.
func New(httpClient *http.Client, timeout time.Duration) *Client {
	hc := http.Client{}
	if httpClient != nil {
		hc = *httpClient
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	return &Client{http: &hc, timeout: timeout}
}

// call is one request to a service and how to describe it when it fails.
type call struct {
	svc     services.Service
	failure string // what could not be done, for the person: "could not issue a key"
	op      string // what was being done, for the log: "exchange token"
	method  string
	url     string
	secret  services.Secret // sent as a Bearer token when not empty
	body    any             // sent as JSON when not nil
}

// ErrRefused is in the chain of an error when the service answered 4xx: it refused the
// request (a wrong secret, a malformed request), so a conforming service did nothing for it.
// Any other failure (5xx, a timeout, a lost or unusable answer) may follow work the service
// did, such as minting a key.
var ErrRefused = errors.New("the service refused the request")

// ErrServiceFailed is in the chain of every error that a call to a service ended with (a
// refusal, an error status, a timeout, an unreachable host, an unusable answer), so a caller
// can tell the service's failure from one of its own, such as a failed delivery.
var ErrServiceFailed = errors.New("the service call failed")

// serviceFailure marks a cause as the service's failure without changing its text.
type serviceFailure struct{ error }

func (f serviceFailure) Unwrap() error { return f.error }

func (serviceFailure) Is(target error) bool { return target == ErrServiceFailed }

// fail builds the error a caller gets: a sentence that names the service and the reason,
// and a cause for the log that names the operation and the host but no secret and no body.
func (c call) fail(reason string, cause error) error {
	host := "(invalid URL)"
	if u, err := url.Parse(c.url); err == nil {
		host = u.Host
	}
	return services.Wrap(services.EUnavailable,
		serviceFailure{fmt.Errorf("%s for %s at %s: %w", c.op, c.svc.ID, host, cause)},
		"%s %s: %s", c.svc.Name, c.failure, reason)
}

// The reasons a person reads at the end of an error message.
const (
	reasonTimeout     = "the service did not answer in time."
	reasonCancelled   = "the request was cancelled."
	reasonUnreach     = "the service could not be reached."
	reasonUnusable    = "the service sent an answer we could not use."
	reasonTooLarge    = "the service sent an answer that was too large."
	reasonDeclined    = "the service declined the request."
	reasonBadURL      = "its address in the registry is not usable."
	reasonServerError = "the service answered with an error (HTTP %d)."
	reasonRefused     = "the service refused the request (HTTP %d)."
	reasonRedirect    = "the service redirected the request elsewhere, which we do not follow (HTTP %d)."
	reasonOddStatus   = "the service sent an answer we could not use (HTTP %d)."
)

// do sends the call and returns the body of a 200 answer, read within the size cap and the
// timeout. Any other outcome is an *services.Error.
func (c *Client) do(ctx context.Context, cl call) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	resp, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer closeBody(resp.Body)

	if resp.StatusCode != http.StatusOK {
		cause := fmt.Errorf("HTTP %d", resp.StatusCode)
		if resp.StatusCode >= http.StatusBadRequest && resp.StatusCode < http.StatusInternalServerError {
			cause = fmt.Errorf("%w: HTTP %d", ErrRefused, resp.StatusCode)
		}
		return nil, cl.fail(statusReason(resp.StatusCode), cause)
	}
	if resp.ContentLength > maxAnswerBytes {
		return nil, cl.fail(reasonTooLarge, fmt.Errorf("Content-Length %d exceeds %d bytes", resp.ContentLength, maxAnswerBytes))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, cl.fail(transportReason(ctx, err), fmt.Errorf("read answer: %w", err))
	}
	if len(body) > maxAnswerBytes {
		return nil, cl.fail(reasonTooLarge, fmt.Errorf("answer exceeds %d bytes", maxAnswerBytes))
	}
	return body, nil
}

// send builds and sends the request. The caller closes the answer's body.
func (c *Client) send(ctx context.Context, cl call) (*http.Response, error) {
	u, err := url.Parse(cl.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The url package's errors quote the whole URL, which may carry credentials.
		return nil, cl.fail(reasonBadURL, errors.New("URL is not an absolute http(s) URL"))
	}
	var payload io.Reader = http.NoBody
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, services.Wrap(services.EInternal, fmt.Errorf("%s for %s: encode request: %w", cl.op, cl.svc.ID, err),
				"%s %s.", cl.svc.Name, cl.failure)
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), payload)
	if err != nil {
		return nil, cl.fail(reasonBadURL, fmt.Errorf("build request: %s", cl.method))
	}
	req.Header.Set("Accept", "application/json")
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.secret != "" {
		req.Header.Set("Authorization", "Bearer "+cl.secret.Reveal())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, cl.fail(transportReason(ctx, err), fmt.Errorf("send request: %w", stripURL(err)))
	}
	return resp, nil
}

// transportReason says in words why a request got no usable answer: ctx is the call's
// context, whose deadline is the per-call timeout.
func transportReason(ctx context.Context, err error) string {
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return reasonCancelled
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &timeout) && timeout.Timeout():
		return reasonTimeout
	default:
		return reasonUnreach
	}
}

// stripURL drops the URL from a *url.Error: it may carry credentials in its query, and the
// host is already named by call.fail.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// statusReason says in words what an HTTP status other than 200 means for the person.
func statusReason(code int) string {
	switch {
	case code >= http.StatusMultipleChoices && code < http.StatusBadRequest:
		return fmt.Sprintf(reasonRedirect, code)
	case code >= http.StatusBadRequest && code < http.StatusInternalServerError:
		return fmt.Sprintf(reasonRefused, code)
	case code >= http.StatusInternalServerError:
		return fmt.Sprintf(reasonServerError, code)
	default:
		return fmt.Sprintf(reasonOddStatus, code)
	}
}

// closeBody drains a bounded amount of the body before closing it, so the connection can be
// reused without letting a service make us read forever.
func closeBody(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxAnswerBytes))
	_ = body.Close()
}
