package keylock

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOneHolderPerKey: of many callers for one key, one holds it at a
// time; other keys are not held up; a caller whose context ends gives up.
func TestOneHolderPerKey(t *testing.T) {
	var s Set
	var holders, most atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := s.Lock(context.Background(), "k")
			if err != nil {
				t.Error(err)
				return
			}
			n := holders.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			holders.Add(-1)
			unlock()
			unlock() // a second call is harmless
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d callers held the key at once", most.Load())
	}
	unlock, _ := s.Lock(context.Background(), "k")
	defer unlock()
	other, err := s.Lock(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	other()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a held key with an ended context: %v", err)
	}
}
