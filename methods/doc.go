// Package methods holds the built-in payment-method plugins: cards
// (credit_card), the bank-transfer virtual accounts (bca_va, bni_va, bri_va,
// permata_va, cimb_va), Mandiri bill (echannel), GoPay, ShopeePay, QRIS,
// Indomaret and Alfamart (cstore), Akulaku, DANA, and Snap (Midtrans'
// hosted checkout, where the customer chooses the channel).
//
// Each plugin lives in its own file with a constructor (NewCard, NewBCAVA,
// NewGoPay, ...) and an exported options type (CardOptions, VAOptions, ...)
// that a ChargeRequest carries in Options, as a value, a pointer or nil for
// the defaults; payments.OptionsOf and payments.BuildOptions read them.
//
// Options are the host's unless tagged payments:"customer". The only
// customer fields are the card's token_id, bank and installment_term (a
// term from the host's CardOptions.InstallmentTerms); 3-D Secure,
// pre-authorisation, saved cards, BIN promotions, channels, callback URLs,
// VA numbers, store messages and the rest reach a charge only from host
// code (adapters.Order.Options for the charges route). Default returns a fresh instance of every plugin for
// payments.WithMethods; nothing is registered globally, so two Services can
// use different sets.
//
// What the plugins guarantee, and methodtest checks:
//
//   - They are pure: no I/O, no package-level or per-instance mutable state,
//     so one instance is safe for any number of goroutines and Services.
//   - Validate reports every problem of the method-specific rules under its
//     JSON field name ("options.va_number", "customer_details.phone",
//     "item_details[2].name"), never only the first. Rules are the ones
//     Midtrans documents as hard limits; indicative figures (the amount
//     limits table, the VA lengths the docs disagree on) are left to
//     Midtrans, which trims or pads rather than refusing.
//   - Build starts from payments.CoreRequest (or payments.SnapRequest for
//     DANA, which the Core API cannot charge, and Snap), sets only the method's own
//     object, copies the slices it takes from the options, and never
//     mutates the request.
//   - None implements payments.InstructionsParser: the Service's default,
//     payments.ParseInstructions, reads every documented field of a charge
//     response, status or notification.
//
// The Capabilities of each plugin are what Midtrans supports for the
// channel: virtual accounts, Mandiri bill and the stores
// cannot be refunded through the API, ShopeePay only in full, DANA is
// reachable only by transaction id and cannot be force-expired. A Snap
// payment can do what the channel its customer chose can (Snap implements
// payments.ChannelChooser with the other plugins' Capabilities).
package methods
