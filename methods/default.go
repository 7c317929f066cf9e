package methods

import "github.com/nusapay/payments"

// Default returns a fresh instance of every built-in plugin, for
// payments.WithMethods. Each call returns new instances, so a Service can
// never share a plugin with another by accident.
func Default() []payments.Method {
	return []payments.Method{
		NewCard(),
		NewBCAVA(),
		NewBNIVA(),
		NewBRIVA(),
		NewPermataVA(),
		NewCIMBVA(),
		NewEChannel(),
		NewGoPay(),
		NewShopeePay(),
		NewQRIS(),
		NewIndomaret(),
		NewAlfamart(),
		NewAkulaku(),
		NewDana(),
		NewSnap(),
	}
}
