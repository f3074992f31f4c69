package bsssim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a simulator listening on a loopback address, for tests and
// demos. It embeds the Simulator, so knobs and Truth are methods of Server.
type Server struct {
	*Simulator
	// URL is the base URL, e.g. "http://127.0.0.1:41234" (no trailing slash).
	URL  string
	srv  *http.Server
	done chan struct{}
	// serveErr is the listener's failure, if any; written before done is
	// closed.
	serveErr error
}

// NewServer starts a simulator on 127.0.0.1 with a random free port. Close it
// when done. It behaves like httptest.NewServer(New(cfg)) without importing
// net/http/httptest (which registers a command-line flag).
func NewServer(cfg Config) (*Server, error) {
	return Listen(cfg, "127.0.0.1:0")
}

// Listen starts a simulator on addr, which must be a loopback address.
func Listen(cfg Config, addr string) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("bsssim: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("bsssim: listen address %q is not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bsssim: listen: %w", err)
	}
	sim := New(cfg)
	s := &Server{
		Simulator: sim,
		URL:       "http://" + ln.Addr().String(),
		srv:       &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil},
		done:      make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = fmt.Errorf("bsssim: serve: %w", err) // reported by Shutdown
		}
	}()
	return s, nil
}

// Close stops the server, dropping open connections, and waits for it.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// Shutdown stops the server gracefully, waiting for requests in flight. It
// also reports a listener that failed while serving.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done
	return errors.Join(err, s.serveErr)
}
