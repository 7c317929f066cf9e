package methodtest_test

import (
	"testing"

	"github.com/nusapay/payments/methods/methodtest"
)

// The example's plugin passes the suite for real.
func TestExamplePlugin(t *testing.T) {
	t.Parallel()
	methodtest.Run(t, uobEZPaySpec())
}
