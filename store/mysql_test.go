package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

func TestMySQLDSN(t *testing.T) {
	t.Run("completed", func(t *testing.T) {
		for _, dsn := range []string{
			"root@tcp(127.0.0.1:3306)/shop",
			"root@tcp(127.0.0.1:3306)/shop?",
			"u:p@tcp(db:3306)/shop?timeout=5s",
			"root@tcp(127.0.0.1:3306)/shop?parseTime=true&loc=UTC&charset=utf8mb4&time_zone=%27%2B00%3A00%27",
		} {
			full, err := store.MySQLDSN(dsn)
			if err != nil {
				t.Fatalf("%s: %v", dsn, err)
			}
			cfg, err := mysql.ParseDSN(full)
			if err != nil {
				t.Fatalf("%s → %s: %v", dsn, full, err)
			}
			if !cfg.ParseTime || cfg.Loc != time.UTC || cfg.Params["time_zone"] != "'+00:00'" || cfg.DBName != "shop" || cfg.ClientFoundRows {
				t.Errorf("%s → %s: parseTime=%v loc=%v time_zone=%q db=%q", dsn, full, cfg.ParseTime, cfg.Loc, cfg.Params["time_zone"], cfg.DBName)
			}
			if !strings.Contains(full, "collation=utf8mb4_") && !strings.Contains(full, "charset=utf8mb4") {
				t.Errorf("%s → %s: no utf8mb4", dsn, full)
			}
		}
	})
	t.Run("conflicts", func(t *testing.T) {
		for param, dsn := range map[string]string{
			"parseTime":       "u:s3cret@tcp(db:3306)/shop?parseTime=false",
			"loc":             "u:s3cret@tcp(db:3306)/shop?loc=Local",
			"time_zone":       "u:s3cret@tcp(db:3306)/shop?time_zone=%27%2B07%3A00%27",
			"charset":         "u:s3cret@tcp(db:3306)/shop?charset=latin1",
			"collation":       "u:s3cret@tcp(db:3306)/shop?collation=latin1_swedish_ci",
			"clientFoundRows": "u:s3cret@tcp(db:3306)/shop?clientFoundRows=true",
		} {
			_, err := store.MySQLDSN(dsn)
			if err == nil || !strings.Contains(err.Error(), param+"=") {
				t.Errorf("%s: %v, want an error naming %s", dsn, err, param)
			} else if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s: the error shows the password: %v", dsn, err)
			}
			if _, err := store.OpenMySQL(dsn); err == nil {
				t.Errorf("OpenMySQL(%s) accepted it", dsn)
			}
		}
		if _, err := store.MySQLDSN("no slash"); err == nil {
			t.Error("a DSN without a database accepted")
		}
	})
}

// TestMySQLTimes: the session runs in UTC, so NOW() agrees with the
// store's clock, and times are stored as UTC at microsecond precision.
func TestMySQLTimes(t *testing.T) {
	db := dbtest.MySQL(t)
	var zone string
	var now time.Time
	if err := db.QueryRowContext(ctx(t), "SELECT @@session.time_zone, NOW(6)").Scan(&zone, &now); err != nil {
		t.Fatal(err)
	}
	if zone != "+00:00" || now.Location() != time.UTC || time.Since(now).Abs() > time.Minute {
		t.Fatalf("session time_zone %q, NOW() = %v (local now %v)", zone, now, time.Now())
	}
	jakarta := time.FixedZone("WIB", 7*3600)
	at := time.Date(2026, 12, 2, 12, 34, 56, 123456789, jakarta)
	s, err := store.New(db, store.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePayment(ctx(t), &payments.Payment{OrderID: "order-times", Method: "gopay", Amount: 1000, ExpiresAt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Payment(ctx(t), "order-times")
	if err != nil {
		t.Fatal(err)
	}
	want := at.UTC().Truncate(time.Microsecond)
	if !p.CreatedAt.Equal(want) || p.CreatedAt.Location() != time.UTC || !p.ExpiresAt.Equal(want.Add(time.Hour)) {
		t.Fatalf("created %v, expires %v; want %v and an hour later, in UTC", p.CreatedAt, p.ExpiresAt, want)
	}
	var stored string
	if err := db.QueryRowContext(ctx(t), "SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') FROM nusapay_payments").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != "2026-12-02 05:34:56.123456" {
		t.Fatalf("stored %s, want the UTC time", stored)
	}
}
