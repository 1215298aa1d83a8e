// The menu editor: show each row's fields for its kind, copy a picked page into the link, and
// redraw the phone preview's menu bar as the editor types (names only; the server checks all).
(function () {
  "use strict";
  var BUTTONS = 3, ITEMS = 5;

  function field(name) {
    return document.querySelector("[name='" + name + "']");
  }

  function update(row) {
    var type = row.querySelector("select[name$='_type']");
    if (!type) return;
    row.querySelectorAll(".menu-row__field").forEach(function (part) {
      part.hidden = part.dataset.for.split(" ").indexOf(type.value) === -1;
    });
    var items = document.querySelector("[data-items-of='" + row.dataset.row + "']");
    if (items) items.hidden = type.value !== "items";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function redraw(phone) {
    var bar = phone.querySelector(".menu-phone__bar");
    var keyboard = bar.querySelector(".menu-phone__keyboard");
    var open = bar.querySelector("details[open] summary");
    var openName = open ? open.textContent : "";
    bar.replaceChildren(keyboard);
    for (var i = 0; i < BUTTONS; i++) {
      var name = (field("b" + i + "_name") || {}).value || "";
      var kind = (field("b" + i + "_type") || {}).value || "items";
      var subs = [];
      for (var j = 0; j < ITEMS; j++) {
        var sub = (field("b" + i + "s" + j + "_name") || {}).value || "";
        if (sub.trim()) subs.push(sub.trim());
      }
      if (kind === "items" && subs.length) {
        var details = el("details", "menu-phone__button");
        var summary = el("summary", "", "≡ " + name.trim());
        details.appendChild(summary);
        var list = el("ul", "menu-phone__items");
        subs.forEach(function (text) { list.appendChild(el("li", "", text)); });
        details.appendChild(list);
        if (summary.textContent === openName) details.open = true;
        bar.appendChild(details);
      } else if (name.trim()) {
        var button = el("div", "menu-phone__button");
        button.appendChild(el("span", "", name.trim()));
        bar.appendChild(button);
      }
    }
    if (bar.children.length === 1) {
      bar.appendChild(el("div", "menu-phone__button menu-phone__button--empty", phone.dataset.empty || ""));
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("menu-form");
    var phone = document.querySelector("[data-testid='menu-preview']");
    document.querySelectorAll(".menu-row").forEach(function (row) {
      update(row);
      row.addEventListener("change", function (event) {
        if (event.target.matches("select[name$='_page']") && event.target.value) {
          row.querySelector("input[name$='_url']").value = event.target.value;
        }
        update(row);
      });
    });
    if (form && phone) {
      form.addEventListener("input", function () { redraw(phone); });
      form.addEventListener("change", function () { redraw(phone); });
    }
  });
})();
