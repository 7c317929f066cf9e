// Command fulfilment wires payment hooks to a shop's own tables with
// exactly-once effects: when a payment is paid, its order is fulfilled and
// its items leave stock once; when Midtrans reverses it, that is undone
// once — however many times each hook event is delivered. See Fulfilment
// for how, and why delivery being at least once requires it.
//
//	go run ./examples/fulfilment
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go run ./examples/fulfilment
//
// Without DATABASE_URL it uses a temporary SQLite file. Midtrans is the
// in-process simulator.
package main
