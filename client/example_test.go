package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/caisse/caisse/client"
)

// Create a session, send the customer to its hosted page, and read it back.
func Example() {
	ctx := context.Background()
	c := client.New(os.Getenv("CAISSE_API_KEY"), client.WithBaseURL("http://127.0.0.1:8080"))

	s, err := c.Create(ctx, client.CreateParams{
		Amount:         5000, // XOF has no minor unit: 5 000 FCFA
		Currency:       "XOF",
		UserPhone:      "+2250707987654",
		PaymentID:      "ORDER_123",
		IdempotencyKey: "order-123", // retrying with the same key cannot create twice
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pay at", s.URL)

	_, err = c.Get(ctx, "cs_test_unknown")
	var apiErr *client.Error
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		fmt.Println("no such session:", apiErr.Message)
	}

	page, err := c.Search(ctx, client.SearchParams{Reference: "ORDER_123", Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range page.Sessions {
		fmt.Println(s.ID, s.Status, s.Amount, s.Currency)
	}
}
