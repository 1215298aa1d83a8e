// The door's check-in page: each code is sent without leaving the page (the camera keeps
// running), the answer replaces the result box. Without this script the form posts and the
// page answers the same way. The camera is offered where the browser has BarcodeDetector.
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
        input.focus();
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (input.value.trim()) send();
  });

  // The camera: BarcodeDetector reads QR codes in Chrome on Android; elsewhere the typed code.
  var box = document.getElementById("camera");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  box.hidden = false;
  var video = document.getElementById("camera-video");
  var start = document.getElementById("camera-start");
  var stop = document.getElementById("camera-stop");
  var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  var stream = null;
  var last = { code: "", at: 0 };

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
      .catch(function () {})
      .finally(function () {
        setTimeout(scan, 250);
      });
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.classList.add("on");
        video.play();
        start.hidden = true;
        stop.hidden = false;
        scan();
      })
      .catch(function () {
        start.textContent = start.dataset.denied || start.textContent;
      });
  });
  stop.addEventListener("click", function () {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.classList.remove("on");
    start.hidden = false;
    stop.hidden = true;
  });
})();
