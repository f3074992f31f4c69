package sinktest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// StartTLSServer is StartServer with a TLS native port (tcp_port_secure)
// whose certificate is signed by a fresh private CA. Server.TLSDSN connects
// through it with secure=true&ca_file=<the CA>.
func StartTLSServer(ctx context.Context) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	tlsPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	certDir, err := os.MkdirTemp("", "syncd-clickhouse-tls-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(certDir, 0o755); err != nil {
		return nil, err
	}
	if err := markOwned(certDir); err != nil {
		return nil, err
	}
	if err := writeCerts(certDir); err != nil {
		os.RemoveAll(certDir)
		return nil, err
	}
	srv, err := startServer(ctx, serverConfig{Port: port, TLSPort: tlsPort, CertDir: certDir})
	if err != nil {
		os.RemoveAll(certDir)
		return nil, err
	}
	srv.CAFile = filepath.Join(certDir, "ca.pem")
	srv.TLSDSN = fmt.Sprintf("clickhouse://default:%s@127.0.0.1:%d/default?dial_timeout=10s&secure=true&ca_file=%s", Password, tlsPort, srv.CAFile)
	srv.extraDirs = append(srv.extraDirs, certDir)
	return srv, nil
}

// writeCerts writes ca.pem, server.pem and server.key (for 127.0.0.1) to dir.
func writeCerts(dir string) error {
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "syncd test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	files := map[string]*pem.Block{
		"ca.pem":     {Type: "CERTIFICATE", Bytes: caDER},
		"server.pem": {Type: "CERTIFICATE", Bytes: leafDER},
		"server.key": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)},
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(b), 0o644); err != nil {
			return err
		}
	}
	return nil
}
