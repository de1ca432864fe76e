// Go's peer for tools/compare-peers (contract: tools/peers/README.md): crypto/tls and net,
// standard library only (go build needs no module download).
//
//	go-peer server    --port P --tls 1.3|tcp [--cert c.pem --key k.pem]
//	go-peer echo      --port P --tls 1.3|tcp [--ca c.pem] --clients N --chunk B --duration S
//	go-peer handshake --port P --ca c.pem --clients N --duration S --mode full|resumed
//
// Pinned like every peer: TLS 1.3 only, X25519, TCP_NODELAY (Go's default), server verified
// (hostname localhost). crypto/tls does not let TLS 1.3 suites be chosen; with AES-NI it prefers
// TLS_AES_128_GCM_SHA256 (the JSON says which suite was used). GOMAXPROCS=1 by default: one thread
// runs Go code, like the one event-loop thread of the other peers.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type options struct {
	cmd, host, tlsMode, cert, key, ca, mode string
	port, clients, chunk                    int
	duration                                float64
}

func parse(args []string) options {
	o := options{host: "127.0.0.1", tlsMode: "1.3", mode: "full", clients: 1, chunk: 65536, duration: 5}
	if len(args) < 1 || len(args)%2 != 1 {
		usage()
	}
	o.cmd = args[0]
	for i := 1; i+1 < len(args); i += 2 {
		k, v := args[i], args[i+1]
		num := func() int {
			n, err := strconv.Atoi(v)
			if err != nil {
				usage()
			}
			return n
		}
		switch k {
		case "--port":
			o.port = num()
		case "--host":
			o.host = v
		case "--tls":
			o.tlsMode = v
		case "--cert":
			o.cert = v
		case "--key":
			o.key = v
		case "--ca":
			o.ca = v
		case "--clients":
			o.clients = num()
		case "--chunk":
			o.chunk = num()
		case "--duration":
			d, err := strconv.ParseFloat(v, 64)
			if err != nil {
				usage()
			}
			o.duration = d
		case "--mode":
			o.mode = v
		case "--threads":
			runtime.GOMAXPROCS(num())
		default:
			fmt.Fprintf(os.Stderr, "go-peer: unknown option %s\n", k)
			usage()
		}
	}
	if o.clients < 1 || o.clients > 10000 || o.chunk < 1 || o.chunk > 1<<24 || o.duration <= 0 {
		usage()
	}
	return o
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: go-peer server|echo|handshake --port P --tls 1.3|tcp [--cert --key --ca --clients --chunk --duration --mode]")
	os.Exit(2)
}

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "go-peer: %s: %v\n", what, err)
	os.Exit(1)
}

func emit(v map[string]interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		die("json", err)
	}
	os.Stdout.Write(append(b, '\n'))
}

var pins = tls.Config{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}}

func server(o options) {
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
	if err != nil {
		die("listen", err)
	}
	var cfg *tls.Config
	if o.tlsMode != "tcp" {
		pair, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			die("certificate", err)
		}
		cfg = pins.Clone()
		cfg.Certificates = []tls.Certificate{pair}
	}
	emit(map[string]interface{}{"listening": ln.Addr().(*net.TCPAddr).Port})
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			c.(*net.TCPConn).SetNoDelay(true)
			var rw io.ReadWriter = c
			if cfg != nil {
				t := tls.Server(c, cfg)
				if t.Handshake() != nil {
					return
				}
				rw = t
			}
			buf := make([]byte, 65536)
			for {
				n, err := rw.Read(buf)
				if n > 0 {
					if _, werr := rw.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}(c)
	}
}

