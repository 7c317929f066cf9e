package midtrans

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", time.Time{}, false},
		{"2019-10-23 16:33:49", time.Date(2019, 10, 23, 9, 33, 49, 0, time.UTC), false},
		{"2020-01-01 03:00:00", time.Date(2019, 12, 31, 20, 0, 0, 0, time.UTC), false}, // crosses midnight and year
		{"2019-10-23T16:33:49", time.Time{}, true},
		{"2019-10-23", time.Time{}, true},
		{"23-10-2019 16:33:49", time.Time{}, true},
		{"2019-02-30 10:00:00", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC) {
				t.Errorf("ParseTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatTime(t *testing.T) {
	if got := FormatTime(time.Date(2019, 10, 23, 9, 33, 49, 0, time.UTC)); got != "2019-10-23 16:33:49" {
		t.Errorf("FormatTime = %q", got)
	}
	nyc := time.FixedZone("EST", -5*3600)
	if got := FormatTime(time.Date(2019, 10, 23, 4, 33, 49, 0, nyc)); got != "2019-10-23 16:33:49" {
		t.Errorf("FormatTime from another zone = %q", got)
	}
	if got := FormatTime(time.Time{}); got != "" {
		t.Errorf("FormatTime(zero) = %q", got)
	}
	// A custom expiry order_time in the zone layout Midtrans wants.
	if got := time.Date(2016, 12, 7, 4, 54, 12, 0, time.UTC).In(time.FixedZone("WIB", 7*3600)).Format(ZoneTimeLayout); got != "2016-12-07 11:54:12 +0700" {
		t.Errorf("ZoneTimeLayout gives %q", got)
	}
}
