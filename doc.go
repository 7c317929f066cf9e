// Package payments takes money through the Midtrans payment gateway
// (Indonesia) for Go web applications: cards, bank-transfer virtual accounts,
// Mandiri bill, GoPay, ShopeePay, DANA, QRIS, Indomaret/Alfamart and Akulaku.
//
// This package owns the model every other package shares:
//
//   - Payment: one attempt to pay for one order, with the instructions a
//     checkout page shows (VA number, bill key, payment code, QR string,
//     deeplink, redirect) and the raw Midtrans charge response.
//   - Amount: whole rupiah in an int64, parsed strictly from Midtrans'
//     "145000.00" strings. No floats touch money.
//   - Status, FraudStatus and Outcome: every Midtrans transaction_status plus
//     the local initiated and unknown states, and what each means for an
//     order (paid, in review, authorized, pending, failed, refunded, partially
//     refunded, charged back).
//   - The status machine: one transition table, as data, and Decide, which
//     says whether a proposed change is applied, stale or a duplicate. Every
//     change goes through it whatever its source, so out-of-order and repeated
//     notifications never move a payment backwards or fire a hook twice.
//   - Sentinel errors and ValidationError, which names every bad field by its
//     JSON name.
//
// Guarantees: nothing here holds package-level mutable state; two Services
// (two merchants, sandbox and production) live side by side in one process.
package payments
