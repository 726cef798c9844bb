package lumadb

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Version is the version of this client, sent in its User-Agent.
const Version = "0.1.0"

// DefaultURL is the node a client talks to when neither New nor LUMADB_URL names one.
const DefaultURL = "http://127.0.0.1:8080"

// M is a JSON object: a filter, a patch or a document to write.
type M = map[string]any

// Client is a connection to a LumaDB node over its HTTP API. It is safe for concurrent use;
// requests share a pool of keep-alive connections and every stream holds one of its own.
// Close releases the idle connections.
type Client struct {
	url           string
	base          *url.URL
	authorization string
	timeout       time.Duration
	userAgent     string
	http          *http.Client
	transport     *http.Transport
}

// Option configures a Client (see New and FromEnv).
type Option func(*settings) error

type settings struct {
	apiKey, user, password string
	basic                  bool
	caFile                 string
	tlsConfig              *tls.Config
	timeout                time.Duration
	userAgent              string
}

// WithAPIKey signs every request with an API key (luma_...) or an access token, sent as
// Authorization: Bearer. It replaces a user and password given before.
func WithAPIKey(key string) Option {
	return func(s *settings) error {
		s.apiKey, s.user, s.password, s.basic = key, "", "", false
		return nil
	}
}

// WithBasicAuth signs every request with a user's name and password (HTTP Basic). It
// replaces an API key given before.
func WithBasicAuth(user, password string) Option {
	return func(s *settings) error {
		if user == "" {
			return errors.New("lumadb: WithBasicAuth needs a user name")
		}
		s.apiKey, s.user, s.password, s.basic = "", user, password, true
		return nil
	}
}

// WithoutAuth sends requests without credentials (only /health and /ready answer them on a
// node with security on).
func WithoutAuth() Option {
	return func(s *settings) error {
		s.apiKey, s.user, s.password, s.basic = "", "", "", false
		return nil
	}
}

// WithCAFile trusts the certificate authorities of a PEM file for https URLs (instead of
// the system's).
func WithCAFile(path string) Option {
	return func(s *settings) error {
		s.caFile = path
		return nil
	}
}

// WithTLSConfig uses a TLS configuration of its own for https URLs; WithCAFile adds to it.
func WithTLSConfig(config *tls.Config) Option {
	return func(s *settings) error {
		s.tlsConfig = config.Clone()
		return nil
	}
}

// WithTimeout bounds each request whose context has no deadline of its own (default 60 s;
// 0: no bound). Streams are not bounded by it.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return fmt.Errorf("lumadb: WithTimeout(%v): the timeout cannot be negative", d)
		}
		s.timeout = d
		return nil
	}
}

// New makes a client of the node at rawURL (http://host[:port] or https://host[:port]).
// Nothing is sent until the first call.
func New(rawURL string, options ...Option) (*Client, error) {
	s := settings{timeout: 60 * time.Second, userAgent: "lumadb-go/" + Version}
	for _, o := range options {
		if err := o(&s); err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("lumadb: the URL must be http://host[:port] or https://host[:port], not %q", rawURL)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("lumadb: the URL names the node only, without a path, query or user: %q", rawURL)
	}
	base := &url.URL{Scheme: u.Scheme, Host: u.Host}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 4
	transport.IdleConnTimeout = 30 * time.Second
	transport.ResponseHeaderTimeout = 0
	if u.Scheme == "https" {
		config := s.tlsConfig
		if config == nil {
			config = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if s.caFile != "" {
			pem, err := os.ReadFile(s.caFile)
			if err != nil {
				return nil, fmt.Errorf("lumadb: reading the CA file: %w", err)
			}
			pool := config.RootCAs
			if pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("lumadb: the CA file %s holds no PEM certificate", s.caFile)
			}
			config.RootCAs = pool
		}
		transport.TLSClientConfig = config
	} else if s.caFile != "" || s.tlsConfig != nil {
		return nil, fmt.Errorf("lumadb: a CA file or TLS configuration is for https URLs, not %q", rawURL)
	}
	c := &Client{
		url:       base.String(),
		base:      base,
		timeout:   s.timeout,
		userAgent: s.userAgent,
		transport: transport,
		http:      &http.Client{Transport: transport},
	}
	switch {
	case s.apiKey != "":
		c.authorization = "Bearer " + s.apiKey
	case s.basic:
		c.authorization = "Basic " + base64.StdEncoding.EncodeToString([]byte(s.user+":"+s.password))
	}
	return c, nil
}

// FromEnv makes a client as the lumadb command line does: the node from LUMADB_URL (else
// DefaultURL), an API key from LUMADB_API_KEY or else a user from LUMADB_USER and
// LUMADB_PASSWORD, and for https the certificate authorities of the file LUMADB_CA_CERT.
// options are applied after, so they win.
func FromEnv(options ...Option) (*Client, error) {
	rawURL := os.Getenv("LUMADB_URL")
	if rawURL == "" {
		rawURL = DefaultURL
	}
	var env []Option
	if key := os.Getenv("LUMADB_API_KEY"); key != "" {
		env = append(env, WithAPIKey(key))
	} else if user := os.Getenv("LUMADB_USER"); user != "" {
		env = append(env, WithBasicAuth(user, os.Getenv("LUMADB_PASSWORD")))
	}
	if ca := os.Getenv("LUMADB_CA_CERT"); ca != "" && strings.HasPrefix(rawURL, "https:") {
		env = append(env, WithCAFile(ca))
	}
	return New(rawURL, append(env, options...)...)
}