func clientConfig(o options) *tls.Config {
	pem, err := os.ReadFile(o.ca)
	if err != nil {
		die("CA file", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		die("CA file", fmt.Errorf("no certificate in %s", o.ca))
	}
	cfg := pins.Clone()
	cfg.RootCAs = pool
	cfg.ServerName = "localhost"
	return cfg
}

func dial(o options, cfg *tls.Config) (net.Conn, error) {
	c, err := net.Dial("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
	if err != nil {
		return nil, err
	}
	c.(*net.TCPConn).SetNoDelay(true)
	if cfg == nil {
		return c, nil
	}
	t := tls.Client(c, cfg)
	if err := t.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return t, nil
}

func echo(o options) {
	var cfg *tls.Config
	if o.tlsMode != "tcp" {
		cfg = clientConfig(o)
	}
	var conns []net.Conn
	errors := 0
	var cipher interface{}
	for i := 0; i < o.clients; i++ {
		c, err := dial(o, cfg)
		if err != nil {
			errors++
			fmt.Fprintf(os.Stderr, "connect: %v\n", err)
			continue
		}
		if t, ok := c.(*tls.Conn); ok {
			cipher = tls.CipherSuiteName(t.ConnectionState().CipherSuite)
		}
		conns = append(conns, c)
	}
	perClient := make([]int64, len(conns))
	iterations := make([]int64, len(conns))
	failed := make([]bool, len(conns))
	start := time.Now()
	deadline := start.Add(time.Duration(o.duration * 1e9))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func(i int, c net.Conn) {
			defer wg.Done()
			payload := make([]byte, o.chunk)
			for j := range payload {
				payload[j] = 0x5a
			}
			buf := make([]byte, o.chunk)
			for time.Now().Before(deadline) {
				if _, err := c.Write(payload); err != nil {
					failed[i] = true
					return
				}
				perClient[i] += int64(o.chunk)
				if _, err := io.ReadFull(c, buf); err != nil {
					failed[i] = true
					return
				}
				perClient[i] += int64(o.chunk)
				iterations[i]++
			}
		}(i, c)
	}
	wg.Wait()
	seconds := time.Since(start).Seconds()
	var bytes, iters int64
	for i := range conns {
		bytes += perClient[i]
		iters += iterations[i]
		if failed[i] {
			errors++
		}
		conns[i].Close()
	}
	transport := "tls1.3"
	if o.tlsMode == "tcp" {
		transport = "tcp"
	}
	emit(map[string]interface{}{"stack": "go", "workload": "echo", "transport": transport, "clients": o.clients,
		"chunk": o.chunk, "duration": o.duration, "seconds": seconds, "bytes": bytes, "iterations": iters,
		"connected": len(conns), "errors": errors, "per_client_bytes": perClient, "cipher": cipher})
}

func handshake(o options) {
	cfg := clientConfig(o)
	resume := o.mode == "resumed"
	type worker struct {
		latencies       []int64
		resumed, errors int
		cipher          string
	}
	workers := make([]worker, o.clients)
	start := time.Now()
	deadline := start.Add(time.Duration(o.duration * 1e9))
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			c := cfg.Clone()
			if resume {
				// One session cache per worker: it offers the ticket its previous connection received.
				c.ClientSessionCache = tls.NewLRUClientSessionCache(1)
			}
			once := func() (bool, error) {
				conn, err := dial(o, c)
				if err != nil {
					return false, err
				}
				defer conn.Close()
				b := []byte{0x5a}
				if _, err := conn.Write(b); err != nil {
					return false, err
				}
				if _, err := io.ReadFull(conn, b); err != nil {
					return false, err
				}
				st := conn.(*tls.Conn).ConnectionState()
				w.cipher = tls.CipherSuiteName(st.CipherSuite)
				return st.DidResume, nil
			}
			if resume {
				if _, err := once(); err != nil { // the first full handshake is not counted
					w.errors++
				}
			}
			for time.Now().Before(deadline) {
				t0 := time.Now()
				resumed, err := once()
				if err != nil {
					w.errors++
					if w.errors > 1000 {
						return
					}
					continue
				}
				w.latencies = append(w.latencies, time.Since(t0).Microseconds())
				if resumed {
					w.resumed++
				}
			}
		}(&workers[i])
	}
	wg.Wait()
	seconds := time.Since(start).Seconds()
	latencies := []int64{}
	resumed, errors := 0, 0
	var cipher interface{}
	for _, w := range workers {
		latencies = append(latencies, w.latencies...)
		resumed += w.resumed
		errors += w.errors
		if w.cipher != "" {
			cipher = w.cipher
		}
	}
	emit(map[string]interface{}{"stack": "go", "workload": "handshake", "mode": o.mode, "clients": o.clients,
		"duration": o.duration, "seconds": seconds, "handshakes": len(latencies), "resumed": resumed,
		"errors": errors, "latencies_us": latencies, "cipher": cipher})
}

func main() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	o := parse(os.Args[1:])
	switch o.cmd {
	case "server":
		server(o)
	case "echo":
		echo(o)
	case "handshake":
		handshake(o)
	default:
		usage()
	}
}
