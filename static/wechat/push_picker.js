// The compose page's item picker: search every content module by title (the admin's JSON
// search at data-search-url), pick items, order them by dragging (native HTML5 drag and drop)
// or with the arrow buttons (keyboard and screen-reader users). The inline formset's
// rows (item key, position, the saved rows' ids, DELETE for rows dropped) are rewritten from
// the chosen list after every change, so the form posts exactly what the list shows.
(function () {
  "use strict";
  const root = document.getElementById("push-picker");
  if (!root) return;
  const data = JSON.parse(document.getElementById("push-picker-data").textContent);
  const text = root.dataset;
  const prefix = root.dataset.prefix;
  const input = document.getElementById("push-picker-search");
  const results = document.getElementById("push-picker-results");
  const chosenList = document.getElementById("push-picker-chosen");
  const empty = document.getElementById("push-picker-empty");
  const live = document.getElementById("push-picker-live");
  const rows = document.getElementById("push-picker-rows");
  const total = document.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
  const chosen = data.chosen.slice();
  let hits = [];
  let active = -1;
  let timer = null;
  let asked = 0;
  let dragFrom = -1;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  function hidden(name, value) {
    return el("input", { type: "hidden", name: `${prefix}-${name}`, value: value });
  }

  function writeRows() {
    const count = Math.max(data.initial_ids.length, chosen.length);
    rows.replaceChildren();
    for (let n = 0; n < count; n++) {
      if (n < data.initial_ids.length) rows.append(hidden(`${n}-id`, data.initial_ids[n]));
      const item = chosen[n];
      rows.append(hidden(`${n}-item_key`, item ? item.key : data.initial_keys[n]));
      rows.append(hidden(`${n}-position`, String(n + 1)));
      if (!item) rows.append(hidden(`${n}-DELETE`, "on"));
    }
    total.value = String(count);
  }

  function button(label, symbol, disabled, onClick) {
    const node = el("button", { type: "button", title: label, "aria-label": label, text: symbol });
    node.disabled = disabled;
    node.addEventListener("click", onClick);
    return node;
  }

  function move(from, to) {
    const [item] = chosen.splice(from, 1);
    chosen.splice(to, 0, item);
    render();
    const buttons = chosenList.children[to].querySelectorAll("button");
    (to < from ? buttons[0] : buttons[1]).focus();
    if (document.activeElement && document.activeElement.disabled) buttons[2].focus();
  }

  // Where a dragged item lands: before the row under the pointer when in its upper half, after
  // it in its lower half (an index into `chosen` before the dragged item is taken out).
  function dropIndex(li, event) {
    const box = li.getBoundingClientRect();
    const n = Number(li.dataset.index);
    return event.clientY < box.top + box.height / 2 ? n : n + 1;
  }

  function unmark() {
    for (const li of chosenList.children) li.classList.remove("push-picker-drop-before", "push-picker-drop-after");
  }

  function draggable(li, item, n) {
    li.draggable = true;
    li.addEventListener("dragstart", (event) => {
      dragFrom = n;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.title);
      li.classList.add("push-picker-dragging");
    });
    li.addEventListener("dragend", () => {
      dragFrom = -1;
      li.classList.remove("push-picker-dragging");
      unmark();
    });
    li.addEventListener("dragover", (event) => {
      if (dragFrom < 0) return; // something else dragged here (a file, text): not ours
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      const before = dropIndex(li, event) === n;
      unmark();
      li.classList.add(before ? "push-picker-drop-before" : "push-picker-drop-after");
    });
    li.addEventListener("dragleave", (event) => {
      if (!li.contains(event.relatedTarget)) li.classList.remove("push-picker-drop-before", "push-picker-drop-after");
    });
    li.addEventListener("drop", (event) => {
      if (dragFrom < 0) return;
      event.preventDefault();
      const from = dragFrom;
      let to = dropIndex(li, event);
      if (to > from) to -= 1;
      dragFrom = -1;
      unmark();
      if (to === from) return;
      const [moved] = chosen.splice(from, 1);
      chosen.splice(to, 0, moved);
      render();
      live.textContent = text.textMoved.replace("{position}", String(to + 1)).replace("{title}", moved.title);
    });
  }

  function render() {
    chosenList.replaceChildren();
    chosen.forEach((item, n) => {
      const li = el("li", { "data-key": item.key, "data-index": String(n), className: item.pushable ? "" : "push-picker-blocked" }, [
        el("span", { className: "push-picker-grip", "aria-hidden": "true", title: text.textDrag, text: "⠿" }),
        el("span", { className: "push-picker-type", text: item.type || "?" }),
        el("span", { className: "push-picker-title" }, [
          document.createTextNode(item.title),
          item.reason ? el("span", { className: "push-picker-reason", text: item.reason }) : null,
        ]),
        el("span", { className: "push-picker-meta", text: [item.state_label, item.date].filter(Boolean).join(" · ") }),
        button(`${text.textUp}: ${item.title}`, "↑", n === 0, () => move(n, n - 1)),
        button(`${text.textDown}: ${item.title}`, "↓", n === chosen.length - 1, () => move(n, n + 1)),
        button(`${text.textRemove}: ${item.title}`, "✕", false, () => {
          chosen.splice(n, 1);
          render();
          input.focus();
        }),
      ]);
      draggable(li, item, n);
      chosenList.append(li);
    });
    empty.hidden = chosen.length > 0;
    writeRows();
  }

  function close() {
    results.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function note(message) {
    results.replaceChildren(el("li", { className: "push-picker-note", role: "presentation", text: message }));
    results.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function refusal(item) {
    if (!item.pushable) return item.reason;
    if (chosen.some((c) => c.key === item.key)) return text.textChosen;
    if (chosen.length >= data.max) return text.textFull;
    return "";
  }

  function showHits(answer) {
    hits = answer.results;
    active = -1;
    if (!hits.length) {
      note(text.textNone);
      return;
    }
    results.replaceChildren();
    hits.forEach((item, n) => {
      const why = refusal(item);
      const li = el("li", { id: `push-picker-hit-${n}`, role: "option", "aria-selected": "false", "data-key": item.key }, [
        el("span", { className: "push-picker-type", text: item.type }),
        el("span", { className: "push-picker-title" }, [
          document.createTextNode(item.title),
          why ? el("span", { className: "push-picker-reason", text: why }) : null,
        ]),
        el("span", { className: "push-picker-meta", text: [item.state_label, item.date].filter(Boolean).join(" · ") }),
      ]);
      if (why) li.setAttribute("aria-disabled", "true");
      li.addEventListener("mousedown", (event) => event.preventDefault());
      li.addEventListener("click", () => pick(n));
      results.append(li);
    });
    if (answer.more) results.append(el("li", { className: "push-picker-note", role: "presentation", text: text.textMore }));
    results.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function pick(n) {
    const item = hits[n];
    if (!item || refusal(item)) return;
    chosen.push(item);
    render();
    live.textContent = `${text.textAdded} ${item.title}`;
    close();
    input.value = "";
    input.focus();
  }

  function highlight(n) {
    const options = results.querySelectorAll("[role=option]");
    if (!options.length) return;
    active = (n + options.length) % options.length;
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  async function search() {
    const ticket = ++asked;
    const url = `${root.dataset.searchUrl}?q=${encodeURIComponent(input.value.trim())}`;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      const answer = await response.json();
      if (ticket !== asked) return; // a later search has been sent meanwhile
      if (!response.ok) {
        note(answer.error || text.textFailed);
        return;
      }
      showHits(answer);
    } catch (error) {
      if (ticket === asked) note(text.textFailed);
    }
  }

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
  input.addEventListener("focus", () => {
    if (results.hidden) search();
  });
  input.addEventListener("blur", () => window.setTimeout(close, 150));
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (results.hidden) search();
      else highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter") {
      // Enter picks the highlighted item; it never submits the whole form from here.
      event.preventDefault();
      if (active >= 0) {
        const option = results.querySelectorAll("[role=option]")[active];
        pick(hits.findIndex((item) => item.key === option.dataset.key));
      }
    } else if (event.key === "Escape") {
      close();
    }
  });

  render();
})();
