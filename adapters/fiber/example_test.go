package fiberadapter_test

import (
	"context"
	"log"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/csrf"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	fiberadapter "github.com/nusapay/payments/adapters/fiber"
)

func ExampleMount() {
	var svc *payments.Service // payments.New(client, store, payments.WithMethods(methods.Default()...))
	orders := adapters.OrderSourceFunc(func(ctx context.Context, ref, method string) (*adapters.Order, error) {
		// Look the order up in the shop's own table.
		return &adapters.Order{OrderID: "INV-" + ref, Amount: 150000}, nil
	})
	api, err := adapters.New(svc, adapters.WithOrderSource(orders))
	if err != nil {
		log.Fatal(err)
	}
	app := fiber.New()
	fiberadapter.Mount(app, api) // POST /payments/charges, POST /payments/notifications, ...
	log.Fatal(app.Listen(":8080"))
}

func ExampleSkipWebhook() {
	var svc *payments.Service // payments.New(...)
	api, err := adapters.New(svc, adapters.WithPrefix("/pay"))
	if err != nil {
		log.Fatal(err)
	}
	app := fiber.New()
	shop := app.Group("/shop")
	// CSRF for every unsafe request except Midtrans' webhook, which has no
	// token and is authenticated by its signature.
	app.Use(csrf.New(csrf.Config{Next: fiberadapter.SkipWebhook(shop, api)}))
	fiberadapter.Mount(shop, api) // the webhook is POST /shop/pay/notifications
	log.Fatal(app.Listen(":8080"))
}