// URL is the node's base URL, such as http://127.0.0.1:8080.
func (c *Client) URL() string { return c.url }

// String describes the client.
func (c *Client) String() string { return "lumadb.Client(" + c.url + ")" }

// Close closes the client's idle connections. Streams keep theirs until they are closed; the
// client may be used again after Close.
func (c *Client) Close() error {
	c.transport.CloseIdleConnections()
	return nil
}

// Path is /api/v1/ followed by segments, each percent-encoded (ids may hold '/', '?', '#',
// spaces), for Do.
func Path(segments ...string) string {
	var b strings.Builder
	b.WriteString("/api/v1")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(escapeSegment(s))
	}
	return b.String()
}

// escapeSegment percent-encodes everything but RFC 3986's unreserved characters.
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// call is one request to the node.
type call struct {
	method      string
	path        string // already encoded (see Path)
	query       url.Values
	body        any // marshalled as JSON; []byte and json.RawMessage are sent as they are
	contentType string
	headers     map[string]string
	out         any // where the JSON answer is decoded; *[]byte keeps it raw
}

func (c *Client) newRequest(ctx context.Context, method, encodedPath string, query url.Values, body io.Reader) (*http.Request, error) {
	u := *c.base
	decoded, err := url.PathUnescape(encodedPath)
	if err != nil {
		return nil, fmt.Errorf("lumadb: bad path %q: %w", encodedPath, err)
	}
	u.Path, u.RawPath = decoded, encodedPath
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("lumadb: %w", err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.authorization != "" {
		req.Header.Set("Authorization", c.authorization)
	}
	return req, nil
}

// do sends one request and decodes its answer; a status of 300 or more is an *Error typed by
// its status, no answer an *Error of kind ErrUnreachable, the caller's context ending an
// error wrapping the context's.
func (c *Client) do(ctx context.Context, k call) (http.Header, error) {
	if ctx == nil {
		return nil, errors.New("lumadb: nil context")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lumadb: %s %s: %w", k.method, k.path, err)
	}
	callCtx := ctx
	if _, has := ctx.Deadline(); !has && c.timeout > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var body io.Reader
	if k.body != nil {
		var data []byte
		switch b := k.body.(type) {
		case []byte:
			data = b
		case json.RawMessage:
			data = b
		default:
			var err error
			if data, err = json.Marshal(b); err != nil {
				return nil, fmt.Errorf("lumadb: %s %s: the body is not JSON: %w", k.method, k.path, err)
			}
		}
		body = bytes.NewReader(data)
	}
	req, err := c.newRequest(callCtx, k.method, k.path, k.query, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		ct := k.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for name, value := range k.headers {
		req.Header.Set(name, value)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, k, err)
	}
	defer resp.Body.Close()
	payload, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, c.transportError(ctx, k, err)
	}
	if resp.StatusCode >= 300 {
		reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
		return nil, ErrorFromProblem(resp.StatusCode, payload, reason, resp.Header.Get("Retry-After"))
	}
	if k.out != nil {
		if raw, ok := k.out.(*[]byte); ok {
			*raw = payload
		} else if len(payload) > 0 {
			if err := json.Unmarshal(payload, k.out); err != nil {
				return nil, protocolError("%s %s answered %d with a body that is not the expected JSON: %v", k.method, k.path, resp.StatusCode, err)
			}
		}
	}
	return resp.Header, nil
}

func (c *Client) transportError(ctx context.Context, k call, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("lumadb: %s %s: %w", k.method, k.path, ctxErr)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return unreachable(err, "%s %s%s: no answer within %v: %v", k.method, c.url, k.path, c.timeout, err)
	}
	return unreachable(err, "%s %s%s: %v", k.method, c.url, k.path, err)
}

// Do sends a request with a JSON body (nil: none) to a path of the node's API (see Path) and
// decodes the JSON answer into out (nil: dropped; a *[]byte keeps it as it is). It is for
// the parts of the API this package has no method for.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	_, err := c.do(ctx, call{method: method, path: path, body: body, out: out})
	return err
}

// ---- the node

// Health is GET /health: whether the process answers.
func (c *Client) Health(ctx context.Context) (Document, error) {
	var out Document
	_, err := c.do(ctx, call{method: "GET", path: "/health", out: &out})
	return out, err
}

// Ready is GET /ready: whether the node takes traffic (an ErrUnavailable error when not).
func (c *Client) Ready(ctx context.Context) (Document, error) {
	var out Document
	_, err := c.do(ctx, call{method: "GET", path: "/ready", out: &out})
	return out, err
}

// Principal is the caller as the node sees it.
type Principal struct {
	Name            string   `json:"name"`
	Kind            string   `json:"kind"`
	Roles           []string `json:"roles"`
	SecurityEnabled bool     `json:"securityEnabled"`
}

// WhoAmI is the caller as the node sees it: name, kind (user or key) and roles.
func (c *Client) WhoAmI(ctx context.Context) (*Principal, error) {
	var out Principal
	if _, err := c.do(ctx, call{method: "GET", path: Path("_security", "whoami"), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}
