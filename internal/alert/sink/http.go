package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// NewHTTPClient returns a client for one sink: its own transport (so one slow
// receiver cannot starve another's connections), the attempt timeout and the
// sink's TLS settings.
func NewHTTPClient(timeout time.Duration, tlsCfg TLSConfig) (*http.Client, error) {
	tc, err := tlsCfg.Client("")
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.MaxIdleConnsPerHost = 16
	tr.Proxy = nil // a proxy from the environment is a surprise for alert traffic
	return &http.Client{Timeout: timeout, Transport: tr}, nil
}

// CheckURL accepts an absolute http or https URL with a host.
func CheckURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an absolute http:// or https:// URL", field, raw)
	}
	return nil
}

// Post sends body to target with the headers and returns the start of the
// response body (at most 64 KiB) on 2xx. Transport errors are retryable;
// statuses are classified by CheckResponse.
func Post(ctx context.Context, c *http.Client, target string, header http.Header, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(fmt.Errorf("build request: %w", err))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		// Drop the URL from the error: webhook URLs (Slack's) carry secrets.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("post to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	if err := CheckResponse(resp); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("read receiver response: %w", err)
	}
	// Drain a little more so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return b, nil
}
