// The menu editor: show each row's fields for its kind, and copy a picked page into the link.
(function () {
  "use strict";
  function update(row) {
    var type = row.querySelector("select[name$='_type']");
    if (!type) return;
    row.querySelectorAll(".menu-row__field").forEach(function (field) {
      field.hidden = field.dataset.for.split(" ").indexOf(type.value) === -1;
    });
    var items = document.querySelector("[data-items-of='" + row.dataset.row + "']");
    if (items) items.hidden = type.value !== "items";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".menu-row").forEach(function (row) {
      update(row);
      row.addEventListener("change", function (event) {
        if (event.target.matches("select[name$='_page']") && event.target.value) {
          row.querySelector("input[name$='_url']").value = event.target.value;
        }
        update(row);
      });
    });
  });
})();
