package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/service-connector/service-connector/services"
)

// maxDrainBytes bounds how much of a check URL answer is read before the connection is
// closed: only the status matters.
const maxDrainBytes = 64 << 10

// keyWorks checks that the service accepts a live key: a 2xx answer.
func (p *Prober) keyWorks(ctx context.Context, checkURL string, key services.Secret) error {
	code, err := p.get(ctx, checkURL, key)
	if err != nil {
		return err
	}
	if code < http.StatusOK || code >= http.StatusMultipleChoices {
		return fmt.Errorf("the check URL answered HTTP %d to a live key, want 2xx", code)
	}
	return nil
}

// keyDead checks that the service refuses a revoked key: 401 or 403.
func (p *Prober) keyDead(ctx context.Context, checkURL string, key services.Secret) error {
	code, err := p.get(ctx, checkURL, key)
	if err != nil {
		return err
	}
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return nil
	case code >= http.StatusOK && code < http.StatusMultipleChoices:
		return fmt.Errorf("the key still works after revoke: the check URL answered HTTP %d, want 401 or 403", code)
	default:
		return fmt.Errorf("the check URL answered HTTP %d to a revoked key, want 401 or 403", code)
	}
}

// get calls the check URL with the key as a Bearer token and returns the HTTP status.
func (p *Prober) get(ctx context.Context, checkURL string, key services.Secret) (int, error) {
	u, err := url.Parse(checkURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// url's errors quote the whole URL; the caller gave it, so naming it is enough.
		return 0, errors.New("the check URL is not an absolute http(s) URL")
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), http.NoBody)
	if err != nil {
		return 0, fmt.Errorf("build check request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	resp, err := p.http.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, fmt.Errorf("the check URL at %s did not answer within %s", u.Host, p.timeout)
		}
		return 0, fmt.Errorf("the check URL at %s could not be reached", u.Host)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainBytes))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
