// Checkout page: starts a payment through the module's charges route, shows
// what the customer needs to pay (VA number, bill key, store code, QR code,
// deeplink, redirect, 3-D Secure), and polls the module's public payment
// route and the shop's order state until the order is fulfilled. Data from
// the server is only ever put into the page as text, never as HTML.
(() => {
  "use strict";

  const root = document.getElementById("checkout");
  if (!root) {
    return;
  }
  const $ = (id) => document.getElementById(id);
  const ref = root.dataset.orderRef;
  const prefix = root.dataset.prefix;
  const simulated = root.dataset.simulated === "true";
  // Poll briskly for a few seconds after the customer acted (the answer
  // usually comes within a second), then calmly.
  const pollFast = 250;
  const pollSlow = 1500;
  let fastUntil = 0;

  let paymentId = ""; // the current attempt's Midtrans order id
  let view = null; // its last PaymentView
  let orderOpen = true;
  let pollTimer = 0;
  let tickTimer = 0;
  let authenticating = false;
  let rendered = ""; // order_id and version of the instructions on screen

  async function call(method, url, body) {
    const init = { method, headers: { Accept: "application/json" }, cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(url, init);
    let data = null;
    try {
      data = await resp.json();
    } catch (e) {
      data = null;
    }
    return { status: resp.status, data };
  }

  const selectedMethod = () => {
    const el = document.querySelector('input[name="method"]:checked');
    return el ? el.value : "";
  };

  const methodLabel = (name) => {
    const el = document.querySelector('label[for="method-' + CSS.escape(name) + '"] .mname');
    return el ? el.textContent : name;
  };

  function showError(msg) {
    $("error").textContent = msg || "";
    $("error").hidden = !msg;
  }

  function showNote(msg) {
    $("payment-note").textContent = msg || "";
    $("payment-note").hidden = !msg;
  }

  function errorMessage(res) {
    const err = res.data && res.data.error;
    if (!err) {
      return "The payment could not be started (HTTP " + res.status + "). Please try again.";
    }
    let msg = err.message || err.code;
    if (err.fields && err.fields.length) {
      msg += ": " + err.fields.map((f) => f.field + " " + f.message).join("; ");
    }
    return msg;
  }

  function setBusy(busy) {
    $("pay").disabled = busy;
    $("pay").dataset.label = $("pay").dataset.label || $("pay").textContent;
    $("pay").textContent = busy ? "Processing…" : $("pay").dataset.label;
  }

  // pay starts a new payment attempt with the chosen method.
  async function pay() {
    showError("");
    const method = selectedMethod();
    if (!method) {
      showError("Please choose a payment method.");
      return;
    }
    setBusy(true);
    try {
      if (method === "credit_card") {
        await payByCard();
        return;
      }
      // Where e-wallet apps send the customer back is the shop's to say
      // (its OrderSource), never the browser's.
      await charge(method);
    } catch (e) {
      showError("The payment could not be started: " + e.message);
    } finally {
      setBusy(false);
    }
  }

  // cardToken tokenises the card with Midtrans' library: the card number
  // goes from the browser to Midtrans, never to the shop.
  function cardToken(card) {
    return new Promise((resolve, reject) => {
      if (!window.MidtransNew3ds) {
        reject(new Error("Midtrans' card library did not load."));
        return;
      }
      window.MidtransNew3ds.getCardToken(card, {
        onSuccess: resolve,
        onFailure: (r) => {
          const msgs = (r && r.validation_messages) || [];
          reject(new Error(msgs.length ? msgs.join("; ") : (r && r.status_message) || "The card was refused."));
        },
      });
    });
  }

  async function payByCard() {
    const card = {
      card_number: $("card-number").value.replace(/[\s-]+/g, ""),
      card_exp_month: $("card-exp-month").value.trim(),
      card_exp_year: $("card-exp-year").value.trim(),
      card_cvv: $("card-cvv").value.trim(),
    };
    let token;
    try {
      token = await cardToken(card);
    } catch (e) {
      showError(e.message);
      return;
    }
    // Only the token: 3-D Secure and every other card option are the
    // shop's to decide on the server, and the module refuses them here.
    const v = await charge("credit_card", { token_id: token.token_id });
    if (v) {
      authenticate(v);
    }
  }

  // charge asks the module to charge the order; the amount comes from the
  // shop's order on the server, the browser only names it.
  async function charge(method, options) {
    const body = { order_ref: ref, method };
    if (options) {
      body.options = options;
    }
    const res = await call("POST", prefix + "/charges", body);
    const v = res.data && res.data.payment;
    if (v) {
      show(v);
    }
    if (res.status === 201 || res.status === 202) {
      // 202: Midtrans did not answer in time; the payment resolves shortly.
      return v;
    }
    showError(errorMessage(res));
    return null;
  }

  function show(v) {
    paymentId = v.order_id;
    $("payment").hidden = false;
    $("choose").hidden = v.outcome !== "failed";
    render(v);
    schedulePoll(0);
  }

  // authenticate runs 3-D Secure in a frame on this page.
  function authenticate(v) {
    const url = v.instructions && v.instructions.redirect_url;
    if (authenticating || v.method !== "credit_card" || v.outcome !== "pending" || !url || !window.MidtransNew3ds) {
      return;
    }
    authenticating = true;
    window.MidtransNew3ds.authenticate(url, {
      performAuthentication: (u) => {
        $("threeds-frame").src = u;
        $("threeds").hidden = false;
      },
      onSuccess: () => closeThreeDS(""),
      onPending: () => closeThreeDS("Waiting for the bank's answer."),
      onFailure: (r) => closeThreeDS("3-D Secure failed" + (r && r.status_message ? ": " + r.status_message : ".")),
    });
  }

  function closeThreeDS(note) {
    $("threeds").hidden = true;
    $("threeds-frame").src = "about:blank";
    authenticating = false;
    showNote(note);
    schedulePoll(0);
  }

  function safeURL(s) {
    try {
      return !/^(javascript|data|vbscript|file|blob):$/i.test(new URL(s).protocol);
    } catch (e) {
      return false;
    }
  }

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    e.append(...children);
    return e;
  }

  function field(label, id, value, copy) {
    const f = el("div", { className: "field" }, el("span", { className: "label" }, label),
      el("code", { className: "value", id }, value));
    if (copy) {
      const b = el("button", { type: "button", className: "copy", id: "copy-" + id }, "Copy");
      b.addEventListener("click", () => copyText(id, b));
      f.append(b);
    }
    return f;
  }

  function copyText(id, button) {
    const text = $(id).textContent;
    const done = (label) => {
      button.textContent = label;
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    };
    if (!navigator.clipboard) {
      done("Select and copy");
      return;
    }
    navigator.clipboard.writeText(text).then(() => done("Copied"), () => done("Select and copy"));
  }

  function steps(...lines) {
    return el("ol", { className: "steps" }, ...lines.map((l) => el("li", {}, l)));
  }

  function link(id, text, url, newTab) {
    const a = el("a", { id, className: "button", href: url }, text);
    if (newTab) {
      a.target = "_blank";
      a.rel = "noopener";
    }
    return a;
  }

  // instructions builds what the customer needs for a pending payment.
  function instructions(v) {
    const ins = v.instructions || {};
    const out = [];
    const label = methodLabel(v.method);
    if (ins.va_number) {
      const bank = (ins.bank || "").toUpperCase();
      out.push(field("Bank", "va-bank", bank, false), field("Virtual account number", "va-number", ins.va_number, true),
        steps("Open your banking app or go to an ATM and choose transfer to virtual account.",
          "Enter the number above; the bank shows this order's amount.", "Confirm. This page updates by itself."));
    }
    if (ins.bill_key) {
      out.push(field("Biller code", "biller-code", ins.biller_code || "", true), field("Bill key", "bill-key", ins.bill_key, true),
        steps("In Livin' by Mandiri or at a Mandiri ATM choose Payment, then Multipayment.",
          "Enter the biller code, then the bill key.", "Confirm the amount."));
    }
    if (ins.payment_code) {
      const store = ins.store ? ins.store.charAt(0).toUpperCase() + ins.store.slice(1) : "the store";
      out.push(field("Store", "store", store, false), field("Payment code", "payment-code", ins.payment_code, true),
        steps("Go to the cashier at " + store + ".", "Say you are paying a Midtrans bill and show this code.", "Pay the amount in cash."));
    }
    // The QR is drawn by the shop from the QR string; GoPay's Core API
    // gives only an image URL, so that is shown as it is.
    const qrSrc = ins.qr_string ? "/qr/" + encodeURIComponent(v.order_id) : ins.qr_image_url && safeURL(ins.qr_image_url) ? ins.qr_image_url : "";
    if (qrSrc) {
      out.push(el("figure", { className: "qr" },
        el("img", { id: "qr", src: qrSrc, alt: "QR code for " + label, width: 240, height: 240 }),
        el("figcaption", {}, v.method === "qris" ? "Scan with GoPay, OVO, DANA, ShopeePay, LinkAja or any mobile banking app." : "Scan with " + label + ".")));
    }
    if (ins.deeplink_url && safeURL(ins.deeplink_url)) {
      out.push(link("deeplink", "Open " + label, ins.deeplink_url, false));
    }
    if (ins.redirect_url && safeURL(ins.redirect_url)) {
      if (v.method === "credit_card") {
        const a = link("threeds-link", "Verify with 3-D Secure", ins.redirect_url, false);
        a.addEventListener("click", (e) => {
          if (window.MidtransNew3ds) {
            e.preventDefault();
            authenticate(v);
          }
        });
        out.push(a);
      } else {
        out.push(link("redirect", "Continue to " + label, ins.redirect_url, true));
      }
    }
    return out;
  }

  function outcomeText(v) {
    switch (v.outcome) {
      case "pending": return "Waiting for payment";
      case "paid": return "Paid";
      case "in_review": return "In review";
      case "authorized": return "Authorised";
      case "failed": return "Not paid";
      case "unknown": return "Checking with Midtrans";
      default: return v.outcome.replace(/_/g, " ");
    }
  }

  function render(v) {
    view = v;
    $("payment-title").textContent = methodLabel(v.method);
    $("status").textContent = v.transaction_status;
    $("outcome").textContent = outcomeText(v);
    $("outcome").dataset.outcome = v.outcome;
    const pending = v.outcome === "pending" || v.outcome === "unknown";
    if (simulated) {
      $("simulate-pay").hidden = !pending;
    }
    const key = v.order_id + "@" + v.version;
    if (key !== rendered) {
      rendered = key;
      const box = $("instructions");
      if (v.outcome === "pending") {
        box.replaceChildren(...instructions(v));
      } else if (v.outcome === "paid") {
        const card = v.card && v.card.masked_card ? " with card " + v.card.masked_card : "";
        box.replaceChildren(el("p", { className: "note" }, "Payment received" + card + ". Thank you!"));
      } else if (v.outcome === "failed") {
        box.replaceChildren(el("p", { className: "note" }, "This payment ended (" + v.transaction_status + "). Choose a method to try again."));
      } else {
        box.replaceChildren();
      }
    }
    setExpiry(v.outcome === "pending" && v.expiry_time ? new Date(v.expiry_time) : null);
  }

  function setExpiry(at) {
    clearInterval(tickTimer);
    tickTimer = 0;
    $("expiry-row").hidden = !at;
    if (!at) {
      return;
    }
    $("expiry-at").textContent = "(until " + at.toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) + ")";
    const tick = () => {
      const left = Math.max(0, Math.floor((at - Date.now()) / 1000));
      const h = Math.floor(left / 3600);
      const m = String(Math.floor(left / 60) % 60).padStart(2, "0");
      const s = String(left % 60).padStart(2, "0");
      $("expiry").textContent = left > 0 ? (h > 0 ? h + ":" : "") + m + ":" + s : "expired";
    };
    tick();
    tickTimer = setInterval(tick, 1000);
  }

  function applyOrder(order) {
    const f = $("fulfilled");
    f.dataset.state = order.status;
    f.textContent = order.fulfilled ? "Fulfilled" : order.status === "reversed" ? "Reversed" : "Awaiting payment";
    orderOpen = order.status === "open";
    if (order.payment_order_id && order.payment_order_id !== paymentId) {
      paymentId = order.payment_order_id;
      $("payment").hidden = false;
    }
    $("choose").hidden = !order.can_pay;
    $("switch").hidden = order.can_pay || !orderOpen;
  }

  function schedulePoll(delay) {
    if (delay === 0) {
      fastUntil = Date.now() + 5000;
    }
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, delay);
  }

  // poll reads the shop's order (fulfilled? which attempt?) and the
  // module's public view of the payment, until nothing can change any more.
  // The order is read first: an order fulfilled then has a payment that is
  // paid by the time it is read, so the two are shown together and agree.
  async function poll() {
    pollTimer = 0;
    try {
      const st = await call("GET", "/orders/" + encodeURIComponent(ref) + "/state");
      const order = st.status === 200 && st.data ? st.data.order : null;
      const id = (order && order.payment_order_id) || paymentId;
      let payment = null;
      if (id) {
        const res = await call("GET", prefix + "/payments/" + encodeURIComponent(id));
        payment = res.status === 200 && res.data ? res.data.payment : null;
      }
      if (order) {
        applyOrder(order);
      }
      if (payment) {
        render(payment);
      }
    } catch (e) {
      // A network hiccup: the next poll tries again.
    }
    const settled = !orderOpen || !paymentId || (view && view.outcome === "failed");
    if (!settled) {
      clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, Date.now() < fastUntil ? pollFast : pollSlow);
    }
  }

  async function post(url) {
    try {
      const res = await call("POST", url);
      if (res.status !== 200) {
        showNote(errorMessage(res));
      } else if (res.data && res.data.order) {
        applyOrder(res.data.order);
      }
    } catch (e) {
      showNote("The request failed: " + e.message);
    }
    schedulePoll(0);
  }

  function toggleCardForm() {
    $("card-form").hidden = selectedMethod() !== "credit_card";
  }

  $("pay").addEventListener("click", pay);
  document.querySelectorAll('input[name="method"]').forEach((r) => r.addEventListener("change", toggleCardForm));
  $("switch").addEventListener("click", () => {
    showNote("");
    post("/orders/" + encodeURIComponent(ref) + "/switch");
  });
  if (simulated) {
    $("simulate-pay").addEventListener("click", () => {
      showNote("");
      post("/orders/" + encodeURIComponent(ref) + "/simulate-pay");
    });
  }
  $("threeds-close").addEventListener("click", () => closeThreeDS("3-D Secure was closed; verify to finish the payment."));
  toggleCardForm();
  poll();
})();
