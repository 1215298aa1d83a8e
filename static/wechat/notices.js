// The opt-in page (wechat/notice_views.py): configure the JS-SDK with the signed values the
// page carries, and say thank you once WeChat reports an acceptance. WeChat itself tells the
// site (subscribe_msg_popup_event); nothing is posted from here.
(function () {
  "use strict";
  var data = document.getElementById("wx-config");
  if (!data || typeof wx === "undefined") {
    return;
  }
  wx.config(JSON.parse(data.textContent));
  var button = document.getElementById("notices-subscribe");
  if (button) {
    button.addEventListener("success", function () {
      document.getElementById("notices-result").hidden = false;
    });
  }
})();
