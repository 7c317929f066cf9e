package midtrans

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Client-wide defaults (Config.Headers and the notification URLs) are
// checked by the same options a single call uses, so a value one place
// refuses the other refuses too; a call's own options win.

// configDefaults checks the Config's default headers and notification URLs.
func configDefaults(cfg Config) (callOptions, error) {
	var o callOptions
	for name, values := range cfg.Headers {
		switch http.CanonicalHeaderKey(name) {
		case "Content-Type", "Accept":
			return o, configError("Headers", "must not set "+http.CanonicalHeaderKey(name)+": the client sends application/json")
		case "User-Agent":
			return o, configError("Headers", "must not set User-Agent: use Config.UserAgent")
		}
		if len(values) != 1 {
			return o, configError("Headers", "must hold exactly one value for "+http.CanonicalHeaderKey(name))
		}
		WithHeader(name, values[0]).apply(&o)
	}
	if len(cfg.OverrideNotificationURLs) > 0 {
		WithOverrideNotification(cfg.OverrideNotificationURLs...).apply(&o)
	}
	if len(cfg.AppendNotificationURLs) > 0 {
		WithAppendNotification(cfg.AppendNotificationURLs...).apply(&o)
	}
	if len(o.problems) > 0 {
		msg := strings.Join(o.problems, "; ")
		msg = strings.NewReplacer("WithHeader", "Headers",
			"WithOverrideNotification", "OverrideNotificationURLs",
			"WithAppendNotification", "AppendNotificationURLs").Replace(msg)
		return o, fmt.Errorf("%w: Config.%s", ErrInvalidConfig, msg)
	}
	return o, nil
}

// mergeDefaults fills in what the call's own options left unset: default
// headers on every call, default notification URLs on the calls that
// create a transaction and set neither notification option themselves.
func (c *Client) mergeDefaults(op string, o *callOptions) {
	for name, vs := range c.defaults.header {
		if _, set := o.header[name]; set {
			continue
		}
		if o.header == nil {
			o.header = make(http.Header)
		}
		o.header[name] = append([]string(nil), vs...)
	}
	if (op == opCharge || op == opSnap) && o.override == "" && o.append == "" {
		o.override, o.append = c.defaults.override, c.defaults.append
	}
}

// hideURL drops the query (card data, the client key) and any secret path
// segment from the URL the transport puts in its errors, which end up in
// logs.
func hideURL(err error, cl call) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = cl.base + cl.shownPath()
	}
	return err
}
