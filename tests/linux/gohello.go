// tests/linux/gohello.go: a Go program of ours (no cgo: a static
// executable) using goroutines, channels, timers, os.ReadFile and
// runtime.GC(); prints results that depend only on the program and the
// file it reads, so the boot test can compare with the host's run.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

// pipeline sums squares through three stages of goroutines and channels.
func pipeline(n int) int {
	src := make(chan int)
	sq := make(chan int, 16)
	go func() {
		for i := 1; i <= n; i++ {
			src <- i
		}
		close(src)
	}()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range src {
				sq <- v * v
			}
		}()
	}
	go func() { wg.Wait(); close(sq) }()
	sum := 0
	for v := range sq {
		sum += v
	}
	return sum
}

// timers checks that each timer fires, none early (Go's only promise: a
// vCPU stalled by a busy host lets several expire at one check, and their
// goroutines then race, on Linux as here, so arrival order is not checked).
func timers() string {
	start := time.Now()
	type fired struct {
		ms int
		at time.Duration
	}
	order := make(chan fired, 3)
	for _, ms := range []int{30, 10, 20} {
		ms := ms
		time.AfterFunc(time.Duration(ms)*time.Millisecond, func() { order <- fired{ms, time.Since(start)} })
	}
	sum, notEarly := 0, true
	for i := 0; i < 3; i++ {
		f := <-order
		sum += f.ms
		if f.at < time.Duration(f.ms)*time.Millisecond {
			notEarly = false
		}
	}
	tick := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < 4; i++ {
		<-tick.C
	}
	tick.Stop()
	select {
	case <-time.After(15 * time.Millisecond):
	}
	late := time.Since(start) >= 30*time.Millisecond
	return fmt.Sprintf("all=%v not_early=%v after_all=%v", sum == 60, notEarly, late)
}

// garbage allocates, drops and collects, and checks the heap shrank.
func garbage() string {
	var keep [][]byte
	for i := 0; i < 2000; i++ {
		b := make([]byte, 16<<10)
		b[0] = byte(i)
		if i%100 == 0 {
			keep = append(keep, b)
		}
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return fmt.Sprintf("kept=%d gcs>0=%v", len(keep), m.NumGC > 0)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: gohello FILE")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Println("read:", err)
		os.Exit(1)
	}
	fmt.Printf("file %d bytes sha256 %x\n", len(data), sha256.Sum256(data))
	fmt.Printf("pipeline %d\n", pipeline(10000))
	fmt.Printf("timers %s\n", timers())
	fmt.Printf("gc %s\n", garbage())
	fmt.Printf("procs>0 %v\n", runtime.NumCPU() > 0)
	_, err = os.ReadFile("/no/such/file")
	fmt.Printf("missing file: %v\n", os.IsNotExist(err))
	os.Exit(3)
}
