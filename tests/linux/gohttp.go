// A Go net/http server (tests/boot/test_linux_sockets.py): Go's runtime
// drives its sockets through epoll (the netpoller), accept4, non-blocking
// reads and writes. GET /bytes/N answers N bytes of a fixed pattern; POST
// /echo answers the body's SHA-256; GET /files/PATH serves /www/PATH with
// net/http's FileServer (the image test's tree, on ext4); GET /quit closes
// the server, and the program exits with the number of requests served
// (but files'). GET /meminfo answers the kernel's /proc/meminfo, after a
// garbage collection that hands freed memory back (runtime/debug's
// FreeOSMemory), for the hostile-client test's check of the guest's memory.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
)

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>9)
	}
	return b
}

func main() {
	ln, err := net.Listen("tcp", ":8080")
	if err != nil {
		fmt.Println("gohttp: listen:", err)
		os.Exit(1)
	}
	fmt.Println("gohttp: listening on", ln.Addr())
	var served int64
	srv := &http.Server{}
	mux := http.NewServeMux()
	mux.HandleFunc("/bytes/", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/bytes/"))
		if err != nil || n < 0 || n > 16<<20 {
			http.Error(w, "bad size", http.StatusBadRequest)
			return
		}
		atomic.AddInt64(&served, 1)
		w.Write(pattern(n))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		io.Copy(h, r.Body)
		atomic.AddInt64(&served, 1)
		fmt.Fprintf(w, "%x", h.Sum(nil))
	})
	mux.Handle("/files/", http.StripPrefix("/files", http.FileServer(http.Dir("/www"))))
	mux.HandleFunc("/meminfo", func(w http.ResponseWriter, r *http.Request) {
		debug.FreeOSMemory()
		b, err := os.ReadFile("/proc/meminfo")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(b)
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "bye")
		go srv.Close()
	})
	srv.Handler = mux
	err = srv.Serve(ln)
	fmt.Printf("gohttp: served %d requests (%v)\n", atomic.LoadInt64(&served), err)
}
