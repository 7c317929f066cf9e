package midtrans

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadBody: the body comes back whole whatever Content-Length says
// and however the reader splits it, and nothing past the limit is read.
func TestReadBody(t *testing.T) {
	body := `{"status_code":"201","transaction_status":"pending"}`
	n := int64(len(body))
	same := func(r io.Reader) io.Reader { return r }
	for _, tt := range []struct {
		name   string
		body   string
		length int64
		wrap   func(io.Reader) io.Reader
	}{
		{"known length", body, n, same},
		{"unknown length", body, -1, same},
		{"one byte at a time", body, n, iotest.OneByteReader},
		{"data with EOF", body, n, iotest.DataErrReader},
		{"length too small", body, 3, same},
		{"length too large", body, n * 10, same},
		{"empty", "", 0, same},
		{"longer than 512, unknown length", body + strings.Repeat(" ", 2000), -1, iotest.HalfReader},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readBody(tt.wrap(strings.NewReader(tt.body)), tt.length)
			if err != nil || string(got) != tt.body {
				t.Fatalf("readBody = %q, %v; want %q", got, err, tt.body)
			}
		})
	}

	t.Run("over the limit", func(t *testing.T) {
		src := &countingReader{r: io.LimitReader(zeros{}, 3*maxResponseBytes)}
		_, err := readBody(src, -1)
		if err == nil || !strings.Contains(err.Error(), "exceeds") {
			t.Fatalf("err = %v", err)
		}
		if src.n > maxResponseBytes+1 {
			t.Fatalf("read %d bytes, more than the limit and one", src.n)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		if _, err := readBody(iotest.ErrReader(boom), 10); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
