package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nusapay/payments/internal/browsertest"
)

// The browser is internal/browsertest's: Debian's Chromium, headless.
func requireBrowser(t *testing.T) { t.Helper(); browsertest.Require(t) }

func newBrowser(t *testing.T, ignore ...string) (context.Context, *browsertest.Errors) {
	t.Helper()
	return browsertest.New(t, ignore...)
}

func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browsertest.Step(t, ctx, what, actions...)
}

func value[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	return browsertest.Value(t, ctx, what, action)
}

// screenshot saves the page to $SHOP_TEST_SCREENSHOTS/<name>.png when set,
// to look at what the test saw.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("SHOP_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf := value(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Error(err)
	}
}

// phoneAndDesktop saves the page at a phone's and a desktop's size to
// $SHOP_TEST_SCREENSHOTS/<name>-<w>x<h>.png (the viewport) and
// <name>-<w>x<h>-full.png (the whole page), when that is set.
func phoneAndDesktop(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SHOP_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, size := range [][2]int64{{390, 844}, {1280, 800}} {
		var opts []chromedp.EmulateViewportOption
		if size[0] < 500 {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
		}
		step(t, ctx, "resize", chromedp.EmulateViewport(size[0], size[1], opts...), chromedp.Sleep(200*time.Millisecond))
		base := filepath.Join(dir, fmt.Sprintf("%s-%dx%d", name, size[0], size[1]))
		if err := os.WriteFile(base+".png", value(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644); err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(base+"-full.png", value(t, ctx, "screenshot", chromedp.FullScreenshot(100)), 0o644); err != nil {
			t.Error(err)
		}
	}
	step(t, ctx, "reset size", chromedp.EmulateViewport(1280, 1000))
}

// fitsPhone checks the page on a 390 px wide phone: nothing wider than
// the screen, and no number (VA number, bill key, code, amount, countdown)
// broken over two lines or sticking out of its box.
func fitsPhone(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Sleep(100*time.Millisecond))
	defer step(t, ctx, "reset size", chromedp.EmulateViewport(1280, 1000))
	bad := value(t, ctx, "fits a phone", chromedp.Evaluate[[]string](`(() => {
		const bad = [];
		const width = document.documentElement.scrollWidth;
		if (width > 390) bad.push("the page is " + width + " px wide");
		for (const el of document.querySelectorAll(".field .value, .amount, #expiry, .receipt dd")) {
			const range = document.createRange();
			range.selectNodeContents(el);
			const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
			const name = "#" + (el.id || el.className) + " " + JSON.stringify(el.textContent);
			if (tops.size > 1 && el.id !== "receipt-ref") bad.push(name + " wraps");
			const box = el.closest(".field, .card");
			if (box && range.getBoundingClientRect().right > box.getBoundingClientRect().right) bad.push(name + " sticks out");
		}
		return bad;
	})()`))
	for _, b := range bad {
		t.Errorf("on a phone: %s", b)
	}
}

// waitReady waits until the checkout page's script has attached its
// handlers: before that its controls are disabled.
func waitReady(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "page ready", chromedp.WaitVisible(chromedp.CSS(`#checkout[data-ready="true"]`)))
}

// checkout goes from the product page to a started payment.
func checkout(t *testing.T, ctx context.Context, base, product, method string) {
	t.Helper()
	step(t, ctx, "choose "+product+" and "+method,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.ID("product-"+product)),
		chromedp.Click(chromedp.ID("method-"+method)),
		chromedp.Click(chromedp.ID("checkout")),
		chromedp.WaitVisible(chromedp.ID("pay")),
	)
	waitReady(t, ctx)
	step(t, ctx, "Pay enabled", chromedp.WaitEnabled(chromedp.ID("pay")))
	if checked := value(t, ctx, "preselected method", chromedp.Evaluate[bool](
		`document.getElementById("method-`+method+`").checked`)); !checked {
		t.Fatalf("checkout page did not preselect %s", method)
	}
	screenshot(t, ctx, method+"-1-checkout")
	step(t, ctx, "pay", chromedp.Click(chromedp.ID("pay")))
}

