// The door's check-in page: each code is sent without leaving the page (the camera keeps
// running), the answer replaces the result box. Without this script the form posts and the
// page answers the same way. The camera reads QR codes with the browser's BarcodeDetector
// (Chrome on Android) or, elsewhere (iPhone, desktop), the same API from the vendored ponyfill
// (static/vendor/barcode-detector: ZXing-C++ in WebAssembly, its .wasm served from here).
(function () {
  "use strict";
  var form = document.getElementById("code-form");
  if (!form) return;
  var input = document.getElementById("id_code");
  var result = document.getElementById("checkin-result");
  var count = document.getElementById("checkin-count");
  var busy = false;

  function send(code) {
    if (busy) return;
    busy = true;
    var data = new FormData(form);
    if (code) data.set("code", code);
    fetch(form.action || window.location.href, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (answer) {
        result.innerHTML = answer.html;
        if (count && typeof answer.checked_in === "number") {
          count.textContent = count.textContent.replace(/\d+/, String(answer.checked_in));
        }
        if (navigator.vibrate) navigator.vibrate(answer.outcome === "checked_in" ? 80 : [60, 60, 60]);
        input.value = "";
      })
      .catch(function () {
        form.submit(); // the page itself says what went wrong
      })
      .finally(function () {
        busy = false;
        // While the camera scans, the phone's keyboard would cover it.
        if (!stream) input.focus();
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (input.value.trim()) send();
  });

  // The camera: without a QR reader, or when the camera is refused or missing, the page says
  // so and the typed code works as before.
  var box = document.getElementById("camera");
  var video = document.getElementById("camera-video");
  var start = document.getElementById("camera-start");
  var stop = document.getElementById("camera-stop");
  var message = document.getElementById("camera-message");
  var stream = null;
  var last = { code: "", at: 0 };

  function say(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  box.hidden = false;
  var media = navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  var ponyfill = typeof WebAssembly === "object" && window.BarcodeDetectionAPI;
  var Detector = window.BarcodeDetector || (ponyfill && ponyfill.BarcodeDetector);
  if (!Detector || !media) {
    say(box.dataset.unsupported);
    return;
  }
  if (!window.BarcodeDetector) {
    // The ponyfill would fetch its .wasm from a CDN (often unreachable in China): ours instead.
    ponyfill.setZXingModuleOverrides({
      locateFile: function (path, prefix) {
        return /\.wasm$/.test(path) ? box.dataset.wasm : prefix + path;
      },
    });
  }
  var detector = new Detector({ formats: ["qr_code"] });
  var failures = 0;
  start.hidden = false;

  function scan() {
    if (!stream) return;
    detector
      .detect(video)
      .then(function (codes) {
        var now = Date.now();
        if (codes.length) {
          var code = codes[0].rawValue;
          // A ticket held in front of the camera is read many times a second: once is enough.
          if (code !== last.code || now - last.at > 3000) {
            last = { code: code, at: now };
            send(code);
          }
        }
      })
      .then(function () {
        failures = 0;
      })
      .catch(function () {
        // A frame may fail now and then; a reader that never works (its .wasm not loaded) is
        // said once and the camera stopped, rather than a camera that silently reads nothing.
        failures += 1;
        if (failures >= 5) {
          say(box.dataset.unsupported);
          close();
        }
      })
      .finally(function () {
        if (stream) setTimeout(scan, 250);
      });
  }

  function close() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.classList.remove("on");
    start.hidden = false;
    stop.hidden = true;
  }

  start.addEventListener("click", function () {
    say("");
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.classList.add("on");
        video.play();
        start.hidden = true;
        stop.hidden = false;
        say(box.dataset.scanning);
        scan();
      })
      .catch(function (error) {
        var name = error && error.name;
        say(
          name === "NotAllowedError" || name === "SecurityError"
            ? box.dataset.denied
            : box.dataset.unavailable
        );
        close();
        input.focus();
      });
  });
  stop.addEventListener("click", function () {
    close();
    say("");
    input.focus();
  });
})();
