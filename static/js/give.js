/* Online giving: call WeChat's payment sheet (JSAPI) and wait for our own order state.
   The sheet's answer is a hint only: the page moves on when the server says "paid". */
(function () {
  "use strict";
  var box = document.querySelector("[data-state-url]");
  if (!box) { return; }
  var stateUrl = box.getAttribute("data-state-url");
  var thanksUrl = box.getAttribute("data-thanks-url");
  var tries = 0;

  function poll() {
    tries += 1;
    fetch(stateUrl, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.state && data.state !== "pending") {
          if (thanksUrl) { window.location.href = thanksUrl; } else { window.location.reload(); }
          return;
        }
        if (tries < 200) { window.setTimeout(poll, tries < 20 ? 1500 : 5000); }
      })
      .catch(function () { if (tries < 200) { window.setTimeout(poll, 5000); } });
  }
  window.setTimeout(poll, 1500);

  var button = document.getElementById("jsapi-pay");
  var params = document.getElementById("jsapi-params");
  if (button && params) {
    var request = JSON.parse(params.textContent);
    var pay = function () {
      if (typeof window.WeixinJSBridge === "undefined") { return; }
      window.WeixinJSBridge.invoke("getBrandWCPayRequest", request, function () {
        poll();
      });
    };
    button.addEventListener("click", pay);
    // Inside WeChat the payment sheet opens by itself once (the button stays for a retry).
    if (typeof window.WeixinJSBridge === "undefined") {
      document.addEventListener("WeixinJSBridgeReady", pay, { once: true });
    } else {
      pay();
    }
  }
})();
