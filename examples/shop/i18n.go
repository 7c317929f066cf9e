package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nusapay/payments"
)

// The shop speaks Bahasa Indonesia, with English a link away. The choice
// travels as ?lang=en or ?lang=id and is kept in a cookie, so it works
// without JavaScript; every text on a page comes from one locale.

const (
	langID     = "id"
	langEN     = "en"
	langCookie = "lang"
)

// locale is one language's texts, handed to every template as .L.
type locale struct {
	Lang  string // the <html lang> value
	Other string // the language the switch offers
	texts map[string]string
}

// T returns the text for key, formatted with args when there are any. A
// missing key shows as itself, which TestTranslations forbids.
func (l *locale) T(key string, args ...any) string {
	s, ok := l.texts[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key has a text.
func (l *locale) Has(key string) bool {
	_, ok := l.texts[key]
	return ok
}

// locales builds both languages from one table, so no text exists in one
// and not the other.
func locales() map[string]*locale {
	id := &locale{Lang: langID, Other: langEN, texts: map[string]string{}}
	en := &locale{Lang: langEN, Other: langID, texts: map[string]string{}}
	for key, pair := range texts() {
		id.texts[key], en.texts[key] = pair[0], pair[1]
	}
	return map[string]*locale{langID: id, langEN: en}
}

// localeFor picks the request's language: ?lang= (remembered in a cookie),
// else the cookie, else Indonesian.
func (s *Shop) localeFor(w http.ResponseWriter, r *http.Request) *locale {
	if q := r.URL.Query().Get("lang"); q != "" {
		if l, ok := s.locales[q]; ok {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteLaxMode})
			return l
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := s.locales[c.Value]; ok {
			return l
		}
	}
	return s.locales[langID]
}

// wib is Western Indonesia Time, Jakarta's zone (UTC+7, no daylight
// saving), fixed so the shop needs no time zone database.
var wib = time.FixedZone("WIB", 7*3600)

// When formats a time for a shopper: "2 Des 2026, 11.53 WIB".
func (l *locale) When(t time.Time) string {
	t = t.In(wib)
	month := strings.Fields(l.T("months"))[t.Month()-1]
	if l.Lang == langID {
		return fmt.Sprintf("%d %s %d, %02d.%02d WIB", t.Day(), month, t.Year(), t.Hour(), t.Minute())
	}
	return fmt.Sprintf("%d %s %d, %02d:%02d WIB", t.Day(), month, t.Year(), t.Hour(), t.Minute())
}

// StatusText is what a shopper reads for a payment's state, in place of
// Midtrans' transaction_status.
func (l *locale) StatusText(p *payments.Payment) string {
	switch p.Outcome() {
	case payments.OutcomePending:
		return l.T("status.pending")
	case payments.OutcomePaid:
		return l.T("status.paid")
	case payments.OutcomeInReview:
		return l.T("status.in_review")
	case payments.OutcomeAuthorized:
		return l.T("status.authorized")
	case payments.OutcomeRefunded:
		return l.T("status.refunded")
	case payments.OutcomePartiallyRefunded:
		return l.T("status.partially_refunded")
	case payments.OutcomeChargedBack:
		return l.T("status.charged_back")
	case payments.OutcomeFailed:
		switch p.Status {
		case payments.StatusExpire:
			return l.T("status.expired")
		case payments.StatusCancel:
			return l.T("status.cancelled")
		case payments.StatusDeny:
			return l.T("status.denied")
		}
		return l.T("status.failed")
	}
	return l.T("status.checking")
}

// texts is every text of the shop: key → {Indonesian, English}.
func texts() map[string][2]string {
	return map[string][2]string{
		"months": {"Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des", "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"},

		// Frame.
		"lang.switch":  {"English", "Indonesia"},
		"mode.sim":     {"Simulator", "Simulator"},
		"mode.env":     {"Midtrans %s", "Midtrans %s"},
		"banner.sim":   {"Mode simulator.", "Simulator mode."},
		"banner.sim2":  {"Midtrans disimulasikan di dalam proses ini: tidak ada uang sungguhan yang berpindah.", "Midtrans is simulated inside this process: nothing here moves real money."},
		"foot":         {"Demo dari", "A demo of"},
		"foot.console": {"Konsol operasional (staf)", "Ops console (staff)"},
		"title.shop":   {"Toko Nusa", "Toko Nusa"},
		"title.order":  {"Pembayaran · %s", "Checkout · %s"},
		"title.none":   {"Pesanan tidak ditemukan", "No such order"},
		"none.back":    {"Kembali ke toko", "Back to the shop"},
		"noscript.pay": {"Untuk membayar, aktifkan JavaScript.", "To pay, please turn on JavaScript."},

		// Product page.
		"index.h1":      {"Segar dari Nusantara", "Fresh from the archipelago"},
		"index.lead":    {"Pilih barang, pilih cara bayar, dan lihat pesanan berjalan dari pembayaran sampai dikirim.", "Pick something, choose how to pay, and watch the order go from payment to fulfilment."},
		"index.product": {"1. Barang", "1. Product"},
		"index.method":  {"2. Metode pembayaran", "2. Payment method"},
		"index.details": {"3. Data Anda", "3. Your details"},
		"index.name":    {"Nama", "Name"},
		"index.email":   {"Email", "Email"},
		"index.phone":   {"Telepon", "Phone"},
		"index.submit":  {"Lanjut ke pembayaran", "Continue to payment"},
		"err.product":   {"Silakan pilih barang.", "Please choose a product."},
		"err.method":    {"Silakan pilih metode pembayaran.", "Please choose a payment method."},
		"err.name":      {"Silakan isi nama Anda.", "Please enter your name."},
		"err.name.long": {"Paling banyak 100 karakter.", "At most 100 characters."},
		"err.email":     {"Silakan isi alamat email seperti budi@example.com.", "Please enter an email address such as budi@example.com."},
		"err.phone":     {"Silakan isi nomor telepon seperti 081223323423.", "Please enter a phone number such as 081223323423."},

		"product.kopi-gayo.name":    {"Kopi Gayo, 250 g", "Kopi Gayo, 250 g"},
		"product.kopi-gayo.desc":    {"Arabika single-origin dari Aceh, disangrai minggu ini.", "Single-origin arabica from Aceh, roasted this week."},
		"product.batik-scarf.name":  {"Syal batik tulis", "Batik tulis scarf"},
		"product.batik-scarf.desc":  {"Motif parang digambar tangan di atas katun, 180 × 50 cm.", "Hand-drawn parang motif on cotton, 180 × 50 cm."},
		"product.rattan-tote.name":  {"Tas jinjing rotan", "Rattan tote bag"},
		"product.rattan-tote.desc":  {"Dianyam di Lombok; muat laptop.", "Woven in Lombok; fits a laptop."},
		"product.sambal-matah.name": {"Sambal matah, 3 toples", "Sambal matah, 3 jars"},
		"product.sambal-matah.desc": {"Sambal bawang merah dan serai khas Bali.", "Balinese shallot-and-lemongrass relish."},

		// Method list.
		"group.card":     {"Kartu", "Card"},
		"group.bank":     {"Transfer bank", "Bank transfer"},
		"group.wallet":   {"E-wallet dan QR", "E-wallet and QR"},
		"group.store":    {"Bayar di gerai", "Over the counter"},
		"group.paylater": {"Bayar nanti", "Pay later"},
		"group.other":    {"Lainnya", "Other"},
		"group.snap":     {"Semua metode di halaman Midtrans", "Every method on Midtrans' page"},

		"method.credit_card":      {"Kartu kredit atau debit", "Credit or debit card"},
		"method.credit_card.hint": {"Visa, Mastercard, JCB, Amex, dengan 3-D Secure", "Visa, Mastercard, JCB, Amex, with 3-D Secure"},
		"method.bca_va":           {"BCA Virtual Account", "BCA Virtual Account"},
		"method.bca_va.hint":      {"Bayar dari BCA mobile, KlikBCA atau ATM", "Pay from BCA mobile, KlikBCA or an ATM"},
		"method.bni_va":           {"BNI Virtual Account", "BNI Virtual Account"},
		"method.bni_va.hint":      {"Bisa dibayar dari bank mana pun", "Payable from any bank"},
		"method.bri_va":           {"BRI Virtual Account", "BRI Virtual Account"},
		"method.bri_va.hint":      {"Bisa dibayar dari bank mana pun", "Payable from any bank"},
		"method.permata_va":       {"Permata Virtual Account", "Permata Virtual Account"},
		"method.permata_va.hint":  {"Bisa dibayar dari bank mana pun", "Payable from any bank"},
		"method.cimb_va":          {"CIMB Niaga Virtual Account", "CIMB Niaga Virtual Account"},
		"method.cimb_va.hint":     {"Bisa dibayar dari bank mana pun", "Payable from any bank"},
		"method.echannel":         {"Mandiri Bill Payment", "Mandiri Bill Payment"},
		"method.echannel.hint":    {"Livin' by Mandiri atau ATM Mandiri", "Livin' by Mandiri or a Mandiri ATM"},
		"method.qris":             {"QRIS", "QRIS"},
		"method.qris.hint":        {"Pindai dengan aplikasi QRIS apa pun", "Scan with any QRIS app"},
		"method.gopay":            {"GoPay", "GoPay"},
		"method.gopay.hint":       {"Pindai QR atau buka aplikasi GoPay", "Scan the QR or open the GoPay app"},
		"method.shopeepay":        {"ShopeePay", "ShopeePay"},
		"method.shopeepay.hint":   {"Membuka aplikasi Shopee", "Opens the Shopee app"},
		"method.dana":             {"DANA", "DANA"},
		"method.dana.hint":        {"Bayar di halaman DANA", "Pay on the DANA page"},
		"method.indomaret":        {"Indomaret", "Indomaret"},
		"method.indomaret.hint":   {"Bayar kodenya di Indomaret mana pun", "Pay the code at any Indomaret"},
		"method.alfamart":         {"Alfamart", "Alfamart"},
		"method.alfamart.hint":    {"Bayar kodenya di Alfamart, Alfamidi atau Dan+Dan", "Pay the code at Alfamart, Alfamidi or Dan+Dan"},
		"method.akulaku":          {"Akulaku PayLater", "Akulaku PayLater"},
		"method.akulaku.hint":     {"Cicilan dengan Akulaku", "Instalments with Akulaku"},
		"method.snap":             {"Bayar dengan Snap", "Pay with Snap"},
		"pay.snap.channel":        {"Snap: %s", "Snap: %s"},
		"channel.credit_card":     {"kartu", "card"},
		"channel.bank_transfer":   {"transfer bank", "bank transfer"},
		"channel.echannel":        {"Mandiri Bill Payment", "Mandiri Bill Payment"},
		"channel.gopay":           {"GoPay", "GoPay"},
		"channel.shopeepay":       {"ShopeePay", "ShopeePay"},
		"channel.qris":            {"QRIS", "QRIS"},
		"channel.cstore":          {"bayar di gerai", "over the counter"},
		"channel.akulaku":         {"Akulaku PayLater", "Akulaku PayLater"},
		"method.snap.hint":        {"Pilih kartu, transfer bank, e-wallet atau gerai di halaman Midtrans", "Choose a card, bank transfer, e-wallet or store on Midtrans' page"},

		// Order page.
		"order.h1":         {"Pembayaran", "Checkout"},
		"order.summary":    {"Pesanan Anda", "Your order"},
		"order.ref":        {"Pesanan", "Order"},
		"order.total":      {"Total", "Total"},
		"order.state":      {"Pesanan:", "Order:"},
		"order.open":       {"Menunggu pembayaran", "Awaiting payment"},
		"order.fulfilled":  {"Lunas, sedang dikemas", "Paid, being packed"},
		"order.reversed":   {"Pembayaran ditarik kembali", "Payment reversed"},
		"order.cancelled":  {"Dibatalkan", "Cancelled"},
		"order.choose":     {"Bayar dengan", "Pay with"},
		"order.pay":        {"Bayar %s", "Pay %s"},
		"order.processing": {"Memproses…", "Processing…"},
		"card.number":      {"Nomor kartu", "Card number"},
		"card.month":       {"Bulan", "Month"},
		"card.year":        {"Tahun", "Year"},
		"card.cvv":         {"CVV", "CVV"},
		"card.hint":        {"Kartu uji sandbox 4811 1111 1111 1114, CVV 123, OTP 3-D Secure 112233. Nomor kartu dikirim ke pustaka Midtrans di browser, tidak pernah ke toko ini.", "Sandbox test card 4811 1111 1111 1114, CVV 123, 3-D Secure OTP 112233. The card number goes to Midtrans' library in the browser, never to this shop."},
		"threeds.title":    {"3-D Secure", "3-D Secure"},
		"threeds.close":    {"Tutup", "Close"},
		"threeds.frame":    {"Verifikasi 3-D Secure", "3-D Secure verification"},

		// Shopper words for a payment's state.
		"status.pending":            {"Menunggu pembayaran", "Waiting for payment"},
		"status.paid":               {"Lunas", "Paid"},
		"status.in_review":          {"Sedang ditinjau", "In review"},
		"status.authorized":         {"Disetujui, belum ditagih", "Authorised, not yet charged"},
		"status.refunded":           {"Dana dikembalikan", "Refunded"},
		"status.partially_refunded": {"Dana dikembalikan sebagian", "Partly refunded"},
		"status.charged_back":       {"Disanggah pemilik kartu", "Disputed by the cardholder"},
		"status.expired":            {"Kedaluwarsa", "Expired"},
		"status.cancelled":          {"Dibatalkan", "Cancelled"},
		"status.denied":             {"Ditolak", "Declined"},
		"status.failed":             {"Gagal", "Failed"},
		"status.checking":           {"Memeriksa status…", "Checking…"},

		// Payment panel.
		"pay.within":     {"Bayar dalam", "Pay within"},
		"pay.until":      {"(sampai %s)", "(until %s)"},
		"pay.amount":     {"Jumlah yang dibayar", "Amount to pay"},
		"pay.bank":       {"Bank", "Bank"},
		"pay.va":         {"Nomor virtual account", "Virtual account number"},
		"pay.va.1":       {"Buka aplikasi bank atau ATM, lalu pilih transfer ke virtual account.", "Open your banking app or go to an ATM and choose transfer to virtual account."},
		"pay.va.2":       {"Masukkan nomor di atas; bank menampilkan jumlah yang sama.", "Enter the number above; the bank shows the same amount."},
		"pay.va.3":       {"Konfirmasi. Halaman ini diperbarui sendiri.", "Confirm. This page updates by itself."},
		"pay.biller":     {"Kode perusahaan (biller code)", "Biller code"},
		"pay.billkey":    {"Kode bayar (bill key)", "Bill key"},
		"pay.bill.1":     {"Di Livin' by Mandiri atau ATM Mandiri pilih Bayar, lalu Multipayment.", "In Livin' by Mandiri or at a Mandiri ATM choose Payment, then Multipayment."},
		"pay.bill.2":     {"Masukkan kode perusahaan, lalu kode bayar.", "Enter the biller code, then the bill key."},
		"pay.bill.3":     {"Periksa jumlahnya dan konfirmasi.", "Check the amount and confirm."},
		"pay.store":      {"Gerai", "Store"},
		"pay.code":       {"Kode pembayaran", "Payment code"},
		"pay.store.1":    {"Datangi kasir %s.", "Go to the cashier at %s."},
		"pay.store.2":    {"Katakan Anda ingin membayar tagihan Midtrans dan tunjukkan kode ini.", "Say you are paying a Midtrans bill and show this code."},
		"pay.store.3":    {"Bayar jumlahnya secara tunai.", "Pay the amount in cash."},
		"pay.qr.alt":     {"Kode QR untuk %s", "QR code for %s"},
		"pay.qr.qris":    {"Pindai dengan GoPay, OVO, DANA, ShopeePay, LinkAja atau aplikasi m-banking mana pun.", "Scan with GoPay, OVO, DANA, ShopeePay, LinkAja or any mobile banking app."},
		"pay.qr.app":     {"Pindai dengan %s.", "Scan with %s."},
		"pay.open":       {"Buka %s", "Open %s"},
		"pay.continue":   {"Lanjut ke %s", "Continue to %s"},
		"pay.snap":       {"Buka halaman pembayaran Snap", "Open the Snap payment page"},
		"pay.3ds":        {"Verifikasi dengan 3-D Secure", "Verify with 3-D Secure"},
		"pay.copy":       {"Salin", "Copy"},
		"pay.copied":     {"Tersalin", "Copied"},
		"pay.copy.fail":  {"Pilih lalu salin", "Select and copy"},
		"pay.simulate":   {"Simulasikan pembayaran", "Simulate payment"},
		"pay.switch":     {"Pilih metode lain", "Choose another method"},
		"pay.cancel":     {"Batalkan pesanan", "Cancel order"},
		"pay.failed":     {"Pembayaran ini sudah berakhir. Pilih metode untuk mencoba lagi.", "This payment has ended. Choose a method to try again."},
		"pay.checking":   {"Kami sedang memastikan status pembayaran ke Midtrans.", "We are checking the payment's status with Midtrans."},
		"pay.review":     {"Bank sedang meninjau pembayaran ini; kami kabari lewat halaman ini.", "The bank is reviewing this payment; this page will show the result."},
		"pay.cancelled":  {"Pesanan ini dibatalkan. Tidak ada yang perlu dibayar.", "This order was cancelled. There is nothing to pay."},
		"pay.shop":       {"Belanja lagi", "Shop again"},
		"pay.paid.wait":  {"Pembayaran diterima; pesanan sedang diproses.", "Payment received; the order is being processed."},
		"receipt.title":  {"Bukti pembayaran", "Receipt"},
		"receipt.thanks": {"Terima kasih! Pembayaran Anda sudah kami terima.", "Thank you! We have received your payment."},
		"receipt.order":  {"Nomor pesanan", "Order"},
		"receipt.item":   {"Barang", "Item"},
		"receipt.amount": {"Jumlah", "Amount"},
		"receipt.method": {"Metode", "Method"},
		"receipt.paid":   {"Dibayar pada", "Paid at"},
		"receipt.ref":    {"Referensi pembayaran", "Payment reference"},
		"receipt.card":   {"kartu %s", "card %s"},

		// Messages the script shows.
		"js.choose":      {"Silakan pilih metode pembayaran.", "Please choose a payment method."},
		"js.failed":      {"Pembayaran tidak dapat dimulai. Silakan coba lagi.", "The payment could not be started. Please try again."},
		"js.payable":     {"Pesanan ini sudah punya pembayaran yang berjalan.", "This order already has a payment under way."},
		"js.unavailable": {"Midtrans sedang tidak dapat dihubungi; coba lagi sebentar lagi.", "Midtrans cannot be reached right now; please try again shortly."},
		"js.network":     {"Koneksi terputus; coba lagi.", "The connection failed; please try again."},
		"js.cardlib":     {"Pustaka kartu Midtrans tidak termuat.", "Midtrans' card library did not load."},
		"js.cardrefused": {"Kartu ditolak.", "The card was refused."},
		"js.3dsfailed":   {"3-D Secure gagal.", "3-D Secure failed."},
		"js.3dspending":  {"Menunggu jawaban bank.", "Waiting for the bank's answer."},
		"js.snapclosed":  {"Halaman Snap ditutup sebelum pembayaran selesai.", "The Snap page was closed before the payment was finished."},
		"js.snapfailed":  {"Snap tidak dapat memproses pembayaran.", "Snap could not process the payment."},
		"js.3dsclosed":   {"3-D Secure ditutup; verifikasi untuk menyelesaikan pembayaran.", "3-D Secure was closed; verify to finish the payment."},

		// Answers of the shop's own routes.
		"msg.not_switchable":  {"Pembayaran ini tidak bisa diganti lagi.", "This payment can no longer be switched."},
		"msg.not_cancellable": {"Pesanan ini tidak bisa dibatalkan lagi.", "This order can no longer be cancelled."},
		"msg.no_payment":      {"Mulai pembayaran terlebih dahulu.", "Start a payment first."},
		"msg.not_payable":     {"Simulator tidak dapat membayar pembayaran ini sekarang.", "The simulator cannot pay this payment now."},
		"msg.sim_restarted":   {"Simulator sudah dimulai ulang dan tidak mengenal pembayaran ini: pilih metode lain.", "The simulator restarted and no longer knows this payment: choose another method."},
		"msg.not_allowed":     {"Tidak bisa dalam status pembayaran saat ini.", "Not possible in the payment's current state."},
		"msg.internal":        {"Terjadi kesalahan; silakan coba lagi.", "Something went wrong; please try again."},
		"msg.not_found":       {"Pesanan tidak ditemukan.", "No such order."},
	}
}
