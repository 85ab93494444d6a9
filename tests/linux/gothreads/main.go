// Kestrel test program: goroutines on several threads, channels, a mutex;
// with "gc", runtime.GC; with "timers", also timers and tickers and the
// preemption of a goroutine spinning in a loop (Go sends SIGURG). Prints
// results the boot test recomputes.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func spin(n int) int {
	x := 0
	for i := 0; i < n; i++ {
		x += i % 7
	}
	return x
}

func main() {
	results := make(chan int, 64)
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			s := 0
			for i := 1; i <= 1000; i++ {
				s += i * g
			}
			results <- s
		}(g)
	}
	wg.Wait()
	close(results)
	sum := 0
	for s := range results {
		sum += s
	}
	fmt.Printf("go: goroutines=64 sum=%d\n", sum)

	var mu sync.Mutex
	counter := 0
	var wg2 sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for i := 0; i < 1000; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg2.Wait()
	fmt.Printf("go: counter=%d\n", counter)

	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	if mode == "gc" || mode == "timers" {
		collect()
	}
	if mode == "preempt" {
		preemptSpinner()
	}
	if mode == "timers" {
		timersAndPreemption()
	}
	os.Exit(0)
}

// The runtime's background scavenger arms a timer: like timers, this needs
// the netpoller (epoll) and the clocks.
func collect() {
	data := make([][]byte, 0)
	for i := 0; i < 200; i++ {
		data = append(data, make([]byte, 64*1024))
	}
	data = nil
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	fmt.Printf("go: gc numgc>=1 %v\n", ms.NumGC >= 1)
}

// Timers and preemption need the runtime's netpoller (epoll) and clocks.
func timersAndPreemption() {
	start := time.Now()
	timer := time.NewTimer(100 * time.Millisecond)
	<-timer.C
	ticks := 0
	ticker := time.NewTicker(20 * time.Millisecond)
	for range ticker.C {
		ticks++
		if ticks == 5 {
			break
		}
	}
	ticker.Stop()
	fmt.Printf("go: timers elapsed_ms=%d ticks=%d\n", time.Since(start).Milliseconds(), ticks)

	// One goroutine spins without calls: with GOMAXPROCS 1 the other only
	// runs if the runtime preempts it (SIGURG, asynchronous preemption).
	runtime.GOMAXPROCS(1)
	done := make(chan bool)
	stop := false
	go func() {
		for !stop {
		}
		done <- true
	}()
	time.Sleep(50 * time.Millisecond)
	stop = true
	select {
	case <-done:
		fmt.Println("go: preempted=yes")
	case <-time.After(10 * time.Second):
		fmt.Println("go: preempted=no")
	}

}

// With one P, a goroutine spinning without calls lets main run again only
// when sysmon preempts it asynchronously: SIGURG to its thread, a signal
// frame, Go's handler, rt_sigreturn. Needs no timers, only clocks.
func preemptSpinner() {
	runtime.GOMAXPROCS(1)
	var stop int32
	done := make(chan bool)
	go func() {
		for atomic.LoadInt32(&stop) == 0 {
		}
		done <- true
	}()
	runtime.Gosched()
	atomic.StoreInt32(&stop, 1)
	<-done
	fmt.Println("go: preempted=yes")
}