// waitFulfilled pays at the simulator (unless already paid) and waits
// until the page shows the order fulfilled.
func waitFulfilled(t *testing.T, ctx context.Context, name string, simulate bool) {
	t.Helper()
	if simulate {
		waitReady(t, ctx)
		step(t, ctx, "simulate payment", chromedp.WaitVisible(chromedp.ID("simulate-pay")), chromedp.Click(chromedp.ID("simulate-pay")))
	}
	step(t, ctx, "wait for fulfilled", chromedp.Poll[chromedp.Void](
		`document.getElementById("fulfilled").dataset.state === "fulfilled" && document.getElementById("receipt") !== null`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	outcome := value(t, ctx, "outcome", chromedp.Evaluate[string](`document.getElementById("outcome").dataset.outcome`))
	if outcome != "paid" {
		t.Errorf("outcome %q after fulfilment, want paid", outcome)
	}
	if label := value(t, ctx, "order label", chromedp.Text(chromedp.ID("fulfilled"))); label != "Lunas, sedang dikemas" {
		t.Errorf("order shown as %q after fulfilment", label)
	}
	for _, id := range []string{"receipt-order", "receipt-item", "receipt-amount", "receipt-method", "receipt-paid-at", "receipt-ref"} {
		if v := value(t, ctx, id, chromedp.Text(chromedp.ID(id))); strings.TrimSpace(v) == "" {
			t.Errorf("receipt: #%s is empty", id)
		}
	}
	screenshot(t, ctx, name+"-3-fulfilled")
}

func noConsoleErrors(t *testing.T, errs *browsertest.Errors) {
	t.Helper()
	for _, m := range errs.Take() {
		t.Errorf("browser reported an error: %s", m)
	}
}

// TestBrowser drives the shop in headless Chromium from the product page to
// the receipt of a fulfilled order, with every method, all against the
// simulator, and switches the language back and forth. Any console error,
// uncaught exception or failed load fails it.
func TestBrowser(t *testing.T) {
	requireBrowser(t)
	_, base := newTestShop(t, Config{})
	ctx, errs := newBrowser(t)
	start := time.Now()

	t.Run("bca_va", func(t *testing.T) {
		checkout(t, ctx, base, "kopi-gayo", "bca_va")
		step(t, ctx, "VA number shown", chromedp.WaitVisible(chromedp.ID("va-number")))
		va := value(t, ctx, "VA number", chromedp.Text(chromedp.ID("va-number")))
		if !regexp.MustCompile(`^\d{10,20}$`).MatchString(va) {
			t.Errorf("VA number %q", va)
		}
		if bank := value(t, ctx, "bank", chromedp.Text(chromedp.ID("va-bank"))); bank != "BCA" {
			t.Errorf("bank %q", bank)
		}
		if status := value(t, ctx, "status", chromedp.Evaluate[string](`document.getElementById("outcome").dataset.status`)); status != "pending" {
			t.Errorf("status %q before paying", status)
		}
		if words := value(t, ctx, "outcome", chromedp.Text(chromedp.ID("outcome"))); words != "Menunggu pembayaran" {
			t.Errorf("pending payment shown as %q", words)
		}
		if amount := value(t, ctx, "amount", chromedp.Text(chromedp.ID("pay-amount"))); amount != "Rp 85.000" {
			t.Errorf("amount next to the VA number %q, want Rp 85.000", amount)
		}
		// The amount is in the box right under the VA number's.
		if next := value(t, ctx, "amount box", chromedp.Evaluate[string](
			`document.getElementById("va-number").closest(".field").nextElementSibling.querySelector(".value").id`)); next != "pay-amount" {
			t.Errorf("the box after the VA number's holds #%s, want the amount", next)
		}
		if exp := value(t, ctx, "expiry", chromedp.Text(chromedp.ID("expiry"))); !regexp.MustCompile(`^\d+:\d\d:\d\d$`).MatchString(exp) {
			t.Errorf("expiry countdown %q", exp)
		}
		screenshot(t, ctx, "bca_va-2-pending")
		phoneAndDesktop(t, ctx, "bca_va-pending")
		fitsPhone(t, ctx)

		// The language switch is a link: English, then back to Indonesian.
		waitReady(t, ctx)
		step(t, ctx, "to English", chromedp.Click(chromedp.ID("lang-switch")),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #va-number`)))
		waitReady(t, ctx)
		for id, want := range map[string]string{"outcome": "Waiting for payment", "lang-switch": "Indonesia", "pay-amount": "Rp 85.000",
			"fulfilled": "Awaiting payment", "switch": "Choose another method"} {
			if got := value(t, ctx, id, chromedp.Text(chromedp.ID(id))); got != want {
				t.Errorf("in English #%s = %q, want %q", id, got, want)
			}
		}
		step(t, ctx, "back to Indonesian", chromedp.Click(chromedp.ID("lang-switch")),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="id"] #va-number`)))

		waitFulfilled(t, ctx, "bca_va", true)
		if status := value(t, ctx, "status", chromedp.Evaluate[string](`document.getElementById("outcome").dataset.status`)); status != "settlement" {
			t.Errorf("status %q after paying", status)
		}
		if words := value(t, ctx, "outcome", chromedp.Text(chromedp.ID("outcome"))); words != "Lunas" {
			t.Errorf("paid payment shown as %q", words)
		}
		if amount := value(t, ctx, "receipt amount", chromedp.Text(chromedp.ID("receipt-amount"))); amount != "Rp 85.000" {
			t.Errorf("receipt amount %q", amount)
		}
		if item := value(t, ctx, "receipt item", chromedp.Text(chromedp.ID("receipt-item"))); item != "Kopi Gayo, 250 g" {
			t.Errorf("receipt item %q", item)
		}
		ref := value(t, ctx, "order ref", chromedp.Evaluate[string](`document.getElementById("checkout").dataset.orderRef`))
		if got := value(t, ctx, "receipt order", chromedp.Text(chromedp.ID("receipt-order"))); got != ref {
			t.Errorf("receipt order %q, want %q", got, ref)
		}
		step(t, ctx, "receipt in English", chromedp.Click(chromedp.ID("lang-switch")),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #receipt`)))
		if words := value(t, ctx, "outcome", chromedp.Text(chromedp.ID("outcome"))); words != "Paid" {
			t.Errorf("paid payment shown in English as %q", words)
		}
		phoneAndDesktop(t, ctx, "bca_va-paid-en")
		step(t, ctx, "back to Indonesian", chromedp.Click(chromedp.ID("lang-switch")),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="id"] #receipt`)))
		phoneAndDesktop(t, ctx, "bca_va-paid")
		fitsPhone(t, ctx)
		noConsoleErrors(t, errs)
	})

	t.Run("qris", func(t *testing.T) {
		checkout(t, ctx, base, "batik-scarf", "qris")
		step(t, ctx, "QR shown", chromedp.WaitVisible(chromedp.ID("qr")))
		type img struct {
			Src      string  `json:"src"`
			Complete bool    `json:"complete"`
			Natural  int     `json:"natural"`
			Width    float64 `json:"width"`
			Height   float64 `json:"height"`
		}
		got := value(t, ctx, "QR image loaded", chromedp.Poll[img](`(() => {
			const i = document.getElementById("qr"), r = i.getBoundingClientRect();
			return i.complete && i.naturalWidth > 0 &&
				{src: i.getAttribute("src"), complete: i.complete, natural: i.naturalWidth, width: r.width, height: r.height};
		})()`, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if !strings.HasPrefix(got.Src, "/qr/") || got.Natural == 0 || got.Width < 100 || got.Height < 100 {
			t.Errorf("QR image %+v: want one drawn by the shop with a real size", got)
		}
		screenshot(t, ctx, "qris-2-pending")
		waitFulfilled(t, ctx, "qris", true)
		noConsoleErrors(t, errs)
	})

	t.Run("credit_card with 3-D Secure", func(t *testing.T) {
		checkout(t, ctx, base, "rattan-tote", "credit_card")
		// The card is tokenised by the simulator's stand-in for Midtrans'
		// library, charged, and 3-D Secure opens in a frame.
		wctx, cancel := context.WithTimeout(ctx, 8*time.Second)
		err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.ID("threeds")))
		cancel()
		if err != nil {
			t.Fatalf("3DS frame: %v", err)
		}
		waitInFrame(t, ctx, "threeds-frame", "pay")
		screenshot(t, ctx, "credit_card-2-3ds")
		clickInFrame(t, ctx, "threeds-frame", "pay")
		step(t, ctx, "3DS frame closed", chromedp.WaitNotVisible(chromedp.ID("threeds")))
		waitFulfilled(t, ctx, "credit_card", false)
		if masked := value(t, ctx, "card", chromedp.Text(chromedp.ID("receipt-method"))); !strings.Contains(masked, "48111111-1114") {
			t.Errorf("paid card not shown: %q", masked)
		}
		noConsoleErrors(t, errs)
	})

	// Every other method shows what its customer needs, then is paid.
	for _, tc := range []struct {
		method string
		show   []string // element ids that must be visible
		text   map[string]string
	}{
		{method: "bni_va", show: []string{"va-number"}, text: map[string]string{"va-bank": "BNI"}},
		{method: "bri_va", show: []string{"va-number"}, text: map[string]string{"va-bank": "BRI"}},
		{method: "permata_va", show: []string{"va-number"}, text: map[string]string{"va-bank": "PERMATA"}},
		{method: "cimb_va", show: []string{"va-number"}, text: map[string]string{"va-bank": "CIMB"}},
		{method: "echannel", show: []string{"biller-code", "bill-key", "copy-bill-key"}},
		{method: "indomaret", show: []string{"payment-code"}, text: map[string]string{"store": "Indomaret"}},
		{method: "alfamart", show: []string{"payment-code"}, text: map[string]string{"store": "Alfamart"}},
		{method: "gopay", show: []string{"qr", "deeplink"}},
		{method: "shopeepay", show: []string{"deeplink"}},
		{method: "akulaku", show: []string{"redirect"}},
		{method: "dana", show: []string{"redirect"}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			checkout(t, ctx, base, "sambal-matah", tc.method)
			step(t, ctx, "payment shown", chromedp.WaitVisible(chromedp.ID("simulate-pay")))
			if amount := value(t, ctx, "amount", chromedp.Text(chromedp.ID("pay-amount"))); amount != "Rp 45.000" {
				t.Errorf("amount to pay %q, want Rp 45.000", amount)
			}
			ref := value(t, ctx, "order ref", chromedp.Evaluate[string](`document.getElementById("checkout").dataset.orderRef`))
			for _, id := range tc.show {
				wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.ID(id)))
				cancel()
				if err != nil {
					t.Fatalf("#%s not shown: %v", id, err)
				}
			}
			for id, want := range tc.text {
				if got := value(t, ctx, id, chromedp.Text(chromedp.ID(id))); got != want {
					t.Errorf("#%s = %q, want %q", id, got, want)
				}
			}
			screenshot(t, ctx, tc.method+"-2-pending")
			fitsPhone(t, ctx)
			if tc.method == "gopay" {
				// The customer opens the deeplink (the simulator's GoPay page),
				// pays, and GoPay sends them back to the checkout page.
				step(t, ctx, "pay in the e-wallet",
					chromedp.Click(chromedp.ID("deeplink")),
					chromedp.WaitVisible(chromedp.ID("pay")),
					chromedp.Click(chromedp.ID("pay")),
					chromedp.WaitVisible(chromedp.ID("fulfilled")))
				if u := value(t, ctx, "back at the shop", chromedp.Location()); !strings.HasPrefix(u, base+"/orders/"+ref+"?") || !strings.Contains(u, "result=success") {
					t.Errorf("after paying in the e-wallet the browser is at %s", u)
				}
				waitFulfilled(t, ctx, tc.method, false)
			} else {
				waitFulfilled(t, ctx, tc.method, true)
			}
			noConsoleErrors(t, errs)
		})
	}

	t.Run("snap", func(t *testing.T) {
		checkout(t, ctx, base, "batik-scarf", "snap")
		// The shop sends the customer to the simulator's Snap page, which
		// offers the channels; the customer pays by card there.
		step(t, ctx, "Snap page", chromedp.WaitVisible(chromedp.ID("pay-credit_card")))
		page := value(t, ctx, "Snap page URL", chromedp.Location())
		if !strings.Contains(page, "/snap/v3/redirection/") || strings.HasPrefix(page, base) {
			t.Fatalf("after Pay with Snap the browser is at %s, want the simulator's Snap page", page)
		}
		for _, id := range []string{"pay-gopay", "pay-bca_va", "pay-other_qris", "pay-indomaret"} {
			if n := value(t, ctx, id, chromedp.Evaluate[int](`document.querySelectorAll("#`+id+`").length`)); n != 1 {
				t.Errorf("the Snap page does not offer #%s", id)
			}
		}
		screenshot(t, ctx, "snap-2-page")
		step(t, ctx, "pay by card on Snap", chromedp.Click(chromedp.ID("pay-credit_card")), chromedp.WaitVisible(chromedp.ID("fulfilled")))
		// Snap's finish redirect brings the customer back to the order.
		back := value(t, ctx, "back at the shop", chromedp.Location())
		if !strings.HasPrefix(back, base+"/orders/") || !strings.Contains(back, "transaction_status=capture") {
			t.Errorf("after paying on Snap the browser is at %s", back)
		}
		waitReady(t, ctx)
		waitFulfilled(t, ctx, "snap", false)
		if method := value(t, ctx, "receipt method", chromedp.Text(chromedp.ID("receipt-method"))); method != "Snap: kartu 48111111-1114" {
			t.Errorf("receipt method %q, want Snap and the card paid with", method)
		}
		if title := value(t, ctx, "panel title", chromedp.Text(chromedp.ID("payment-title"))); title != "Snap: kartu" {
			t.Errorf("panel title %q, want the channel chosen on Snap", title)
		}
		noConsoleErrors(t, errs)
	})

	t.Logf("browser flows took %s", time.Since(start).Round(time.Millisecond))

	// The listener must see each kind of error, or the checks above prove
	// nothing.
	t.Run("errors are seen", func(t *testing.T) {
		step(t, ctx, "make errors", chromedp.Navigate(base+"/"), chromedp.Evaluate[chromedp.Void](`
			console.error("deliberate console.error");
			setTimeout(() => { throw new Error("deliberate throw"); }, 0);
			document.body.append(Object.assign(new Image(), {src: "/static/missing.png"}));`))
		want := []string{"console.error: ", "exception: ", "log network: "}
		var got []string
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			got = append(got, errs.Take()...)
			missing := 0
			for _, w := range want {
				if !slices.ContainsFunc(got, func(m string) bool { return strings.HasPrefix(m, w) }) {
					missing++
				}
			}
			if missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("saw %q, want one of each of %q", got, want)
			}
		}
	})
}

// inFrame runs an action on an element of the document in an iframe (the
// simulator's 3DS page: same site as the shop, so in the page's process,
// where FromNode reaches). The frame navigates after it appears, so the
// lookup is retried until the element is there.
func inFrame(t *testing.T, ctx context.Context, frameID, id string, action func(chromedp.CSS, ...chromedp.QueryOption) chromedp.Action[chromedp.Void]) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := func() error {
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.ID(frameID)))
			if err != nil {
				return err
			}
			return chromedp.Do(ctx, action(chromedp.CSS("#"+id), chromedp.FromNode(frames[0])))
		}()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("#%s in #%s: %v", id, frameID, err)
		}
	}
}

func waitInFrame(t *testing.T, ctx context.Context, frameID, id string) {
	t.Helper()
	inFrame(t, ctx, frameID, id, chromedp.WaitVisible[chromedp.CSS])
}

func clickInFrame(t *testing.T, ctx context.Context, frameID, id string) {
	t.Helper()
	inFrame(t, ctx, frameID, id, chromedp.Click[chromedp.CSS])
}
