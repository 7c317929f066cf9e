package payments

import (
	"slices"
	"strings"
	"time"

	"github.com/nusapay/payments/midtrans"
)

// A Snap payment whose customer never chooses a channel has no Midtrans
// transaction: no notification ever comes for it, and its status stays
// "not found". When the request set the page's lifetime (page_expiry), the
// payment expires locally once the page has ended and Midtrans still knows
// nothing of it (see Service.Sync; the reconciler syncs payments past their
// expiry). Without page_expiry the lifetime is the dashboard's setting,
// which the Service cannot know, so the payment stays pending. So it does
// when the page may offer DANA (every channel, or "dana" enabled): Midtrans
// finds a DANA transaction by its transaction id only, never by order id,
// so "not found" does not prove that nobody paid.

// snapPageGrace is how long after the page's end a status "not found"
// still waits: a channel chosen at the last second makes a transaction.
const snapPageGrace = time.Minute

// snapPageEnd is when the Snap page of req stops taking payments, counted
// from its creation at from; zero when the request leaves it to the
// dashboard.
func snapPageEnd(req *midtrans.SnapRequest, from time.Time) time.Time {
	if req.PageExpiry == nil || req.PageExpiry.Duration <= 0 ||
		len(req.EnabledPayments) == 0 || slices.Contains(req.EnabledPayments, "dana") {
		return time.Time{}
	}
	var unit time.Duration
	switch strings.TrimSuffix(strings.ToLower(req.PageExpiry.Unit), "s") {
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	default:
		return time.Time{}
	}
	return from.Add(time.Duration(req.PageExpiry.Duration) * unit)
}

// snapPageEnded reports whether p is a payment page that ended unused: still
// pending without a Midtrans transaction, past its expiry and the grace.
// The caller has just been told Midtrans does not know p.
func snapPageEnded(p *Payment, now time.Time) bool {
	return p.Status == StatusPending && p.TransactionID == "" && !p.ExpiresAt.IsZero() &&
		now.After(p.ExpiresAt.Add(snapPageGrace))
}
