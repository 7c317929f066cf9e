package midtrans

import (
	"fmt"
	"time"
)

// TimeLayout is the layout of Midtrans times ("2019-10-23 16:33:49"),
// which are Western Indonesia Time without a zone.
const TimeLayout = "2006-01-02 15:04:05"

// ZoneTimeLayout is the layout Midtrans wants for request times with a
// zone: CustomExpiry.OrderTime and SnapExpiry.StartTime.
const ZoneTimeLayout = "2006-01-02 15:04:05 -0700"

// wib builds Western Indonesia Time (UTC+7). Indonesia has no daylight
// saving, so a fixed zone is exact and needs no tzdata on the host.
func wib() *time.Location { return time.FixedZone("WIB", wibOffset) }

// wibOffset is WIB's offset from UTC, in seconds. ParseTime and FormatTime
// shift by it instead of building the zone (an allocation) on every call:
// they run on every notification.
const wibOffset = 7 * 60 * 60

// ParseTime parses a Midtrans time (TimeLayout, in WIB) and returns it in
// UTC. An empty string gives the zero time and no error, because absent
// times (settlement_time of a pending payment) are normal.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(TimeLayout, s) // the wall clock, read as UTC
	if err != nil {
		return time.Time{}, fmt.Errorf("midtrans: parse time %q: %w", s, err)
	}
	return t.Add(-wibOffset * time.Second), nil
}

// FormatTime formats t as a Midtrans time, in WIB. The zero time formats
// as "", the inverse of ParseTime.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Add(wibOffset * time.Second).Format(TimeLayout)
}
