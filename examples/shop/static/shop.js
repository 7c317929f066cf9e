// Checkout page. The server renders the page in its current state (the
// payment panel, or the method picker), so nothing shows and then hides
// while this script loads. The script then:
//   - starts a payment through the module's charges route (the card number
//     goes to Midtrans' library, never to the shop) and runs 3-D Secure;
//   - opens Snap for a Snap payment: snap.js's popup with real keys, else
//     (the simulator) the Snap page itself;
//   - refreshes the payment panel, rendered by the server at
//     /orders/{ref}/live, until nothing can change any more;
//   - turns the panel's forms (switch method, cancel, simulate) into
//     requests that keep the page, and ticks the expiry countdown.
// Controls that need it are rendered disabled and enabled here, and the
// page says data-ready="true" once every handler is attached.
(() => {
  "use strict";

  const root = document.getElementById("checkout");
  if (!root) {
    return;
  }
  const $ = (id) => document.getElementById(id);
  const ref = root.dataset.orderRef;
  const prefix = root.dataset.prefix;
  const texts = JSON.parse(root.dataset.texts || "{}");
  const t = (key) => texts[key] || key;
  // The page's language, also for what the script fetches: the cookie
  // that keeps it may be blocked.
  const lang = "?lang=" + encodeURIComponent(document.documentElement.lang);
  const livePath = "/orders/" + encodeURIComponent(ref) + "/live" + lang;
  // Poll briskly for a few seconds after the customer acted (the answer
  // usually comes within a second), then calmly.
  const pollFast = 250;
  const pollSlow = 1500;
  let fastUntil = 0;
  let pollTimer = 0;
  let tickTimer = 0;
  let authenticating = false;

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
    const el = document.querySelector('#choose input[name="method"]:checked');
    return el ? el.value : "";
  };

  function showError(msg) {
    $("error").textContent = msg || "";
    $("error").hidden = !msg;
  }

  function showNote(msg) {
    $("payment-note").textContent = msg || "";
    $("payment-note").hidden = !msg;
  }

  // errorMessage says in the page's language why the charges route refused.
  function errorMessage(res) {
    const err = res.data && res.data.error;
    switch (err && err.code) {
      case "order_not_payable":
      case "duplicate_order":
      case "not_allowed":
        return t("js.payable");
      case "midtrans_unavailable":
        return t("js.unavailable");
      default:
        if (err && err.fields && err.fields.length) {
          return t("js.failed") + " (" + err.fields.map((f) => f.field + " " + f.message).join("; ") + ")";
        }
        return t("js.failed");
    }
  }

  function setBusy(busy) {
    const b = $("pay");
    b.dataset.label = b.dataset.label || b.textContent;
    b.disabled = busy;
    b.textContent = busy ? t("order.processing") : b.dataset.label;
  }

  // pay starts a new payment attempt with the chosen method.
  async function pay() {
    showError("");
    showNote("");
    const method = selectedMethod();
    if (!method) {
      showError(t("js.choose"));
      return;
    }
    setBusy(true);
    try {
      if (method === "credit_card") {
        await payByCard();
      } else if (method === "snap") {
        const v = await charge("snap");
        if (v && v.outcome === "pending") {
          openSnap(v.instructions.snap_token, v.instructions.redirect_url);
        }
      } else {
        await charge(method);
      }
    } catch (e) {
      showError(t("js.network"));
    } finally {
      setBusy(false);
    }
  }

  // cardToken tokenises the card with Midtrans' library.
  function cardToken(card) {
    return new Promise((resolve, reject) => {
      if (!window.MidtransNew3ds) {
        reject(new Error(t("js.cardlib")));
        return;
      }
      window.MidtransNew3ds.getCardToken(card, {
        onSuccess: resolve,
        onFailure: (r) => {
          const msgs = (r && r.validation_messages) || [];
          reject(new Error(msgs.length ? msgs.join("; ") : t("js.cardrefused")));
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
    const url = v && v.instructions && v.instructions.redirect_url;
    if (v && v.outcome === "pending" && url) {
      authenticate(url);
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
    schedulePoll();
    if (res.status === 201 || res.status === 202) {
      // 202: Midtrans did not answer in time; the payment resolves shortly.
      $("choose").hidden = true;
      return res.data && res.data.payment;
    }
    showError(errorMessage(res));
    return null;
  }

  // openSnap lets the customer choose and pay on Snap: in snap.js's popup
  // when the page loaded it (real keys), else on the Snap page, which
  // sends the customer back here. What the popup reports is only a hint:
  // the panel shows what the server learnt from Midtrans.
  function openSnap(token, url) {
    if (window.snap && token) {
      window.snap.pay(token, {
        onSuccess: () => schedulePoll(),
        onPending: () => schedulePoll(),
        onError: () => { showNote(t("js.snapfailed")); schedulePoll(); },
        onClose: () => { showNote(t("js.snapclosed")); schedulePoll(); },
      });
      return;
    }
    if (url) {
      window.location.assign(url);
    }
  }

  // authenticate runs 3-D Secure in a frame on this page.
  function authenticate(url) {
    if (authenticating || !window.MidtransNew3ds) {
      return;
    }
    authenticating = true;
    window.MidtransNew3ds.authenticate(url, {
      performAuthentication: (u) => {
        $("threeds-frame").src = u;
        $("threeds").hidden = false;
      },
      onSuccess: () => closeThreeDS(""),
      onPending: () => closeThreeDS(t("js.3dspending")),
      onFailure: () => closeThreeDS(t("js.3dsfailed")),
    });
  }

  function closeThreeDS(note) {
    $("threeds").hidden = true;
    $("threeds-frame").src = "about:blank";
    authenticating = false;
    showNote(note);
    schedulePoll();
  }

  function copy(button) {
    const el = $(button.dataset.copy);
    const text = el.dataset.copyValue || el.textContent;
    const label = t("pay.copy");
    const done = (msg) => {
      button.textContent = msg;
      setTimeout(() => { button.textContent = label; }, 1500);
    };
    if (!navigator.clipboard) {
      done(t("pay.copy.fail"));
      return;
    }
    navigator.clipboard.writeText(text).then(() => done(t("pay.copied")), () => done(t("pay.copy.fail")));
  }

  function enable(scope) {
    scope.querySelectorAll("[data-js]").forEach((b) => { b.disabled = false; });
  }

  // apply shows the panel the server rendered: swapped in only when its
  // key changed, so an unchanged panel (and its QR image) stays as it is.
  function apply(next) {
    const box = $("live");
    const cur = box.firstElementChild;
    if (!cur || cur.dataset.key !== next.dataset.key) {
      box.replaceChildren(next);
      enable(next);
      startCountdown();
    }
    const live = box.firstElementChild;
    $("choose").hidden = live.dataset.canPay !== "true";
    const f = $("fulfilled");
    f.dataset.state = live.dataset.orderState;
    f.textContent = live.dataset.orderLabel;
    return live.dataset.settled === "true";
  }

  // refresh fetches the panel; it reports whether polling may stop.
  async function refresh() {
    const resp = await fetch(livePath, { headers: { Accept: "text/html" }, cache: "no-store" });
    if (!resp.ok) {
      return false;
    }
    // The panel is the server's own template output, escaped there.
    const tpl = document.createElement("template");
    tpl.innerHTML = (await resp.text()).trim();
    const next = tpl.content.firstElementChild;
    return next ? apply(next) : false;
  }

  function schedulePoll() {
    fastUntil = Date.now() + 5000;
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, 0);
  }

  async function poll() {
    pollTimer = 0;
    let settled = false;
    try {
      settled = await refresh();
    } catch (e) {
      // A network hiccup: the next poll tries again.
    }
    if (!settled && !pollTimer) {
      pollTimer = setTimeout(poll, Date.now() < fastUntil ? pollFast : pollSlow);
    }
  }

  function startCountdown() {
    clearInterval(tickTimer);
    tickTimer = 0;
    const el = $("expiry");
    if (!el || !el.dataset.expires) {
      return;
    }
    const at = new Date(el.dataset.expires);
    const tick = () => {
      const left = Math.max(0, Math.floor((at - Date.now()) / 1000));
      const h = Math.floor(left / 3600);
      const m = String(Math.floor(left / 60) % 60).padStart(2, "0");
      const s = String(left % 60).padStart(2, "0");
      el.textContent = (h > 0 ? h + ":" : "") + m + ":" + s;
      if (left === 0) {
        clearInterval(tickTimer);
        schedulePoll();
      }
    };
    tick();
    tickTimer = setInterval(tick, 1000);
  }

  // The panel's forms work without JavaScript (the server answers with a
  // redirect back here); with it they keep the page.
  root.addEventListener("submit", async (e) => {
    const form = e.target;
    if (!form.matches("form[data-enhance]")) {
      return;
    }
    e.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    showNote("");
    showError("");
    try {
      const res = await call("POST", form.action + lang);
      if (res.status !== 200) {
        showNote((res.data && res.data.error && res.data.error.message) || t("js.failed"));
      }
    } catch (err) {
      showNote(t("js.network"));
    }
    button.disabled = false;
    schedulePoll();
  });

  root.addEventListener("click", (e) => {
    const copyButton = e.target.closest("button[data-copy]");
    if (copyButton) {
      copy(copyButton);
      return;
    }
    const snapLink = e.target.closest("a[data-snap-token]");
    if (snapLink && window.snap) {
      e.preventDefault();
      openSnap(snapLink.dataset.snapToken, snapLink.href);
      return;
    }
    const threeds = e.target.closest("a[data-threeds]");
    if (threeds && window.MidtransNew3ds) {
      e.preventDefault();
      authenticate(threeds.href);
    }
  });

  $("pay").addEventListener("click", pay);
  $("threeds-close").addEventListener("click", () => closeThreeDS(t("js.3dsclosed")));
  enable(root);
  startCountdown();
  const live = $("live").firstElementChild;
  if (live && live.dataset.settled !== "true") {
    poll();
  }
  root.dataset.ready = "true";
})();
