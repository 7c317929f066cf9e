package midtrans

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeSubscription: no input may panic the subscription decoders,
// the time and amount parsers or the mapping of the API's error shape.
func FuzzDecodeSubscription(f *testing.F) {
	f.Add([]byte(`{"id":"a05a8d85","name":"MONTHLY_2019","amount":"14000","currency":"IDR","status":"active",` +
		`"schedule":{"interval":1,"interval_unit":"month","max_interval":12,"current_interval":0,` +
		`"start_time":"2022-10-26T04:20:00.000000Z","next_execution_at":"2022-10-26 11:20:00 +0700"},` +
		`"token":"48111111sHfSakAvHvFQFEjTivUV1114","payment_type":"credit_card","transaction_id":["t1"],` +
		`"metadata":{"a":1},"customer_details":{"first_name":"John"},"gopay":{"account_id":"x"}}`))
	f.Add([]byte(`{"status_message":"Bad request","validation_message":["name is required",1,null]}`))
	f.Add([]byte(`{"amount":14000,"schedule":{"interval":"1"},"transaction_ids":null}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r SubscriptionResponse
		if err := json.Unmarshal(data, &r); err == nil {
			if !json.Valid(r.Raw) {
				t.Errorf("Raw is not valid JSON: %q", r.Raw)
			}
			_, _ = SubscriptionAmount(r.Amount)
			for _, s := range []string{r.CreatedAt, r.Schedule.StartTime, r.Schedule.NextExecutionAt} {
				if tm, err := ParseSubscriptionTime(s); err == nil && !tm.IsZero() && tm.Location().String() != "UTC" {
					t.Errorf("ParseSubscriptionTime(%q) not in UTC", s)
				}
			}
		}
		var a SubscriptionActionResponse
		_ = json.Unmarshal(data, &a)
		for _, status := range []int{200, 400, 404, 500} {
			v := classify(opCreateSubscription, status, data)
			if v.apiErr == nil {
				continue
			}
			err := subscriptionError(v.apiErr)
			var e *APIError
			if !errors.As(err, &e) {
				t.Fatalf("subscriptionError lost the *APIError: %v", err)
			}
			_ = e.Error()
		}
	})
}
