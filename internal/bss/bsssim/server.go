package bsssim

import (
	"net/http/httptest"
)

// Server is a running simulator on a loopback port, for tests and demos.
type Server struct {
	// Simulator serves the requests; use it for knobs and Truth.
	*Simulator
	// URL is the base URL, e.g. "http://127.0.0.1:41234" (no trailing slash).
	URL string
	hs  *httptest.Server
}

// NewServer starts a simulator on 127.0.0.1 with a random port. Close it
// when done. It is equivalent to httptest.NewServer(New(cfg)).
func NewServer(cfg Config) (*Server, error) {
	sim := New(cfg)
	hs := httptest.NewServer(sim)
	return &Server{Simulator: sim, URL: hs.URL, hs: hs}, nil
}

// Close shuts the server down and closes idle and hijacked-free connections.
func (s *Server) Close() {
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// Sim returns the simulator behind the server.
func (s *Server) Sim() *Simulator { return s.Simulator }
